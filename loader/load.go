package loader

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// LoadDir reads the four Fashion-MNIST files from exactly one directory,
// each either gzipped (the name ending in .gz, as Keras and Debian keep
// them) or not; if both are there the uncompressed one is read, being
// faster. It reports every defect of every file, not just the first.
//
// Beyond parsing, LoadDir checks that the images and labels of each split
// agree in number and that the content is, byte for byte, the published
// data set (see the package comment), so a Dataset it returns is the one the
// Python tutorial trains on.
func LoadDir(dir string) (*Dataset, error) {
	return loadDir(dir, FromDir)
}

func loadDir(dir string, kind SourceKind) (*Dataset, error) {
	paths, missing, err := locate(dir)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is already in the FileError
		}
		return nil, &FileError{Path: dir, Err: err}
	}
	if len(missing) > 0 {
		return nil, &FileError{Path: dir, Err: fmt.Errorf("%w: no %s", fs.ErrNotExist, strings.Join(missing, ", no "))}
	}
	return loadFiles(paths, Source{Kind: kind, Dir: dir})
}

// locate finds the four files in dir, returning their paths in specs()
// order and the names of those it could not find.
func locate(dir string) (paths [4]string, missing []string, err error) {
	st, err := os.Stat(dir)
	if err != nil {
		return paths, nil, err
	}
	if !st.IsDir() {
		return paths, nil, errors.New("not a directory")
	}
	for i, s := range specs() {
		for _, name := range []string{s.name, s.gzName()} {
			p := filepath.Join(dir, name)
			st, err := os.Stat(p)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				// A directory that can be listed but not searched (no x
				// bit) is unreadable, not empty: say so.
				return paths, nil, err
			}
			if err == nil && st.Mode().IsRegular() {
				paths[i] = p
				break
			}
		}
		if paths[i] == "" {
			missing = append(missing, s.name+"[.gz]")
		}
	}
	return paths, missing, nil
}

// loadFiles decodes the four files at once, the big training images
// starting first since they take most of the time, and then checks them
// against each other and against the published digests.
func loadFiles(paths [4]string, src Source) (*Dataset, error) {
	sp := specs()
	var (
		res  [4]idxData
		errs [4]error
		wg   sync.WaitGroup
	)
	for i := range sp {
		wg.Go(func() { res[i], errs[i] = readIDXFile(paths[i], sp[i].kind, uint32(sp[i].count)) })
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}

	var problems []error
	for _, p := range [][2]int{{0, 1}, {2, 3}} {
		img, lab := p[0], p[1]
		if res[img].n != res[lab].n {
			problems = append(problems, &FileError{Path: paths[lab], Err: fmt.Errorf(
				"%w: %d labels for the %d images in %s", ErrCountMismatch, res[lab].n, res[img].n, paths[img])})
		}
	}
	if len(problems) > 0 {
		// Files that disagree in number cannot be the published ones;
		// four digest mismatches on top would only bury the reason.
		return nil, errors.Join(problems...)
	}
	for i, s := range sp {
		if got := hex.EncodeToString(res[i].sum[:]); got != s.dataSHA256 {
			problems = append(problems, &FileError{Path: paths[i], Err: fmt.Errorf(
				"%w: the decompressed content has SHA-256 %s, want %s: it is not the published %s",
				ErrDigest, got, s.dataSHA256, s.name)})
		}
	}
	if err := errors.Join(problems...); err != nil {
		return nil, err
	}
	return &Dataset{
		Train:  Split{Images: res[0].data, Labels: res[1].data},
		Test:   Split{Images: res[2].data, Labels: res[3].data},
		Source: src,
	}, nil
}
