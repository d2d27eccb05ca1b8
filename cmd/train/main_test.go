package main

import (
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/internal/tflog"
	"github.com/gokeras/fashion/tfmodel"
)

// buildTrain builds the command once per test binary run, as a user would
// run it.
func buildTrain(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "train")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// runCommand runs cmd/train and returns its stdout, its own stderr (without
// the lines libtensorflow prints before main on CPUs where oneDNN is on by
// default: see tflog) and its exit status.
func runCommand(t *testing.T, bin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	if exit, ok := err.(*exec.ExitError); ok {
		return o.String(), tflog.Own(e.String()), exit.ExitCode()
	}
	require.NoError(t, err)
	return o.String(), tflog.Own(e.String()), 0
}

func TestTrainEndToEnd(t *testing.T) {
	bin := buildTrain(t)
	dir := t.TempDir()
	out, plots := filepath.Join(dir, "model"), filepath.Join(dir, "plots")
	kerasFile := filepath.Join(dir, "model.keras")
	stdout, stderr, code := runCommand(t, bin, "-epochs", "1", "-out", out, "-plots", plots, "-seed", "3", "-keras", kerasFile)
	require.Equal(t, 0, code, "stderr: %s", stderr)
	for _, want := range []string{
		"train_images.shape: (60000, 28, 28)",
		"len(train_labels): 60000",
		"train_labels: [9 0 0 ... 3 0 5]",
		"test_images.shape: (10000, 28, 28)",
		"len(test_labels): 10000",
		"Total params: 101,770 (397.54 KB)",
		"Execution: one step per session run, TensorFlow's kernels in Keras's order (exact)",
		inferenceLine(tfmodel.CompileOptions{}),
		"Epoch 1/1",
		"1875/1875 ━━━━━━━━━━━━━━━━━━━━",
		"313/313 ━━━━━━━━━━━━━━━━━━━━",
		"test_labels[0]: 9 (Ankle boot)",
		"img.shape: (28, 28)",
		"np.expand_dims(img, 0).shape: (1, 28, 28)",
		"Saved the model to " + out,
		"Saved the model to " + kerasFile + " (Keras 3",
		"Wrote 8 plots to " + plots,
	} {
		assert.Contains(t, stdout, want)
	}
	assert.Regexp(t, `(?m)^TensorFlow version: \d+\.\d+\.\d+`, stdout, "the library's version, whichever it is")
	assert.NotContains(t, stdout, "\r", "not a terminal: plain lines only")
	assert.NotContains(t, stdout, "\x1b[", "not a terminal: no colours")

	m := regexp.MustCompile(`\nTest accuracy: (0\.\d{4})\n`).FindStringSubmatch(stdout)
	require.NotNil(t, m, "no test accuracy line in:\n%s", stdout)
	acc, err := strconv.ParseFloat(m[1], 64)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, acc, 0.82)

	assert.FileExists(t, filepath.Join(out, "saved_model.pb"))
	assert.FileExists(t, filepath.Join(out, "variables", "variables.index"))
	assert.FileExists(t, kerasFile)
	entries, err := os.ReadDir(plots)
	require.NoError(t, err)
	require.Len(t, entries, 8)
	for _, e := range entries {
		f, err := os.Open(filepath.Join(plots, e.Name()))
		require.NoError(t, err)
		cfg, err := png.DecodeConfig(f)
		f.Close()
		require.NoError(t, err, e.Name())
		assert.Greater(t, cfg.Width, 300, e.Name())
	}

	// -quiet: the summary lines only.
	stdout, stderr, code = runCommand(t, bin, "-epochs", "1", "-quiet", "-out", out, "-plots", "")
	require.Equal(t, 0, code, "stderr: %s", stderr)
	assert.NotContains(t, stdout, "Epoch 1/1")
	assert.NotContains(t, stdout, "Param #")
	assert.Contains(t, stdout, "Test accuracy: ")
	assert.NotContains(t, stdout, "plots")
	assert.LessOrEqual(t, strings.Count(stdout, "\n"), 10)
}

