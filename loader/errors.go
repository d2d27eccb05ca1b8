package loader

import (
	"errors"
	"strings"
)

// Defects a file can have. Every error from this package that concerns one
// file is a [*FileError] naming it, wrapping one of these, so a caller can
// test with errors.Is and a person can read which file is wrong and how.
var (
	ErrEmpty         = errors.New("empty file")
	ErrBadMagic      = errors.New("wrong magic number")
	ErrBadDims       = errors.New("wrong dimensions")
	ErrTruncated     = errors.New("truncated")
	ErrTrailingData  = errors.New("trailing data")
	ErrCorruptGzip   = errors.New("corrupt gzip")
	ErrBadLabel      = errors.New("label above 9")
	ErrCountMismatch = errors.New("image and label counts disagree")
	ErrDigest        = errors.New("SHA-256 mismatch")
)

// ErrNotFound is matched by the error [Load] returns when no place it
// searched had the data and the download did not supply it either.
var ErrNotFound = errors.New("Fashion-MNIST not found")

// ErrDownload is matched by every [*DownloadError].
var ErrDownload = errors.New("download failed")

// FileError reports a defect in one file, or a failure to read it.
type FileError struct {
	Path string
	Err  error
}

func (e *FileError) Error() string { return "loader: " + e.Path + ": " + e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

// DownloadError reports a failed download of one file. Nothing is left in
// the cache directory when it happens.
type DownloadError struct {
	URL string
	Err error
}

func (e *DownloadError) Error() string {
	return "loader: download " + e.URL + ": " + e.Err.Error()
}
func (e *DownloadError) Unwrap() error { return e.Err }

// Is makes every DownloadError match [ErrDownload], whatever its cause.
func (e *DownloadError) Is(target error) bool { return target == ErrDownload }

// Attempt is one place [Search.Load] looked, and why it did not serve.
type Attempt struct {
	Place  string // e.g. "Keras cache"
	Dir    string // or the base URL, for the download
	Reason string
}

// NotFoundError lists every place [Search.Load] tried, in order, and tells
// how to provide the data.
type NotFoundError struct {
	Tried []Attempt
	// Download is the download's error, if one was attempted.
	Download error
}

func (e *NotFoundError) Error() string {
	var b strings.Builder
	b.WriteString("loader: Fashion-MNIST not found; tried, in order:")
	for _, a := range e.Tried {
		b.WriteString("\n  - " + a.Place)
		if a.Dir != "" {
			b.WriteString(" " + a.Dir)
		}
		b.WriteString(": " + a.Reason)
	}
	b.WriteString("\nProvide it in any one of these ways:" +
		"\n  - name a directory holding " + fileList() + " (gzipped or not), e.g. cmd/train -data DIR;" +
		"\n  - run the Python tutorial's keras.datasets.fashion_mnist.load_data() once, which fills the Keras cache;" +
		"\n  - install the Debian package: apt-get install " + debianPackage + ";" +
		"\n  - allow the download from " + KerasBaseURL + " (network access, a writable Keras cache).")
	return b.String()
}

// Unwrap lets errors.Is match both [ErrNotFound] and the download's cause.
func (e *NotFoundError) Unwrap() []error {
	if e.Download != nil {
		return []error{ErrNotFound, e.Download}
	}
	return []error{ErrNotFound}
}

func fileList() string {
	var names []string
	for _, s := range specs() {
		names = append(names, s.name)
	}
	return strings.Join(names, ", ")
}
