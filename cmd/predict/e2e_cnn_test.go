package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEndToEndCNN classifies the photos with the convolutional network
// cmd/train -model cnn trains: its SavedModel takes the same [-1 28 28]
// images (the Reshape to 28×28×1 is inside the model).
func TestEndToEndCNN(t *testing.T) {
	predictBinary(t)
	train := filepath.Join(t.TempDir(), "train")
	require.NoError(t, goBuild(train, "../train"))
	model := filepath.Join(t.TempDir(), "cnn")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, train, "-model", "cnn", "-epochs", "1", "-quiet", "-out", model, "-plots", "").CombinedOutput()
	require.NoError(t, err, "%s", out)

	img := userImages(t)
	code, stdout, stderr := runBinary(t, "-model", model, img["sneaker.png"], img["trousers.jpg"], img["bag.png"])
	assert.Equal(t, 0, code, "stderr: %s", stderr)
	got := lines(stdout)
	require.Len(t, got, 3, "one line per file:\n%s", stdout)
	assert.Regexp(t, topLine(img["sneaker.png"], "Sneaker", 3), got[0])
	assert.Regexp(t, topLine(img["trousers.jpg"], "Trouser", 3), got[1])
	assert.Regexp(t, topLine(img["bag.png"], "Bag", 3), got[2])
}
