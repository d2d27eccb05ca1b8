//go:build unix

package kerasfile

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/internal/pyenv"
)

// readPromptly calls Read and fails the test if Read has not returned
// within 15 s. It then opens each FIFO in fifos for writing and closes it,
// which releases a reader blocked on one: a regression fails this test
// instead of hanging the whole suite on hdf5Lock.
func readPromptly(t *testing.T, path string, fifos ...string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := Read(path)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(15 * time.Second):
	}
	for _, p := range fifos {
		// O_NONBLOCK: opening for writing fails at once, rather than
		// waiting, if no reader is blocked on the FIFO after all.
		if w, err := os.OpenFile(p, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
	}
	t.Fatalf("Read(%s) blocked for 15 s", path)
	return nil
}

// TestReadRefusesOutsideFile checks that Read refuses, with Keras's words,
// weights files that reach outside themselves, before libhdf5 opens the
// file they point to: a FIFO among them would otherwise block Read, and
// every other Read and Write in the process, forever.
func TestReadRefusesOutsideFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.keras")
	require.NoError(t, Write(good, trainedState(t, adam(mixed(1)), 2)))
	weights := filepath.Join(dir, "good.weights.h5")
	require.NoError(t, os.WriteFile(weights, memberOf(t, good, weightsMember), 0o644))
	secret := filepath.Join(dir, "secret")
	require.NoError(t, os.WriteFile(secret, bytes.Repeat([]byte("password=hunter2\n"), 1<<15), 0o600))
	// Weights of another model, which an external link would pass off as
	// this one's.
	otherKeras := filepath.Join(dir, "other.keras")
	require.NoError(t, Write(otherKeras, trainedState(t, adam(mixed(9)), 2)))
	other := filepath.Join(dir, "other.h5")
	require.NoError(t, os.WriteFile(other, memberOf(t, otherKeras, weightsMember), 0o644))
	fifo := filepath.Join(dir, "fifo")

	out := filepath.Join(dir, "hostile")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	script, err := filepath.Abs(filepath.Join("testdata", "hostile_h5.py"))
	require.NoError(t, err)
	stdout, err := pyenv.Run(ctx, script, weights, out, secret, fifo, other)
	require.NoError(t, err, "the venv needs h5py: scripts/libtensorflow-install.sh")
	var made struct {
		Made []string `json:"made"`
	}
	require.NoError(t, json.Unmarshal(stdout, &made), "hostile_h5.py printed: %s", stdout)
	// Only now, so that making the files cannot block on it.
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))

	const notAllowed = "Not allowed: H5 file with "
	tests := []struct {
		name, file, want string
	}{
		{"external storage in a secret file", "external_secret.h5",
			"model.weights.h5: layer 1 (dense): layers/dense/vars/0: " + notAllowed +
				"external Dataset: [('" + secret + "', 0, 18446744073709551615)]"},
		{"external storage in a FIFO", "external_fifo.h5",
			"model.weights.h5: layer 1 (dense): layers/dense/vars/0: " + notAllowed +
				"external Dataset: [('" + fifo + "', 0, 18446744073709551615)]"},
		{"Adam slot in external storage", "external_optimizer.h5",
			"model.weights.h5: Adam slot 0 (momentum of layers/dense/vars/0): optimizer/vars/2: " + notAllowed + "external Dataset: [('" + secret + "', "},
		{"external link to another model's layer", "external_link.h5",
			"model.weights.h5: layer 5 (dense_1): layers/dense_1: " + notAllowed + "ExternalLink"},
		{"external link to a FIFO", "external_link_fifo.h5",
			"model.weights.h5: layer 5 (dense_1): layers/dense_1/vars/0: " + notAllowed + "ExternalLink"},
		{"soft link to a dataset", "soft_link.h5",
			"model.weights.h5: layer 1 (dense): layers/dense/vars/1: " + notAllowed + "SoftLink"},
		{"soft link to a group", "soft_group.h5",
			"model.weights.h5: layer 5 (dense_1): layers/dense_1: " + notAllowed + "SoftLink"},
		{"virtual dataset from a FIFO", "virtual_fifo.h5",
			"model.weights.h5: layer 1 (dense): layers/dense/vars/1: " + notAllowed + "virtual Dataset"},
		// Not outside the file, but as hostile: a dataset never written,
		// whose 4 GiB of values only its header claims.
		{"a never-written dataset of 4 GiB", "unwritten_huge.h5",
			"model.weights.h5: layer 1 (dense): layers/dense/vars/0 claims shape (65536, 16384), more values than the "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h5, err := os.ReadFile(filepath.Join(out, tc.file))
			require.NoError(t, err)
			path := rewrite(t, good, func(name string, old []byte) []byte {
				if name == weightsMember {
					return h5
				}
				return old
			})
			err = readPromptly(t, path, fifo)
			require.Error(t, err)
			assert.ErrorContains(t, err, "kerasfile: read "+path+": "+tc.want)
		})
	}
	assert.Len(t, made.Made, len(tests), "a file hostile_h5.py makes is not in the table")
}

// TestReadNotRegularFile checks that Read refuses a path that is not a
// regular file before opening it: opening a FIFO for reading blocks until
// a writer comes, and opening a device can act on it.
func TestReadNotRegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.keras")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	good := filepath.Join(dir, "good.keras")
	require.NoError(t, Write(good, mixed(1)))
	link := filepath.Join(dir, "link.keras")
	require.NoError(t, os.Symlink(good, link))
	for _, tc := range []struct {
		name, path, want string
	}{
		{"FIFO", fifo, "not a regular file (a named pipe (FIFO))"},
		{"directory", dir, "not a regular file (a directory)"},
		{"device", os.DevNull, "not a regular file (a character device)"},
		{"symbolic link to a model", link, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := readPromptly(t, tc.path, fifo)
			if tc.want == "" {
				assert.NoError(t, err)
				return
			}
			assert.EqualError(t, err, "kerasfile: read "+tc.path+": "+tc.want)
		})
	}
}
