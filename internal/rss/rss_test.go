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

// Without a cap, threads allocating at once each take an arena of their
// own (glibc's default allows eight per core): the behaviour LimitArenas
// exists to stop, and the counting its test in tfmodel relies on.
func TestArenasGrowWithThreads(t *testing.T) {
	before := Arenas()
	require.Positive(t, before)
	AllocateFromThreads(4, 1<<20)
	assert.Greater(t, Arenas(), before, "four threads allocating at once add arenas")
}
