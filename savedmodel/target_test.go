//go:build unix

package savedmodel_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/savedmodel"
)

// loadPredicts asserts the model at dir predicts what tr does.
func loadPredicts(t *testing.T, dir string, tr *trained) {
	t.Helper()
	ts := loadTestSet(t, 20)
	m, err := savedmodel.Load(dir)
	require.NoError(t, err)
	defer m.Close()
	got, err := predictImages(m, ts.images, ts.n)
	require.NoError(t, err)
	assertSameFloats(t, tr.predict(t, ts.images, ts.n), got, "the model at "+dir)
}

// TestWriteFollowsSymlink: writing to a symbolic link replaces the
// directory it points to and leaves the link as it was.
func TestWriteFollowsSymlink(t *testing.T) {
	oldModel, newModel := newTrained(t, fashion, 31), newTrained(t, fashion, 32)
	tests := []struct {
		name string
		// setup makes parent/out a link (or chain of links) and returns
		// the directory it finally points to.
		setup func(t *testing.T, parent string) string
	}{
		{"relative link to a model", func(t *testing.T, parent string) string {
			writeModel(t, oldModel, filepath.Join(parent, "real"), false)
			require.NoError(t, os.Symlink("real", filepath.Join(parent, "out")))
			return filepath.Join(parent, "real")
		}},
		{"absolute link to a model in another directory", func(t *testing.T, parent string) string {
			real := filepath.Join(t.TempDir(), "models", "v1")
			require.NoError(t, os.MkdirAll(filepath.Dir(real), 0o755))
			writeModel(t, oldModel, real, false)
			require.NoError(t, os.Symlink(real, filepath.Join(parent, "out")))
			return real
		}},
		{"chain of links", func(t *testing.T, parent string) string {
			writeModel(t, oldModel, filepath.Join(parent, "real"), false)
			require.NoError(t, os.Symlink("real", filepath.Join(parent, "middle")))
			require.NoError(t, os.Symlink("middle", filepath.Join(parent, "out")))
			return filepath.Join(parent, "real")
		}},
		{"link to an empty directory", func(t *testing.T, parent string) string {
			require.NoError(t, os.Mkdir(filepath.Join(parent, "real"), 0o755))
			require.NoError(t, os.Symlink("real", filepath.Join(parent, "out")))
			return filepath.Join(parent, "real")
		}},
		{"dangling link", func(t *testing.T, parent string) string {
			require.NoError(t, os.Symlink("real", filepath.Join(parent, "out")))
			return filepath.Join(parent, "real")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			real := tc.setup(t, parent)
			out := filepath.Join(parent, "out")
			linkBefore, err := os.Readlink(out)
			require.NoError(t, err)

			require.NoError(t, savedmodel.CheckWritable(out))
			writeModel(t, newModel, out, false)

			info, err := os.Lstat(out)
			require.NoError(t, err)
			assert.Equal(t, fs.ModeSymlink, info.Mode().Type(), "out is still a symbolic link")
			linkAfter, err := os.Readlink(out)
			require.NoError(t, err)
			assert.Equal(t, linkBefore, linkAfter, "the link is unchanged")
			info, err = os.Lstat(real)
			require.NoError(t, err)
			assert.True(t, info.IsDir(), "the target is a directory")
			loadPredicts(t, real, newModel)
			loadPredicts(t, out, newModel)
			for _, name := range entries(t, filepath.Dir(real)) {
				assert.NotContains(t, name, ".tmp-", "no temporary left beside the target")
			}
		})
	}

	t.Run("link loop", func(t *testing.T) {
		parent := t.TempDir()
		require.NoError(t, os.Symlink("b", filepath.Join(parent, "a")))
		require.NoError(t, os.Symlink("a", filepath.Join(parent, "b")))
		err := savedmodel.Write(filepath.Join(parent, "a"), exportOf(t, newModel, false))
		require.ErrorContains(t, err, "more than 40 symbolic links to follow")
	})
}

