package rss

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCurrentSeesAnAllocation(t *testing.T) {
	before, err := Current()
	require.NoError(t, err)
	assert.Positive(t, before)
	block := make([]byte, 64<<20)
	for i := range block {
		block[i] = 1 // touch every page so it becomes resident
	}
	after, err := Current()
	require.NoError(t, err)
	assert.Greater(t, after-before, int64(60<<20))
	_ = block[len(block)-1]
}
