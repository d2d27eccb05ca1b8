//go:build unix

package main

import (
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readImageSoon is readImage with a deadline, so that a file it blocks on
// fails the test instead of hanging it.
func readImageSoon(t *testing.T, path string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := readImage(path)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second): // failure guard only; a refusal takes microseconds
		t.Fatalf("readImage(%s) is blocked", path)
		return nil
	}
}

// Special files are refused before they are opened: a FIFO with no writer
// would block the open forever, a device could be read forever.
func TestReadImageRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.png")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	link := filepath.Join(dir, "link-to-pipe.png")
	require.NoError(t, os.Symlink(fifo, link))
	socket := filepath.Join(dir, "socket.png")
	l, err := net.Listen("unix", socket)
	require.NoError(t, err)
	defer l.Close()

	for _, tc := range []struct {
		name, path, want string
	}{
		{"FIFO", fifo, "is a named pipe (FIFO), not a regular file"},
		{"symbolic link to a FIFO", link, "is a named pipe (FIFO), not a regular file"},
		{"socket", socket, "is a socket, not a regular file"},
		{"endless device", "/dev/zero", "is a character device, not a regular file"},
		{"directory", dir, "is a directory, not an image file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := os.Stat(tc.path); err != nil {
				t.Skipf("no %s here: %v", tc.path, err)
			}
			err := readImageSoon(t, tc.path)
			require.EqualError(t, err, tc.want)
			assert.ErrorIs(t, err, errNotRegular)
		})
	}
}
