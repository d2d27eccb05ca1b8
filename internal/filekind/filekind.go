// Package filekind names the kinds of files that input and output checks
// meet, and follows symbolic links the way writing to a path does. The
// commands and packages that refuse FIFOs, devices and directories where
// they expect a regular file (cmd/predict, kerasfile, savedmodel) and those
// that write through symbolic links (cmd/train, savedmodel) share it, so
// that a user reads the same words from all of them.
package filekind

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Describe names a file's kind for an error message: "a directory",
// "a named pipe (FIFO)", "a character device", ...
func Describe(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "a regular file"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "an irregular file (" + m.Type().String() + ")"
}

// MaxLinks bounds the symbolic links FollowLinks follows, as the kernel
// does (ELOOP).
const MaxLinks = 40

// FollowLinks returns the path that path's final symbolic links lead to.
// Unlike filepath.EvalSymlinks it accepts a link to a file that does not
// exist yet, which writing creates; so it stops at the first name that is
// absent or not a link.
func FollowLinks(path string) (string, error) {
	p := filepath.Clean(path)
	for range MaxLinks + 1 {
		info, err := os.Lstat(p)
		if Absent(err) || (err == nil && info.Mode()&fs.ModeSymlink == 0) {
			return p, nil
		}
		if err != nil {
			return "", err
		}
		link, err := os.Readlink(p)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(link) {
			// Relative to the link's real directory: joining ".." lexically
			// to a path through other links goes elsewhere than the kernel.
			parent, err := filepath.EvalSymlinks(filepath.Dir(p))
			if err != nil {
				return "", err
			}
			link = filepath.Join(parent, link)
		}
		p = filepath.Clean(link)
	}
	return "", fmt.Errorf("more than %d symbolic links to follow", MaxLinks)
}

// Absent reports whether err says a path does not exist, including a path
// through a file where a directory should be (ENOTDIR).
func Absent(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}
