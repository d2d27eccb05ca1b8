package main

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gokeras/fashion/internal/filekind"
	"github.com/gokeras/fashion/savedmodel"
)

// The checks of this file run before training, on every path the command
// will write, so that a bad one fails while nothing is lost. Each refuses
// to replace what the command did not write.

// checkModelDir checks -out: savedmodel.CheckWritable refuses a directory
// that holds anything but a SavedModel, and follows a symbolic link (Write
// replaces the directory it points to, not the link). Its parent is
// created first, as the default out/model needs in a fresh checkout.
func checkModelDir(dir string) error {
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(filepath.Clean(dir)), 0o755); err != nil {
			return fmt.Errorf("cannot create its parent: %w", err)
		}
	}
	return savedmodel.CheckWritable(dir)
}

// checkKerasFile checks -keras and returns the path to write: the file
// itself, or, for a symbolic link, the file it points to, so that writing
// it (a new file renamed into place) keeps the link. An existing file must
// be a .keras file, as Keras or this command write them (a zip archive
// with a config.json), or empty: anything else would be lost.
func checkKerasFile(path string) (string, error) {
	target, err := filekind.FollowLinks(path)
	if err != nil {
		return "", err
	}
	info, err := os.Stat(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return "", err
	case info.IsDir():
		return "", fmt.Errorf("%s is a directory, not a .keras file", describeLink(path, target))
	case !info.Mode().IsRegular():
		return "", fmt.Errorf("%s exists and is not a regular file; not replacing it", describeLink(path, target))
	case info.Size() > 0:
		if err := isKerasArchive(target); err != nil {
			return "", fmt.Errorf("%s exists and is not a .keras file (%v); not replacing it (move it away, or write the model elsewhere)", describeLink(path, target), err)
		}
	}
	if err := checkWritable(filepath.Dir(target)); err != nil {
		return "", err
	}
	return target, nil
}

// isKerasArchive tells whether a file is a Keras 3 archive: a zip holding
// config.json. Only the zip's directory is read.
func isKerasArchive(path string) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return errors.New("not a zip archive")
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name == "config.json" {
			return nil
		}
	}
	return errors.New("a zip archive without config.json")
}

func describeLink(path, target string) string {
	if filepath.Clean(path) == target {
		return path
	}
	return fmt.Sprintf("%s (a symbolic link to %s)", path, target)
}

// pngSignature starts every PNG file.
var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// checkPlotsDir checks -plots: a directory (created if need be) where the
// files drawPlots writes are absent, empty, or PNG files, which it
// replaces. Other files in the directory are left alone; a file of one of
// those names that is something else, or a symbolic link (writing would
// replace the link by a file), is refused.
func checkPlotsDir(dir string) error {
	if err := checkWritable(dir); err != nil {
		return err
	}
	for _, name := range plotNames {
		p := filepath.Join(dir, name)
		info, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return fmt.Errorf("%s exists and is not a regular file (%s); not replacing it: only the PNG files this command writes are replaced", name, kindOf(info.Mode()))
		}
		if info.Size() == 0 {
			continue
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		head := make([]byte, len(pngSignature))
		_, err = io.ReadFull(f, head)
		f.Close()
		if err != nil || !bytes.Equal(head, pngSignature) {
			return fmt.Errorf("%s exists and is not a PNG file; not replacing it: only the PNG files this command writes are replaced", name)
		}
	}
	return nil
}

func kindOf(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "a special file"
}

// checkWritable makes sure a directory can be created or written where dir
// says (for -plots, -checkpoint-dir, -logdir and the .keras file's
// directory, which the command writes into, never replaces). It leaves
// nothing behind but the directories it had to create.
func checkWritable(dir string) error {
	parent := filepath.Dir(filepath.Clean(dir))
	if info, err := os.Stat(dir); err == nil {
		if !info.IsDir() {
			return fmt.Errorf("exists and is not a directory")
		}
		parent = dir
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("cannot create: %w", err)
	}
	f, err := os.CreateTemp(parent, ".train-check-*")
	if err != nil {
		return fmt.Errorf("cannot write: %w", err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}
