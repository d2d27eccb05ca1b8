package filekind

import (
	"errors"
	"io/fs"
	"os"
)

// ErrNotRegular is matched (errors.Is) by the error OpenRegular returns for
// a path that is not a regular file.
var ErrNotRegular = errors.New("not a regular file")

// NotRegularError says what a path is instead of a regular file.
type NotRegularError struct{ Mode fs.FileMode }

func (e *NotRegularError) Error() string {
	return "is " + Describe(e.Mode) + ", not a regular file"
}

func (e *NotRegularError) Is(target error) bool { return target == ErrNotRegular }

// beforeOpen runs between OpenRegular's check of the path and its open. It
// does nothing but in tests, which swap a FIFO in there to check that the
// race is closed.
var beforeOpen = func(path string) {}

// OpenRegular opens path for reading only if it is a regular file (after
// following symbolic links). A FIFO would block the open until a writer
// came, and a device could be read forever, so the kind is checked before
// opening; the open does not wait on a FIFO swapped in meanwhile, and the
// opened file is checked again, so the caller reads what was checked.
func OpenRegular(path string) (*os.File, fs.FileInfo, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, nil, &NotRegularError{info.Mode()}
	}
	beforeOpen(path)
	f, err := os.OpenFile(path, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, nil, err
	}
	if info, err = f.Stat(); err == nil && !info.Mode().IsRegular() {
		err = &NotRegularError{info.Mode()}
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, info, nil
}
