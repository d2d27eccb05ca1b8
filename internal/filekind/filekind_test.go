package filekind

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDescribe(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	fifo := filepath.Join(dir, "p")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	link := filepath.Join(dir, "l")
	require.NoError(t, os.Symlink(file, link))
	for _, tt := range []struct{ path, want string }{
		{file, "a regular file"},
		{dir, "a directory"},
		{fifo, "a named pipe (FIFO)"},
		{"/dev/null", "a character device"},
		{link, "a symbolic link"},
	} {
		info, err := os.Lstat(tt.path)
		require.NoError(t, err)
		assert.Equal(t, tt.want, Describe(info.Mode()), tt.path)
	}
	assert.Equal(t, "a socket", Describe(fs.ModeSocket))
	assert.Equal(t, "a block device", Describe(fs.ModeDevice))
}

func TestFollowLinks(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	target := filepath.Join(dir, "target")
	require.NoError(t, os.Mkdir(target, 0o755))
	mk := func(name, to string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.Symlink(to, p))
		return p
	}
	abs := mk("abs", target)
	rel := mk("rel", "target")
	chain := mk("chain", "abs")
	dangling := mk("dangling", "not-yet")
	loop := mk("loop1", "loop2")
	mk("loop2", "loop1")
	for _, tt := range []struct{ path, want string }{
		{target, target},
		{abs, target},
		{rel, target},
		{chain, target},
		{dangling, filepath.Join(dir, "not-yet")},
		{filepath.Join(dir, "absent"), filepath.Join(dir, "absent")},
	} {
		got, err := FollowLinks(tt.path)
		require.NoError(t, err, tt.path)
		assert.Equal(t, tt.want, got, tt.path)
	}
	_, err = FollowLinks(loop)
	assert.ErrorContains(t, err, "more than 40 symbolic links to follow")
}

func TestAbsent(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	_, err := os.Lstat(filepath.Join(file, "below"))
	assert.True(t, Absent(err), "a path through a file")
	_, err = os.Lstat(file + ".missing")
	assert.True(t, Absent(err))
	assert.False(t, Absent(nil))
	assert.False(t, Absent(fs.ErrPermission))
}

func TestOpenRegular(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	require.NoError(t, os.WriteFile(file, []byte("data"), 0o644))
	fifo := filepath.Join(dir, "p")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	linkToFIFO := filepath.Join(dir, "l")
	require.NoError(t, os.Symlink(fifo, linkToFIFO))

	f, info, err := OpenRegular(file)
	require.NoError(t, err)
	assert.Equal(t, int64(4), info.Size())
	require.NoError(t, f.Close())

	for _, tt := range []struct{ path, want string }{
		{fifo, "is a named pipe (FIFO), not a regular file"},
		{linkToFIFO, "is a named pipe (FIFO), not a regular file"},
		{dir, "is a directory, not a regular file"},
		{"/dev/zero", "is a character device, not a regular file"},
	} {
		_, _, err := OpenRegular(tt.path)
		require.EqualError(t, err, tt.want, tt.path)
		assert.ErrorIs(t, err, ErrNotRegular)
	}
	_, _, err = OpenRegular(filepath.Join(dir, "missing"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

// A regular file swapped for a FIFO between the check and the open is
// refused too, without blocking: the open does not wait for a writer, and
// what was opened is checked again.
func TestOpenRegularFIFOSwappedIn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shirt.png")
	require.NoError(t, os.WriteFile(path, []byte("soon a FIFO"), 0o644))
	defer func(orig func(string)) { beforeOpen = orig }(beforeOpen)
	beforeOpen = func(p string) {
		require.NoError(t, os.Remove(p))
		require.NoError(t, syscall.Mkfifo(p, 0o644))
	}
	_, _, err := OpenRegular(path)
	require.EqualError(t, err, "is a named pipe (FIFO), not a regular file")
	assert.ErrorIs(t, err, ErrNotRegular)
}
