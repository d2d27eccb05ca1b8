package main

import (
	"io"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/kerasfile"
	"github.com/gokeras/fashion/tfmodel"
)

// Training in chunks of 100 steps compiled with XLA says so, learns, saves
// the execution in the .keras file's compile config (Keras compiles the
// loaded model the same way), and pauses, checkpoints and resumes at the
// end of the chunk that holds the chosen step, ending with the weights of
// the run never interrupted, bit for bit (every chunk runs the same
// compiled program).
func TestTrainInChunksWithXLA(t *testing.T) {
	bin := buildTrain(t)
	args := func(dir string) []string {
		return []string{"-epochs", "2", "-quiet", "-seed", "5", "-plots", "", "-steps-per-execution", "100", "-jit-compile",
			"-out", filepath.Join(dir, "model"), "-keras", filepath.Join(dir, "model.keras"), "-checkpoint-dir", filepath.Join(dir, "checkpoints")}
	}

	whole := t.TempDir()
	stdout, stderr, code := runCommand(t, bin, args(whole)...)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "Execution: 100 steps per session run (a graph loop), compiled with XLA (jit_compile=True: sums in XLA's order, last bits differ from Keras's)\n")
	m := testAccuracyLine.FindStringSubmatch(stdout)
	require.NotNil(t, m, stdout)
	acc, err := strconv.ParseFloat(m[1], 64)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, acc, 0.84, "two epochs of the tutorial's model")
	km, err := kerasfile.Read(filepath.Join(whole, "model.keras"))
	require.NoError(t, err)
	require.NotNil(t, km.Compile)
	assert.Equal(t, 100, km.Compile.StepsPerExecution)
	assert.True(t, km.Compile.JITCompile)

	dir := t.TempDir()
	// Step 150 is inside the chunk of steps 101-200: the pause, the
	// interrupt and the checkpoint come at its end.
	r := startUntil(t, bin, []string{pauseAtVar + "=2:150"}, "train: paused at epoch 2, step 200 ("+pauseAtVar+")", args(dir)...)
	require.NoError(t, r.cmd.Process.Signal(syscall.SIGINT))
	code, rest := r.wait(t, 2*time.Minute)
	assert.Equal(t, exitInterrupted, code, rest)
	assert.Regexp(t, `^train: interrupted at epoch 2, step 200; saved the training state to \S+ckpt-epoch1-step200: rerun the same command to resume: context canceled\n$`, rest)

	stdout, stderr, code = runCommand(t, bin, args(dir)...)
	require.Equal(t, 0, code, stderr)
	assert.Regexp(t, `Resuming from checkpoint \S+ckpt-epoch1-step200 at epoch 2, step 200\n`, stdout)
	assert.Equal(t, m[0], testAccuracyLine.FindString(stdout))
	assert.Equal(t, savedWeights(t, whole), savedWeights(t, dir), "the resumed run ends with the uninterrupted run's weights")
}

// The line after Execution says where evaluation and prediction run and
// whether their bits are Keras's; -exact-inference moves them to the
// training session.
func TestDescribeInference(t *testing.T) {
	for _, c := range []struct {
		args   []string
		oneDNN bool
		want   string
	}{
		{nil, true, "Evaluation and prediction: in a session of their own, one-thread kernels (Keras's bits with oneDNN on)"},
		{nil, false, "Evaluation and prediction: in a session of their own, one-thread kernels (oneDNN off: last bits differ from Keras's, within 1e-6; -exact-inference for Keras's)"},
		{[]string{"-exact-inference"}, true, "Evaluation and prediction: in the training session, as Keras (exact)"},
		{[]string{"-exact-inference"}, false, "Evaluation and prediction: in the training session, as Keras (exact)"},
	} {
		cfg, err := parseFlags(append(c.args, "-out", filepath.Join(t.TempDir(), "model"), "-plots", ""), io.Discard)
		require.NoError(t, err)
		var opts tfmodel.CompileOptions
		opts.Threads.Inference = cfg.inference()
		assert.Equal(t, c.want, describeInference(opts, c.oneDNN), "%v, oneDNN %v", c.args, c.oneDNN)
	}
}
