package tffunc_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/internal/tffunc"
)

func TestWithYNNDotsOff(t *testing.T) {
	for _, tt := range []struct{ flags, want string }{
		{"", tffunc.YNNDotsOff},
		{"  ", tffunc.YNNDotsOff},
		{"--xla_dump_to=/tmp/d", "--xla_dump_to=/tmp/d " + tffunc.YNNDotsOff},
		// The user's own setting of the option stands, whatever it is.
		{"--xla_cpu_experimental_ynn_fusion_type=individual_dot", "--xla_cpu_experimental_ynn_fusion_type=individual_dot"},
		{"--xla_dump_to=/d --xla_cpu_experimental_ynn_fusion_type=", "--xla_dump_to=/d --xla_cpu_experimental_ynn_fusion_type="},
		{"-xla_cpu_experimental_ynn_fusion_type=reduce", "-xla_cpu_experimental_ynn_fusion_type=reduce"},
		// Another option whose name starts the same is not it.
		{"--xla_cpu_experimental_ynn_fusion_types=x", "--xla_cpu_experimental_ynn_fusion_types=x " + tffunc.YNNDotsOff},
	} {
		assert.Equal(t, tt.want, tffunc.WithYNNDotsOff(tt.flags), "flags %q", tt.flags)
	}
}

// TestXLAReadsTheOptions reruns this test binary, which compiles a
// function with XLA, dumping what XLA compiled with the options it read
// (--xla_dump_to): XLA reads XLA_FLAGS once per process. By default the
// options list YNNPACK's operations without the matrix products; a user's
// own list stands.
func TestXLAReadsTheOptions(t *testing.T) {
	if dir, ok := os.LookupEnv("TFFUNC_TEST_DUMP"); ok {
		before := strings.TrimSpace(strings.Replace(os.Getenv(tffunc.XLAFlagsEnv), "--xla_dump_to="+dir, "", 1))
		compileAndRun(t)
		assert.Equal(t, tffunc.WithYNNDotsOff(os.Getenv(tffunc.XLAFlagsEnv)), os.Getenv(tffunc.XLAFlagsEnv), "XLA_FLAGS after the compile")
		assert.Contains(t, os.Getenv(tffunc.XLAFlagsEnv), tffunc.WithYNNDotsOff(before))
		return
	}
	for _, tt := range []struct {
		name, user string
		want       []string // the ynn option's values in the dumped options
	}{
		{"default", "", []string{"LIBRARY_FUSION_TYPE_INDIVIDUAL_CONVOLUTION", "LIBRARY_FUSION_TYPE_REDUCE"}},
		{"user's", "--xla_cpu_experimental_ynn_fusion_type=individual_dot", []string{"LIBRARY_FUSION_TYPE_INDIVIDUAL_DOT"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(os.Args[0], "-test.run", "^TestXLAReadsTheOptions$", "-test.count=1")
			cmd.Env = append(os.Environ(), "TFFUNC_TEST_DUMP="+dir, tffunc.XLAFlagsEnv+"="+strings.TrimSpace(tt.user+" --xla_dump_to="+dir))
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", out)
			files, err := filepath.Glob(filepath.Join(dir, "*.debug_options"))
			require.NoError(t, err)
			require.NotEmpty(t, files, "XLA dumped no options in %s", dir)
			b, err := os.ReadFile(files[0])
			require.NoError(t, err)
			var got []string
			for _, line := range strings.Split(string(b), "\n") {
				if v, ok := strings.CutPrefix(line, "xla_cpu_experimental_ynn_fusion_type: "); ok {
					got = append(got, v)
				}
			}
			assert.ElementsMatch(t, tt.want, got, "%s:\n%s", files[0], b)
		})
	}
}

// compileAndRun runs a function XLA compiles: a 2×2 matrix product.
func compileAndRun(t *testing.T) {
	s := op.NewScope()
	a := op.Const(s.SubScope("a"), [][]float32{{1, 2}, {3, 4}})
	g, err := s.Finalize()
	require.NoError(t, err)
	call, err := tffunc.AddCompiled(g, tffunc.Compiled{
		Call: "square", Name: "square_fn", Inputs: []tf.Output{a}, DTypes: []tf.DataType{tf.Float},
		Body: func(s *op.Scope, _ *tf.Graph, args []tf.Output) ([]tf.Output, error) {
			return []tf.Output{op.MatMul(s.SubScope("matmul"), args[0], args[0])}, nil
		},
	})
	require.NoError(t, err)
	sess, err := tf.NewSession(g, nil)
	require.NoError(t, err)
	defer sess.Close()
	res, err := sess.Run(nil, []tf.Output{call.Output(0)}, nil)
	require.NoError(t, err)
	assert.Equal(t, [][]float32{{7, 10}, {15, 22}}, res[0].Value())
}
