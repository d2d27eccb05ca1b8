package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/gokeras/fashion/internal/filekind"
)

// errNotRegular is what errors.Is finds in the error for a path that is not
// a regular file.
var errNotRegular = filekind.ErrNotRegular

// notRegularError names what a path is instead of a regular file.
type notRegularError struct{ mode fs.FileMode }

func (e notRegularError) Error() string {
	if e.mode.IsDir() {
		return "is a directory, not an image file"
	}
	return "is " + filekind.Describe(e.mode) + ", not a regular file"
}

func (e notRegularError) Is(target error) bool { return target == errNotRegular }

// openRegular opens path for reading if it is a regular file. Anything else
// is refused before it is opened (filekind.OpenRegular): opening a FIFO
// blocks until a writer comes, which may be never, and reading a device
// (/dev/zero, a terminal) may never end, so either would keep predict from
// answering and from looking at its signals. Symbolic links are followed.
func openRegular(path string) (*os.File, fs.FileInfo, error) {
	f, info, err := filekind.OpenRegular(path)
	var nr *filekind.NotRegularError
	if errors.As(err, &nr) {
		return nil, nil, notRegularError{nr.Mode}
	}
	return f, info, err
}

// readFile reads the regular file at path whole, refusing one of more than
// maxFileBytes before reading it. The buffer is sized from the file's size
// once, so reading costs the file's size in memory and not the doublings of
// a growing buffer; a file that grows while it is read is still cut off just
// past the limit.
func readFile(path string) ([]byte, error) {
	f, info, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if info.Size() > maxFileBytes {
		return nil, fileTooLarge(info.Size())
	}
	data := make([]byte, 0, info.Size()+1) // +1: room to see the end without growing
	r := io.LimitReader(f, maxFileBytes+1)
	for {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		n, err := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if len(data) > maxFileBytes {
		return nil, fileTooLarge(int64(len(data)))
	}
	return data, nil
}

func fileTooLarge(size int64) error {
	return fmt.Errorf("file of %d bytes is larger than the %d MiB limit", size, maxFileBytes>>20)
}
