//go:build unix

package tfmodel

import (
	"errors"
	"syscall"
)

// tryFlock takes an exclusive flock(2) on fd without waiting. busy is true
// when another open file holds it (in this process or another).
func tryFlock(fd uintptr) (busy bool, err error) {
	for {
		err = syscall.Flock(int(fd), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	switch {
	case err == nil:
		return false, nil
	case errors.Is(err, syscall.EWOULDBLOCK):
		return true, nil
	case errors.Is(err, syscall.ENOLCK), errors.Is(err, syscall.EOPNOTSUPP):
		// A file system without locks (some network ones): training
		// unguarded beats not training; the lock is a safety net.
		return false, nil
	}
	return false, err
}
