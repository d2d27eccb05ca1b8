package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/loader"
)

// TestDataDirIsTheOnlyPlace: -data names the data set's directory; when it
// does not exist, is not a directory or lacks a file, the command fails
// saying which, and does not train on Debian's copy (which this machine
// has) or start a download.
func TestDataDirIsTheOnlyPlace(t *testing.T) {
	bin := buildTrain(t)
	root := t.TempDir()
	partial := filepath.Join(root, "partial")
	require.NoError(t, os.MkdirAll(partial, 0o755))
	for _, name := range []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz"} {
		require.NoError(t, os.Symlink(filepath.Join(loader.SystemDir, name), filepath.Join(partial, name)))
	}
	empty := filepath.Join(root, "empty")
	require.NoError(t, os.MkdirAll(empty, 0o755))
	file := filepath.Join(root, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	missing := filepath.Join(root, "missing")

	for _, tt := range []struct {
		name, dir, want string
	}{
		{"missing", missing, "train: loader: " + missing + ": no such file or directory\n"},
		{"a file", file, "train: loader: " + file + ": not a directory\n"},
		{"empty", empty, "train: loader: " + empty + ": file does not exist: no train-images-idx3-ubyte[.gz], no train-labels-idx1-ubyte[.gz], no t10k-images-idx3-ubyte[.gz], no t10k-labels-idx1-ubyte[.gz]\n"},
		{"one file short", partial, "train: loader: " + partial + ": file does not exist: no t10k-labels-idx1-ubyte[.gz]\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runCommand(t, bin, fastArgs(filepath.Join(root, "model"), "-data", tt.dir)...)
			assert.Equal(t, 1, code)
			assert.Equal(t, tt.want, stderr)
			assert.NotContains(t, stdout, "Fashion-MNIST from")
			assert.False(t, strings.Contains(stdout, "Epoch") || strings.Contains(stdout, "Trained"), "no training: %s", stdout)
		})
	}

	// The complete directory is used.
	stdout, stderr, code := runCommand(t, bin, "-epochs", "1", "-validation-split", "0.9", "-plots", "", "-out", filepath.Join(root, "model"), "-data", loader.SystemDir)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "Fashion-MNIST from directory "+loader.SystemDir+"\n")
}
