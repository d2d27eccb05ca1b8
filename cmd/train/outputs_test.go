package main

import (
	"archive/zip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOutputsCheckedBeforeTraining: every output that cannot be written, or
// holds something the command must not replace, is refused at once (status
// 2, nothing started), not after training; and what is there is left
// untouched.
func TestOutputsCheckedBeforeTraining(t *testing.T) {
	bin := buildTrain(t)
	root := t.TempDir()
	write := func(path, content string) string {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
		return path
	}
	notAModel := filepath.Join(root, "notes")
	write(filepath.Join(notAModel, "todo.txt"), "keep me")
	textFile := write(filepath.Join(root, "readme.keras"), "not a zip")
	zipNoConfig := filepath.Join(root, "other.zip")
	f, err := os.Create(zipNoConfig)
	require.NoError(t, err)
	zw := zip.NewWriter(f)
	_, err = zw.Create("data.csv")
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
	linkToText := filepath.Join(root, "link.keras")
	require.NoError(t, os.Symlink(textFile, linkToText))
	plotsText := filepath.Join(root, "plots-text")
	write(filepath.Join(plotsText, "3_prediction_test_0.png"), "a note, not a picture")
	plotsLink := filepath.Join(root, "plots-link")
	require.NoError(t, os.MkdirAll(plotsLink, 0o755))
	require.NoError(t, os.Symlink(textFile, filepath.Join(plotsLink, "8_confusion_matrix.png")))
	plotsDir := filepath.Join(root, "plots-dir")
	require.NoError(t, os.MkdirAll(filepath.Join(plotsDir, "1_train_image_0.png"), 0o755))
	out := filepath.Join(root, "model")

	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"-out holds other files", []string{"-out", notAModel},
			"-out " + notAModel + ": savedmodel: cannot write " + notAModel + ": exists and holds something other than a SavedModel: todo.txt"},
		{"-keras is a text file", []string{"-out", out, "-keras", textFile},
			"-keras " + textFile + ": " + textFile + " exists and is not a .keras file (not a zip archive); not replacing it"},
		{"-keras is a zip but not a .keras", []string{"-out", out, "-keras", zipNoConfig},
			"-keras " + zipNoConfig + ": " + zipNoConfig + " exists and is not a .keras file (a zip archive without config.json); not replacing it"},
		{"-keras links to a text file", []string{"-out", out, "-keras", linkToText},
			"-keras " + linkToText + ": " + linkToText + " (a symbolic link to " + textFile + ") exists and is not a .keras file (not a zip archive)"},
		{"-keras is a directory", []string{"-out", out, "-keras", notAModel},
			"-keras " + notAModel + ": " + notAModel + " is a directory, not a .keras file"},
		{"-plots holds a text file of a plot's name", []string{"-out", out, "-plots", plotsText},
			"-plots " + plotsText + ": 3_prediction_test_0.png exists and is not a PNG file; not replacing it: only the PNG files this command writes are replaced"},
		{"-plots holds a link of a plot's name", []string{"-out", out, "-plots", plotsLink},
			"-plots " + plotsLink + ": 8_confusion_matrix.png exists and is not a regular file (a symbolic link); not replacing it"},
		{"-plots holds a directory of a plot's name", []string{"-out", out, "-plots", plotsDir},
			"-plots " + plotsDir + ": 1_train_image_0.png exists and is not a regular file (a directory)"},
		{"-lr below float32", []string{"-out", out, "-lr", "1e-50"},
			"-lr 1e-50: rounds to 0 in float32, the optimizer's precision: must be at least 1.401298464324817e-45"},
		{"-lr NaN", []string{"-out", out, "-lr", "NaN"}, "-lr NaN: must be in (0, 1]"},
		{"-lr Inf", []string{"-out", out, "-lr", "Inf"}, "-lr +Inf: must be in (0, 1]"},
		{"-batch-size overflowing int64", []string{"-out", out, "-batch-size", "9223372036854775808"}, "invalid value \"9223372036854775808\" for flag -batch-size"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := tree(t, root)
			stdout, stderr, code := runCommand(t, bin, tt.args...)
			assert.Equal(t, 2, code)
			assert.Empty(t, stdout, "nothing started")
			assert.Contains(t, stderr, "train: "+tt.want)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
			assert.Equal(t, before, tree(t, root), "nothing changed")
		})
	}
}

// tree lists the files under root with their contents (links as their
// targets), to see that nothing changed.
func tree(t *testing.T, root string) map[string]string {
	t.Helper()
	files := map[string]string{}
	require.NoError(t, filepath.Walk(root, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		switch {
		case info.Mode()&os.ModeSymlink != 0:
			target, err := os.Readlink(path)
			files[path] = "-> " + target
			return err
		case info.Mode().IsRegular():
			b, err := os.ReadFile(path)
			files[path] = string(b)
			return err
		}
		files[path] = "dir"
		return nil
	}))
	return files
}

// TestOutputsFollowLinksAndKeepOthers: a symbolic link given as -out or
// -keras is followed, the model written where it points and the link kept;
// the files in -plots that the command does not write are left alone and
// its own PNG files replaced; a huge batch size is one step per epoch.
func TestOutputsFollowLinksAndKeepOthers(t *testing.T) {
	bin := buildTrain(t)
	root := t.TempDir()
	realModel, realKeras := filepath.Join(root, "store", "model-v1"), filepath.Join(root, "store", "model-v1.keras")
	require.NoError(t, os.MkdirAll(filepath.Join(root, "store"), 0o755))
	out, kerasFile := filepath.Join(root, "model"), filepath.Join(root, "model.keras")
	require.NoError(t, os.Symlink(realModel, out))
	require.NoError(t, os.Symlink("store/model-v1.keras", kerasFile))
	plots := filepath.Join(root, "plots")
	require.NoError(t, os.MkdirAll(plots, 0o755))
	notes := filepath.Join(plots, "notes.txt")
	require.NoError(t, os.WriteFile(notes, []byte("keep me"), 0o644))

	args := []string{"-epochs", "1", "-validation-split", "0.9", "-quiet", "-batch-size", "9223372036854775807",
		"-out", out, "-keras", kerasFile, "-plots", plots}
	for run := range 2 { // the second replaces what the first wrote
		stdout, stderr, code := runCommand(t, bin, args...)
		require.Equal(t, 0, code, "run %d: %s", run+1, stderr)
		assert.Contains(t, stdout, "Saved the model to "+out+" (SavedModel")
		assert.Contains(t, stdout, "Saved the model to "+kerasFile+" (Keras 3")
		for _, link := range []string{out, kerasFile} {
			info, err := os.Lstat(link)
			require.NoError(t, err)
			assert.Equal(t, os.ModeSymlink, info.Mode()&os.ModeSymlink, "%s is still a link", link)
		}
		assert.FileExists(t, filepath.Join(realModel, "saved_model.pb"))
		assert.FileExists(t, realKeras)
		b, err := os.ReadFile(notes)
		require.NoError(t, err)
		assert.Equal(t, "keep me", string(b))
		for _, name := range plotNames {
			assert.FileExists(t, filepath.Join(plots, name))
		}
	}
}