func TestTrainRejectsBadFlags(t *testing.T) {
	bin := buildTrain(t)
	file := filepath.Join(t.TempDir(), "a-file")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o644))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"zero epochs", []string{"-epochs", "0"}, "-epochs 0: must be at least 1"},
		{"negative batch size", []string{"-batch-size", "-4"}, "-batch-size -4: must be at least 1"},
		{"zero learning rate", []string{"-lr", "0"}, "-lr 0: must be in (0, 1]"},
		{"zero steps per execution", []string{"-steps-per-execution", "0"}, "-steps-per-execution 0: must be at least 1"},
		{"unwritable out", []string{"-out", filepath.Join(file, "model")}, "-out " + filepath.Join(file, "model")},
		{"out is a file", []string{"-out", file}, "exists and is not a directory"},
		{"unwritable keras", []string{"-keras", filepath.Join(file, "m.keras")}, "-keras "},
		{"unwritable plots", []string{"-plots", filepath.Join(file, "plots")}, "-plots "},
		{"not a number", []string{"-epochs", "ten"}, "invalid value \"ten\""},
		{"unknown flag", []string{"-speed", "fast"}, "flag provided but not defined: -speed"},
		{"argument", []string{"extra"}, "unexpected argument \"extra\""},
		{"unknown optimizer", []string{"-optimizer", "adamm"}, `-optimizer adamm: unknown optimizer "adamm"; supported: adam, adamw, rmsprop, sgd`},
		{"-init with -optimizer", []string{"-init", file, "-optimizer", "sgd"}, "the optimizer and its learning rate come from the file: drop -optimizer and -lr"},
		{"-init of nothing", []string{"-init", file + ".missing"}, "-init " + file + ".missing: stat"},
		{"optimizer only Keras has", []string{"-optimizer", "nadam"}, `-optimizer nadam: optimizer "nadam": Keras has it but it is not implemented here; supported: adam, adamw, rmsprop, sgd`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runCommand(t, bin, tt.args...)
			assert.Equal(t, 2, code)
			assert.Empty(t, stdout, "no work starts")
			assert.Contains(t, stderr, tt.want)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
		})
	}
	stdout, stderr, code := runCommand(t, bin, "-h")
	assert.Equal(t, 0, code)
	assert.Empty(t, stdout)
	for _, flag := range []string{"-data", "-epochs", "-batch-size", "-optimizer", "-lr", "-seed", "-out", "-plots", "-keras", "-quiet", "-init", "-shuffle"} {
		assert.Contains(t, stderr, flag)
	}
}

// TestTrainWithOptimizers trains a fast epoch with each optimizer by
// Keras's name, checkpointed and saved as .keras, and resumes it for a
// second: the learning
// rate without -lr is Keras's default for the optimizer, which the
// checkpoint records, and -lr overrides it.
func TestTrainWithOptimizers(t *testing.T) {
	bin := buildTrain(t)
	tests := []struct {
		optimizer string
		lr        string // Keras's default
		other     string // another -lr
	}{
		{"sgd", "0.01", "0.001"},
		{"RMSprop", "0.001", "0.01"},
	}
	for _, tt := range tests {
		t.Run(tt.optimizer, func(t *testing.T) {
			dir := t.TempDir()
			out, ckpt := filepath.Join(dir, "model"), filepath.Join(dir, "ckpt")
			kerasFile := filepath.Join(dir, "model.keras")
			stdout, stderr, code := runCommand(t, bin, fastArgs(out, "-optimizer", tt.optimizer, "-checkpoint-dir", ckpt, "-keras", kerasFile)...)
			require.Equal(t, 0, code, stderr)
			assert.Contains(t, stdout, "Trained 1 epoch:")
			assert.FileExists(t, kerasFile, "a .keras file of the optimizer")

			_, stderr, code = runCommand(t, bin, fastArgs(out, "-optimizer", tt.optimizer, "-epochs", "2", "-lr", tt.other, "-checkpoint-dir", ckpt)...)
			assert.Equal(t, 1, code)
			assert.Contains(t, stderr, "was written with -lr "+tt.lr+", this run has -lr "+tt.other+":")

			_, stderr, code = runCommand(t, bin, fastArgs(out, "-optimizer", "adam", "-epochs", "2", "-checkpoint-dir", ckpt)...)
			assert.Equal(t, 1, code)
			assert.Contains(t, stderr, "was written with -optimizer "+strings.ToLower(tt.optimizer)+", this run has -optimizer adam:")

			stdout, stderr, code = runCommand(t, bin, fastArgs(out, "-optimizer", tt.optimizer, "-epochs", "2", "-lr", tt.lr, "-checkpoint-dir", ckpt)...)
			require.Equal(t, 0, code, stderr)
			assert.Contains(t, stdout, "Resuming from checkpoint "+filepath.Join(ckpt, "ckpt-epoch1")+" at epoch 2, step 0\n")
			assert.Contains(t, stdout, "Trained 1 epoch:")
		})
	}
}
