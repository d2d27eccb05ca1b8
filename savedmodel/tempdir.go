package savedmodel

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"
)

// Write assembles a model in a hidden sibling of its target, named
// ".<target>.tmp-<pid>-<random>", and holds an exclusive flock(2) on that
// directory until it is renamed into place or removed. A save killed
// midway leaves it behind, unlocked: the kernel drops a dead process's
// locks. The next Write to the same target removes such leftovers, and only
// those: names of exactly that form whose lock it can take, so another
// process's save in progress is left alone. The pid in the name is for
// people; pids are reused, locks are not.
//
// Versions before the lock named temporaries ".<target>.tmp-<random>";
// having no lock to test, those are removed once older than legacyTempAge,
// far longer than any save takes.
const legacyTempAge = time.Hour

// tempPrefix is the start of the names of target's temporaries.
func tempPrefix(target string) string {
	return "." + filepath.Base(target) + ".tmp-"
}

// tempNames matches the temporaries of target, and the ".old" copies that
// replaceDir moves aside where it cannot swap directories atomically:
// submatch 1 is the pid of a locked one, empty for a legacy one.
func tempNames(target string) *regexp.Regexp {
	return regexp.MustCompile(`^` + regexp.QuoteMeta(tempPrefix(target)) + `(?:(\d+)-)?\d+(?:\.old)?$`)
}

// newTemp creates and locks a new temporary directory for target. The lock
// is taken after the directory exists, so a concurrent Write may remove it
// in between, taking it for a leftover: then try again.
func newTemp(target string) (string, *dirLock, error) {
	pattern := tempPrefix(target) + strconv.Itoa(os.Getpid()) + "-*"
	for attempt := 0; ; attempt++ {
		tmp, err := os.MkdirTemp(filepath.Dir(target), pattern)
		if err != nil {
			return "", nil, err
		}
		lock, err := lockDir(tmp)
		if err == nil {
			return tmp, lock, nil
		}
		os.RemoveAll(tmp)
		if attempt == 2 {
			return "", nil, fmt.Errorf("locking %s: %w", tmp, err)
		}
	}
}

// removeStaleTemps removes target's temporaries that no live Write holds.
// It is best effort: a leftover it cannot remove costs disk space, not
// correctness, so its errors do not fail the Write.
func removeStaleTemps(target string) {
	parent := filepath.Dir(target)
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	names := tempNames(target)
	for _, e := range entries {
		m := names.FindStringSubmatch(e.Name())
		if m == nil || !e.IsDir() {
			continue
		}
		path := filepath.Join(parent, e.Name())
		if m[1] == "" {
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) > legacyTempAge {
				os.RemoveAll(path)
			}
			continue
		}
		lock, ok := tryLockDir(path)
		if !ok {
			continue // a save in progress, or a directory we cannot lock
		}
		os.RemoveAll(path)
		lock.Unlock()
	}
}
