package savedmodel

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	"github.com/gokeras/fashion/internal/filekind"
)

// resolveTarget returns the absolute directory that Write replaces for dir:
// dir itself or, if dir is a symbolic link (to a link...), the path the link
// finally names, which need not exist yet. Write replaces that directory and
// leaves the link in place, so a link that points a fixed name at a
// directory elsewhere (another disk, a versioned folder) keeps working;
// replacing the link with a directory would silently cut it. Following is
// as atomic as writing to a plain directory: the new model is assembled
// beside the target, on its file system, and renamed over it.
func resolveTarget(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	p, err := filekind.FollowLinks(abs)
	if err != nil {
		return "", err
	}
	if filepath.Dir(p) == p {
		return "", fmt.Errorf("%s is the root directory", p)
	}
	return p, nil
}

// describeTarget names dir in errors, with the directory it resolves to if
// that is elsewhere.
func describeTarget(dir, target string) string {
	if abs, err := filepath.Abs(dir); err == nil && abs == target {
		return dir
	}
	return fmt.Sprintf("%s (a symbolic link to %s)", dir, target)
}

// The entries of a SavedModel directory: what this package, TensorFlow and
// Keras write there. Write replaces a directory holding these only, so it
// never deletes a file that someone put beside a model.
var (
	modelFiles = map[string]bool{
		savedModelPB: true, savedModelPBTxt: true, "saved_model.cpb": true,
		fingerprintPB: true, "keras_metadata.pb": true,
	}
	// Each directory's allowed files; nil allows anything (assets are the
	// model's own files, written by whoever exported it).
	modelDirs = map[string]*regexp.Regexp{
		variablesDir: regexp.MustCompile(`^` + variablesPrefix + `\.(index|data-\d{5}-of-\d{5})$`),
		"debug":      regexp.MustCompile(`^saved_model_debug_info\.pb$`),
		"assets":     nil,
	}
)

// checkReplaceable refuses a target that exists and is not an empty
// directory or a SavedModel directory holding only what models hold:
// replacing it would delete the rest. Errors name the first stranger.
func checkReplaceable(target string) error {
	info, err := os.Lstat(target)
	if filekind.Absent(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return errors.New("exists and is not a directory")
	}
	entries, err := os.ReadDir(target)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return nil
	}
	stranger := func(name, why string) error {
		return fmt.Errorf("exists and holds something other than a SavedModel: %s, %s; not replacing the directory, "+
			"which would delete it (move it away, or write the model elsewhere)", name, why)
	}
	hasGraph := false
	for _, e := range entries {
		name := e.Name()
		pattern, isDir := modelDirs[name]
		switch {
		case modelFiles[name]:
			if !e.Type().IsRegular() {
				return stranger(name, "which is "+filekind.Describe(e.Type())+" where a SavedModel has a file")
			}
			hasGraph = hasGraph || name == savedModelPB || name == savedModelPBTxt || name == "saved_model.cpb"
		case isDir:
			if !e.IsDir() {
				return stranger(name, "which is "+filekind.Describe(e.Type())+" where a SavedModel has a directory")
			}
			if pattern == nil {
				continue
			}
			inner, err := os.ReadDir(filepath.Join(target, name))
			if err != nil {
				return err
			}
			for _, f := range inner {
				if !pattern.MatchString(f.Name()) || !f.Type().IsRegular() {
					return stranger(filepath.Join(name, f.Name()), "which is not part of a SavedModel")
				}
			}
		default:
			return stranger(name, "which is not part of a SavedModel")
		}
	}
	if !hasGraph {
		return stranger("no "+savedModelPB, "so this is not a SavedModel")
	}
	return nil
}

// CheckWritable reports, without writing anything that stays, whether Write
// can put a model at dir: dir, or the directory it is a symbolic link to,
// must be absent, an empty directory or a SavedModel directory holding only
// what SavedModels hold, and its parent an existing directory where files
// can be created (tried, with a temporary directory removed at once).
// Commands call it before hours of training, so a bad output path is
// reported while nothing is lost. Errors name dir and the problem.
func CheckWritable(dir string) error {
	target, err := resolveTarget(dir)
	if err != nil {
		return fmt.Errorf("savedmodel: cannot write %s: %w", dir, err)
	}
	fail := func(err error) error {
		return fmt.Errorf("savedmodel: cannot write %s: %w", describeTarget(dir, target), err)
	}
	if err := checkReplaceable(target); err != nil {
		return fail(err)
	}
	parent := filepath.Dir(target)
	info, err := os.Stat(parent)
	if errors.Is(err, fs.ErrNotExist) {
		return fail(notExist(fmt.Sprintf("its parent directory %s does not exist", parent)))
	}
	if err != nil {
		return fail(err)
	}
	if !info.IsDir() {
		return fail(fmt.Errorf("its parent %s is not a directory", parent))
	}
	probe, err := os.MkdirTemp(parent, tempPrefix(target)+fmt.Sprint(os.Getpid())+"-*")
	if err != nil {
		return fail(fmt.Errorf("cannot create files in %s: %w", parent, err))
	}
	if err := os.Remove(probe); err != nil {
		return fail(err)
	}
	return nil
}
