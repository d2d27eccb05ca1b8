//go:build !unix

package tfmodel

// tryFlock does nothing where flock(2) is missing: the checkpoint directory
// is not guarded against a second trainer there.
func tryFlock(uintptr) (busy bool, err error) { return false, nil }
