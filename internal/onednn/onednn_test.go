package onednn

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEnabledFollowsTheEnvironment reruns this test binary with each
// setting forced: TensorFlow reads TF_ENABLE_ONEDNN_OPTS once, when the
// library loads, so one process can see only one.
func TestEnabledFollowsTheEnvironment(t *testing.T) {
	if want, ok := os.LookupEnv("ONEDNN_TEST_WANT"); ok {
		assert.Equal(t, want == "on", Enabled())
		assert.True(t, strings.HasPrefix(Setting(), want+" ("+EnvVar+"="), Setting())
		return
	}
	for _, tt := range []struct{ env, want string }{{"0", "off"}, {"1", "on"}} {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestEnabledFollowsTheEnvironment$", "-test.count=1")
		cmd.Env = append(os.Environ(), EnvVar+"="+tt.env, "ONEDNN_TEST_WANT="+tt.want)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s=%s: %s", EnvVar, tt.env, out)
	}
}

func TestSettingSaysWhereItCameFrom(t *testing.T) {
	s := Setting()
	if v, set := os.LookupEnv(EnvVar); set {
		assert.Contains(t, s, "("+EnvVar+"="+v+")")
	} else {
		assert.Contains(t, s, "(machine default)")
	}
	assert.True(t, strings.HasPrefix(s, "on ") == Enabled(), s)
}
