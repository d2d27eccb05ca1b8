package savedmodel

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// replaceDir moves the complete directory tmp to dir, replacing what is
// there. rename(2) cannot replace a non-empty directory, so an existing dir
// is swapped with tmp in one step where the system can (exchangeDirs), else
// moved aside, then tmp moved in, then the old copy deleted; if the second
// rename fails the old copy is moved back. A reader of dir sees the old model
// or the new one, never a mix (in the fallback, for an instant, nothing).
//
// The old model is locked while it is moved aside and deleted, under a name
// of Write's temporaries, so that a concurrent Write's removeStaleTemps
// does not take it for a leftover and delete it under us.
func replaceDir(tmp, dir string) error {
	var oldLock *dirLock
	for attempt := 0; oldLock == nil; attempt++ {
		if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
			if err := os.Rename(tmp, dir); err != nil {
				return err
			}
			return syncFile(filepath.Dir(dir))
		}
		var err error
		oldLock, err = lockDir(dir)
		// A concurrent Write may replace or remove dir while we wait for
		// the lock: then look again.
		if err != nil && (attempt == 9 || !(errors.Is(err, errLockRaced) || errors.Is(err, os.ErrNotExist))) {
			return fmt.Errorf("locking the old model: %w", err)
		}
	}
	defer oldLock.Unlock()

	if err := exchangeDirs(tmp, dir); err == nil {
		// tmp now holds the old model.
		if err := syncFile(filepath.Dir(dir)); err != nil {
			return err
		}
		if err := os.RemoveAll(tmp); err != nil {
			return fmt.Errorf("new model in place, but removing the old one failed: %w", err)
		}
		return nil
	} else if !errors.Is(err, errNoExchange) {
		return err
	}

	old := tmp + ".old"
	if err := os.Rename(dir, old); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if rerr := os.Rename(old, dir); rerr != nil {
			return fmt.Errorf("%w; moving the old model back from %s also failed: %v", err, old, rerr)
		}
		return err
	}
	if err := syncFile(filepath.Dir(dir)); err != nil {
		return err
	}
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("new model in place, but removing the old one failed: %w", err)
	}
	return nil
}

// errLockRaced reports that a directory was removed or replaced while
// lockDir waited to lock it.
var errLockRaced = errors.New("removed or replaced before it could be locked")

// errNoExchange reports that the system or file system cannot swap two
// directories atomically.
var errNoExchange = errors.New("atomic exchange not supported")
