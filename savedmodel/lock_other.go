//go:build !unix

package savedmodel

// dirLock is a no-op where flock(2) is missing: there, removeStaleTemps
// cannot tell a leftover from a save in progress and leaves both.
type dirLock struct{}

func lockDir(path string) (*dirLock, error) { return &dirLock{}, nil }

func tryLockDir(path string) (*dirLock, bool) { return nil, false }

func (l *dirLock) Unlock() {}
