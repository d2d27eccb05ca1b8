//go:build unix

package savedmodel

import (
	"errors"
	"os"
	"syscall"
)

// dirLock is an exclusive flock(2) on a directory, held through an open
// descriptor; the kernel releases it when the process dies.
type dirLock struct{ f *os.File }

// lockDir locks the directory at path, waiting for another holder (only a
// removeStaleTemps or replaceDir, briefly) to let go. It fails with
// errLockRaced if path was removed or replaced before the lock was taken,
// so the caller never works in a directory that is no longer there.
func lockDir(path string) (*dirLock, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	// A file system without locks (some network ones) leaves the
	// directory unlocked; tryLockDir fails there too, so no one takes it
	// for a leftover.
	if err := flock(f, syscall.LOCK_EX); err != nil && !errors.Is(err, syscall.ENOLCK) && !errors.Is(err, syscall.EOPNOTSUPP) {
		f.Close()
		return nil, err
	}
	locked, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	now, err := os.Lstat(path)
	if err != nil || !os.SameFile(locked, now) {
		f.Close()
		return nil, errLockRaced
	}
	return &dirLock{f}, nil
}

// tryLockDir locks the directory at path if no one holds it.
func tryLockDir(path string) (*dirLock, bool) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	if err := flock(f, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, false
	}
	return &dirLock{f}, true
}

func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// Unlock releases the lock; a nil lock is a no-op.
func (l *dirLock) Unlock() {
	if l != nil {
		l.f.Close()
	}
}
