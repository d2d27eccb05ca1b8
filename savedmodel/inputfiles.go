package savedmodel

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gokeras/fashion/internal/filekind"
)

// DefaultMaxFileSize caps each file that Load, or the C loader after it,
// reads whole: saved_model.pb (or .pbtxt), fingerprint.pb,
// debug/saved_model_debug_info.pb and variables/variables.index.
//
// Protocol buffers cannot exceed 2 GiB (TensorFlow writes bigger SavedModels
// as a chunked saved_model.cpb, which the C loader does not read), but a
// parsed message takes a few times its size in memory, in Go and again in
// the C loader, so a 2 GiB file could cost 10 GiB. 1 GiB leaves that
// worst case within a server's reach while staying four orders of magnitude
// above real models: weights live in variables/, not in saved_model.pb,
// which is 100 KB for this project's model and well under 100 MB for any
// Keras export.
const DefaultMaxFileSize int64 = 1 << 30

// statInput checks that name (relative to dir) is a regular file of at most
// limit bytes (no limit if limit < 0) before anything opens it: a FIFO would
// block the opener forever and a device can be endless. It follows symbolic
// links, as the C loader does. A missing file is reported with
// fs.ErrNotExist.
func statInput(dir, name string, limit int64) (fs.FileInfo, error) {
	info, err := os.Stat(filepath.Join(dir, name))
	if err != nil {
		return nil, err
	}
	if err := checkRegular(name, info, limit); err != nil {
		return nil, err
	}
	return info, nil
}

func checkRegular(name string, info fs.FileInfo, limit int64) error {
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s is %s, not a regular file", name, filekind.Describe(info.Mode()))
	}
	if limit >= 0 && info.Size() > limit {
		return fmt.Errorf("%s is %d bytes (%s), over the limit of %d bytes (%s)",
			name, info.Size(), byteSize(info.Size()), limit, byteSize(limit))
	}
	return nil
}

// byteSize renders n in binary units for people, next to the exact count.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, suffix := float64(n)/unit, "KiB"
	for _, s := range []string{"MiB", "GiB", "TiB", "PiB"} {
		if v < unit {
			break
		}
		v, suffix = v/unit, s
	}
	return fmt.Sprintf("%.1f %s", v, suffix)
}

// readInput reads name (relative to dir) whole after statInput's checks.
// It opens without blocking, in case a FIFO was swapped in after the stat,
// checks again what it opened, and reads through a LimitReader, so a file
// that grows while it is read is refused rather than read past limit.
func readInput(dir, name string, limit int64) ([]byte, error) {
	info, err := statInput(dir, name, limit)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	opened, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := checkRegular(name, opened, limit); err != nil {
		return nil, err
	}
	if !os.SameFile(info, opened) {
		return nil, fmt.Errorf("%s was replaced while being opened", name)
	}
	return readLimited(f, name, opened.Size(), limit)
}

// readLimited reads r to its end, refusing more than limit bytes (no limit
// if limit < 0); size, the length expected, only sizes the buffer.
func readLimited(r io.Reader, name string, size, limit int64) ([]byte, error) {
	if limit < 0 {
		limit = 1<<63 - 2
	}
	var buf bytes.Buffer
	if size > 0 && size <= limit {
		buf.Grow(int(size) + 1)
	}
	n, err := buf.ReadFrom(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if n > limit {
		return nil, fmt.Errorf("%s grew past the limit of %d bytes (%s) while being read", name, limit, byteSize(limit))
	}
	return buf.Bytes(), nil
}

// Files of a SavedModel directory, beyond saved_model.pb and variables/,
// that TensorFlow's C loader reads whole when they exist.
const (
	fingerprintPB = "fingerprint.pb"
	debugInfoPB   = "debug/saved_model_debug_info.pb"
)

// checkLoaderInputs applies statInput's checks to the files the C loader
// opens after Load has read saved_model.pb: it would block forever on a
// FIFO, and read a huge metadata file whole. The checkpoint's data shards
// are read piecewise, tensor by tensor, so they need only be regular files.
func checkLoaderInputs(dir string, limit int64) error {
	vdir := filepath.Join(dir, variablesDir)
	vinfo, err := os.Stat(vdir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err == nil && !vinfo.IsDir() {
		// Listing a FIFO would block too.
		return fmt.Errorf("%s is %s, not a directory", variablesDir, filekind.Describe(vinfo.Mode()))
	}
	for _, name := range []string{fingerprintPB, debugInfoPB, filepath.Join(variablesDir, variablesPrefix+".index")} {
		if _, err := statInput(dir, name, limit); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if vinfo == nil {
		return nil
	}
	// Not filepath.Glob: dir may hold pattern characters.
	entries, err := os.ReadDir(vdir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), variablesPrefix+".data-") {
			continue
		}
		if _, err := statInput(dir, filepath.Join(variablesDir, e.Name()), -1); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}
