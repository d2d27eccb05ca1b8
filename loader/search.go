package loader

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// SystemDir is where Debian's dataset-fashion-mnist package installs the
// four gzipped files.
const SystemDir = "/usr/share/datasets/fashion-mnist"

const debianPackage = "dataset-fashion-mnist"

// Search says where [Search.Load] looks for the data, in field order; a
// Dir, when set, is the only place. An empty field, or a nil Download, is a
// place not searched; tests use that to keep away from the real home
// directory and network.
type Search struct {
	Dir        string      // a directory the caller names, such as cmd/train's -data
	KerasCache string      // where Python's load_data keeps the same files
	System     string      // Debian's copy
	Download   *Downloader // the last resort; it should write into KerasCache
}

// DefaultSearch is the search [Load] makes: dir if it is not "" (and then
// nothing else); otherwise the Keras cache as [KerasCacheDir] finds it,
// [SystemDir], and a download from [KerasBaseURL] into the Keras cache that
// shows its progress on standard error.
func DefaultSearch(dir string) Search {
	s := Search{Dir: dir, System: SystemDir}
	if cache, err := KerasCacheDir(); err == nil {
		s.KerasCache = cache
		s.Download = &Downloader{Dir: cache, Progress: os.Stderr}
	}
	return s
}

// KerasCacheDir returns the directory where keras.datasets.fashion_mnist
// caches its files: $KERAS_HOME/datasets/fashion-mnist if KERAS_HOME is
// set, as Keras honours it, and ~/.keras/datasets/fashion-mnist otherwise.
func KerasCacheDir() (string, error) {
	home := os.Getenv("KERAS_HOME")
	if home == "" {
		userHome, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		home = filepath.Join(userHome, ".keras")
	}
	return filepath.Join(home, "datasets", "fashion-mnist"), nil
}

// Load finds Fashion-MNIST as [DefaultSearch] describes and reads it. It is
// what cmd/train calls with its -data flag, which may be empty: a directory
// given is the only one read (see [Search.Load]).
func Load(dir string) (*Dataset, error) {
	return DefaultSearch(dir).Load(context.Background())
}

// Load reads the data from the first place that has all four files. A place
// with some of them is passed over, and so is one that does not exist; but
// once a place has all four, its verdict is final: a defective file there is
// reported, not silently replaced by another copy, so that a damaged cache
// gets noticed and the data trained on is always the data asked for.
//
// A directory the caller names (Dir) is not one place among others: it is
// the only one. If it does not exist, cannot be read or lacks any of the
// four files, Load says so, as [LoadDir] does, and neither searches the
// other places nor downloads: whoever names a directory means that data,
// and training quietly on another copy, or starting a download, would hide
// a typo or a half-copied directory.
//
// With no Dir, when no place has the files, the download runs (ctx bounds
// it) and the downloaded copy is read. If that fails too, the error is a
// [*NotFoundError] listing every place and how to provide the data.
func (s Search) Load(ctx context.Context) (*Dataset, error) {
	if s.Dir != "" {
		return loadDir(s.Dir, FromDir)
	}
	tried := []Attempt{{Place: placeName(FromDir), Reason: "not given"}}
	for _, p := range []struct {
		kind SourceKind
		dir  string
	}{
		{FromKerasCache, s.KerasCache},
		{FromSystem, s.System},
	} {
		place := placeName(p.kind)
		if p.dir == "" {
			tried = append(tried, Attempt{Place: place, Reason: "not given"})
			continue
		}
		paths, missing, err := locate(p.dir)
		switch {
		case err != nil:
			tried = append(tried, Attempt{Place: place, Dir: p.dir, Reason: describeDirError(err)})
		case len(missing) == len(paths):
			tried = append(tried, Attempt{Place: place, Dir: p.dir, Reason: "none of the four files"})
		case len(missing) > 0:
			tried = append(tried, Attempt{Place: place, Dir: p.dir, Reason: "missing " + strings.Join(missing, ", ")})
		default:
			return loadFiles(paths, Source{Kind: p.kind, Dir: p.dir})
		}
	}

	d := s.Download
	if d == nil {
		tried = append(tried, Attempt{Place: placeName(FromDownload), Reason: "not allowed"})
		return nil, &NotFoundError{Tried: tried}
	}
	if err := d.Fetch(ctx); err != nil {
		reason := err.Error()
		if de, ok := err.(*DownloadError); ok {
			reason = de.URL + ": " + de.Err.Error()
		}
		tried = append(tried, Attempt{Place: placeName(FromDownload), Dir: d.baseURL() + " into " + d.Dir, Reason: reason})
		return nil, &NotFoundError{Tried: tried, Download: err}
	}
	return loadDir(d.Dir, FromDownload)
}

func placeName(k SourceKind) string {
	switch k {
	case FromDir:
		return "named directory"
	case FromSystem:
		return "Debian package " + debianPackage
	}
	return k.String()
}

func describeDirError(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such directory"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	return err.Error()
}