// TestWriteRefusesForeignFiles: Write replaces a directory only if it holds
// nothing but what SavedModels hold; otherwise it names the first other
// file and deletes nothing.
func TestWriteRefusesForeignFiles(t *testing.T) {
	oldModel, newModel := newTrained(t, fashion, 33), newTrained(t, fashion, 34)
	put := func(name, content string) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) {
			path := filepath.Join(dir, name)
			require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
			require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
		}
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  string // "" when Write must replace the directory
		keep  string // the file that must survive a refusal
	}{
		{"a note beside the model", put("notes.txt", "mine"),
			"exists and holds something other than a SavedModel: notes.txt, which is not part of a SavedModel", "notes.txt"},
		{"a file in variables/", put("variables/README", "mine"),
			"variables/README, which is not part of a SavedModel", "variables/README"},
		{"TensorFlow Serving warmup data", put("assets.extra/tf_serving_warmup_requests", "mine"),
			"assets.extra, which is not part of a SavedModel", "assets.extra/tf_serving_warmup_requests"},
		{"a directory of photos", put("photos/holiday.jpg", "precious"),
			"photos, which is not part of a SavedModel", "photos/holiday.jpg"},
		{"saved_model.pb as a symbolic link", func(t *testing.T, dir string) {
			put("elsewhere.pb", "x")(t, filepath.Dir(dir))
			require.NoError(t, os.Remove(filepath.Join(dir, "saved_model.pb")))
			require.NoError(t, os.Symlink("../elsewhere.pb", filepath.Join(dir, "saved_model.pb")))
		}, "saved_model.pb, which is a symbolic link where a SavedModel has a file", "saved_model.pb"},
		{"variables as a file", func(t *testing.T, dir string) {
			require.NoError(t, os.RemoveAll(filepath.Join(dir, "variables")))
			put("variables", "mine")(t, dir)
		}, "variables, which is a regular file where a SavedModel has a directory", "variables"},
		{"no saved_model.pb", func(t *testing.T, dir string) {
			require.NoError(t, os.Remove(filepath.Join(dir, "saved_model.pb")))
		}, "no saved_model.pb, so this is not a SavedModel", "variables/variables.index"},
		{"what TensorFlow and Keras write", func(t *testing.T, dir string) {
			for _, name := range []string{"fingerprint.pb", "keras_metadata.pb", "assets/vocab.txt", "debug/saved_model_debug_info.pb"} {
				put(name, "x")(t, dir)
			}
		}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "model")
			writeModel(t, oldModel, dir, false)
			tc.setup(t, dir)
			before := dirSnapshot(t, dir)
			parentBefore := entries(t, parent)

			checkErr := savedmodel.CheckWritable(dir)
			err := savedmodel.Write(dir, exportOf(t, newModel, false))
			if tc.want == "" {
				require.NoError(t, checkErr)
				require.NoError(t, err)
				loadPredicts(t, dir, newModel)
				assert.NoFileExists(t, filepath.Join(dir, "assets", "vocab.txt"), "the old model's files went with it")
				return
			}
			require.Error(t, err)
			t.Log(err)
			assert.Contains(t, err.Error(), "savedmodel: write "+dir+": ")
			assert.Contains(t, err.Error(), tc.want)
			require.Error(t, checkErr, "CheckWritable refuses what Write refuses")
			assert.Contains(t, checkErr.Error(), "savedmodel: cannot write "+dir+": ")
			assert.Contains(t, checkErr.Error(), tc.want)
			assert.Equal(t, before, dirSnapshot(t, dir), "nothing deleted or changed")
			assert.FileExists(t, filepath.Join(dir, tc.keep))
			assert.Equal(t, parentBefore, entries(t, parent), "no temporary left")
		})
	}
}

// unwritableDir returns an existing directory in which creating a file
// fails, even for root, or skips the test.
func unwritableDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "readonly")
	require.NoError(t, os.Mkdir(dir, 0o555))
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	for _, candidate := range []string{dir, "/sys", "/proc"} {
		probe := filepath.Join(candidate, "fashion-probe")
		if err := os.Mkdir(probe, 0o755); err != nil {
			return candidate
		}
		os.Remove(probe)
	}
	t.Skip("no unwritable directory found: running as root with /sys and /proc writable")
	return ""
}

// TestCheckWritable: the output path check that commands run before
// training refuses what Write would refuse, and leaves nothing behind.
func TestCheckWritable(t *testing.T) {
	tr := newTrained(t, fashion, 35)
	tests := []struct {
		name  string
		setup func(t *testing.T, parent string) string // returns the path to check
		want  string                                   // "" when writable; PARENT stands for the test's directory
	}{
		{"new directory", func(t *testing.T, parent string) string { return filepath.Join(parent, "model") }, ""},
		{"empty directory", func(t *testing.T, parent string) string {
			dir := filepath.Join(parent, "model")
			require.NoError(t, os.Mkdir(dir, 0o755))
			return dir
		}, ""},
		{"existing model", func(t *testing.T, parent string) string {
			dir := filepath.Join(parent, "model")
			writeModel(t, tr, dir, false)
			return dir
		}, ""},
		{"directory with other files", func(t *testing.T, parent string) string {
			dir := filepath.Join(parent, "model")
			require.NoError(t, os.Mkdir(dir, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "thesis.tex"), []byte("mine"), 0o644))
			return dir
		}, "holds something other than a SavedModel: thesis.tex"},
		{"a file", func(t *testing.T, parent string) string {
			path := filepath.Join(parent, "model")
			require.NoError(t, os.WriteFile(path, []byte("x"), 0o644))
			return path
		}, "exists and is not a directory"},
		{"missing parent", func(t *testing.T, parent string) string {
			return filepath.Join(parent, "no", "such", "model")
		}, "its parent directory PARENT/no/such does not exist"},
		{"parent is a file", func(t *testing.T, parent string) string {
			require.NoError(t, os.WriteFile(filepath.Join(parent, "file"), []byte("x"), 0o644))
			return filepath.Join(parent, "file", "model")
		}, "PARENT/file is not a directory"},
		{"unwritable parent", func(t *testing.T, parent string) string {
			return filepath.Join(unwritableDir(t), "model")
		}, "cannot create files in"},
		{"link to a model", func(t *testing.T, parent string) string {
			writeModel(t, tr, filepath.Join(parent, "real"), false)
			require.NoError(t, os.Symlink("real", filepath.Join(parent, "model")))
			return filepath.Join(parent, "model")
		}, ""},
		{"link to a directory with other files", func(t *testing.T, parent string) string {
			require.NoError(t, os.Mkdir(filepath.Join(parent, "home"), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(parent, "home", ".bashrc"), []byte("mine"), 0o644))
			require.NoError(t, os.Symlink("home", filepath.Join(parent, "model")))
			return filepath.Join(parent, "model")
		}, "(a symbolic link to PARENT/home): exists and holds something other than a SavedModel: .bashrc"},
		{"link loop", func(t *testing.T, parent string) string {
			require.NoError(t, os.Symlink("model", filepath.Join(parent, "model")))
			return filepath.Join(parent, "model")
		}, "more than 40 symbolic links"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			path := tc.setup(t, parent)
			before := entries(t, parent)
			err := savedmodel.CheckWritable(path)
			assert.Equal(t, before, entries(t, parent), "CheckWritable leaves nothing behind")
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			t.Log(err)
			assert.Contains(t, err.Error(), "savedmodel: cannot write "+path)
			assert.Contains(t, err.Error(), strings.ReplaceAll(tc.want, "PARENT", parent))
		})
	}
}
