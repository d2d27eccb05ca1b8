package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/tfmodel"
)

// TestTrainCNN trains the convolutional network for one epoch with every
// output the MLP has: Keras's summary, the progress, the test accuracy,
// the SavedModel, the .keras file (read back by Go) and the figures.
func TestTrainCNN(t *testing.T) {
	bin := buildTrain(t)
	dir := t.TempDir()
	out, plots, kerasFile := filepath.Join(dir, "model"), filepath.Join(dir, "plots"), filepath.Join(dir, "cnn.keras")
	stdout, stderr, code := runCommand(t, bin, "-model", "cnn", "-epochs", "1", "-out", out, "-plots", plots, "-keras", kerasFile)
	require.Equal(t, 0, code, "stderr: %s", stderr)
	for _, want := range []string{
		"│ conv2d (Conv2D)                 │ (None, 28, 28, 32)     │           320 │",
		"│ max_pooling2d_1 (MaxPooling2D)  │ (None, 7, 7, 64)       │             0 │",
		"Total params: 421,642 (1.61 MB)",
		"1875/1875 ━━━━━━━━━━━━━━━━━━━━",
		"Wrote 8 plots to " + plots,
	} {
		assert.Contains(t, stdout, want)
	}
	m := regexp.MustCompile(`\nTest accuracy: (0\.\d{4})\n`).FindStringSubmatch(stdout)
	require.NotNil(t, m, "no test accuracy line in:\n%s", stdout)
	acc, err := strconv.ParseFloat(m[1], 64)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, acc, 0.83, "one epoch of the CNN")

	assert.FileExists(t, filepath.Join(out, "saved_model.pb"))
	entries, err := os.ReadDir(plots)
	require.NoError(t, err)
	assert.Len(t, entries, 8)
	back, err := tfmodel.LoadKeras(kerasFile)
	require.NoError(t, err)
	defer back.Close()
	assert.Equal(t, int64(421642), back.Params())
	assert.Equal(t, "Adam", back.Compiled().Optimizer.ClassName())
}
