package kerasfile

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// compile_config's steps_per_execution and jit_compile as Keras writes
// them, and as older or hand-made files may have them.
func TestParseExecution(t *testing.T) {
	for _, tc := range []struct {
		steps, jit string
		wantSteps  int
		wantJIT    bool
	}{
		{"1", "false", 1, false},
		{"100", "true", 100, true},
		{"", `"auto"`, 1, false}, // Keras resolves "auto" to no XLA on a CPU
		{"null", "null", 1, false},
	} {
		steps, jit, err := parseExecution(json.RawMessage(tc.steps), json.RawMessage(tc.jit))
		require.NoError(t, err, tc)
		assert.Equal(t, tc.wantSteps, steps, tc)
		assert.Equal(t, tc.wantJIT, jit, tc)
	}
	for _, bad := range [][2]string{{"-3", ""}, {"1.5", ""}, {"32.0", ""}, {"[1]", ""}, {"", "1"}, {"", `"never"`}} {
		_, _, err := parseExecution(json.RawMessage(bad[0]), json.RawMessage(bad[1]))
		assert.Error(t, err, bad)
	}
}
