//go:build unix

package savedmodel_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/savedmodel"
)

// loadWithin runs load in the background and fails the test if it has not
// returned within d: a Load that opens a FIFO never returns.
func loadWithin(t *testing.T, d time.Duration, load func() (*savedmodel.Model, error)) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		m, err := load()
		if m != nil {
			m.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		require.FailNow(t, fmt.Sprintf("Load did not return within %v: it is blocked on a file", d))
		return nil
	}
}

// TestLoadRefusesUnsafeFiles: every file Load reads, or the C loader reads
// after it, is checked before anyone opens it: no FIFO (which would block
// the load forever), no device, no huge file read whole. Each error names
// the directory, the file and, for sizes, the size and the limit.
func TestLoadRefusesUnsafeFiles(t *testing.T) {
	good := filepath.Join(t.TempDir(), "good")
	writeModel(t, newTrained(t, fashion, 21), good, false)

	const (
		pb    = "saved_model.pb"
		index = "variables/variables.index"
		data  = "variables/variables.data-00000-of-00001"
		fp    = "fingerprint.pb"
		debug = "debug/saved_model_debug_info.pb"
		huge  = 16 << 30
	)
	// replace turns name (relative to dir) into what make creates at path.
	replace := func(name string, make func(t *testing.T, path string)) func(*testing.T, string) {
		return func(t *testing.T, dir string) {
			path := filepath.Join(dir, name)
			require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
			require.NoError(t, os.RemoveAll(path))
			make(t, path)
		}
	}
	fifo := func(t *testing.T, path string) { require.NoError(t, syscall.Mkfifo(path, 0o644)) }
	sparse := func(t *testing.T, path string) {
		f, err := os.Create(path)
		require.NoError(t, err)
		require.NoError(t, f.Truncate(huge))
		require.NoError(t, f.Close())
	}
	device := func(t *testing.T, path string) { require.NoError(t, os.Symlink("/dev/zero", path)) }
	directory := func(t *testing.T, path string) { require.NoError(t, os.Mkdir(path, 0o755)) }
	sizeErr := func(name string) string {
		return fmt.Sprintf("%s is 17179869184 bytes (16.0 GiB), over the limit of 1073741824 bytes (1.0 GiB)", name)
	}

	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		opts  savedmodel.LoadOptions
		want  string
	}{
		{"sparse 16 GiB saved_model.pb", replace(pb, sparse), savedmodel.LoadOptions{}, sizeErr(pb)},
		{"FIFO saved_model.pb", replace(pb, fifo), savedmodel.LoadOptions{}, "saved_model.pb is a named pipe (FIFO), not a regular file"},
		{"device saved_model.pb", replace(pb, device), savedmodel.LoadOptions{}, "saved_model.pb is a character device, not a regular file"},
		{"directory saved_model.pb", replace(pb, directory), savedmodel.LoadOptions{}, "saved_model.pb is a directory, not a regular file"},
		{"FIFO saved_model.pbtxt", func(t *testing.T, dir string) {
			require.NoError(t, os.Remove(filepath.Join(dir, pb)))
			replace("saved_model.pbtxt", fifo)(t, dir)
		}, savedmodel.LoadOptions{}, "saved_model.pbtxt is a named pipe (FIFO), not a regular file"},
		{"saved_model.pb over a caller's limit", nil, savedmodel.LoadOptions{MaxFileSize: 1000}, "over the limit of 1000 bytes (1000 B)"},
		{"FIFO fingerprint.pb", replace(fp, fifo), savedmodel.LoadOptions{}, "fingerprint.pb is a named pipe (FIFO)"},
		{"sparse 16 GiB fingerprint.pb", replace(fp, sparse), savedmodel.LoadOptions{}, sizeErr(fp)},
		{"FIFO debug info", replace(debug, fifo), savedmodel.LoadOptions{}, debug + " is a named pipe (FIFO)"},
		{"FIFO variables index", replace(index, fifo), savedmodel.LoadOptions{}, index + " is a named pipe (FIFO)"},
		{"sparse 16 GiB variables index", replace(index, sparse), savedmodel.LoadOptions{}, sizeErr(index)},
		{"FIFO variables data", replace(data, fifo), savedmodel.LoadOptions{}, data + " is a named pipe (FIFO)"},
		{"device variables data", replace(data, device), savedmodel.LoadOptions{}, data + " is a character device"},
		{"FIFO variables directory", func(t *testing.T, dir string) {
			replace("variables", fifo)(t, dir)
		}, savedmodel.LoadOptions{}, "variables is a named pipe (FIFO), not a directory"},
		// Trust is about ops, not files: a trusted model is checked too.
		{"FIFO saved_model.pb, trusted", replace(pb, fifo), savedmodel.LoadOptions{Trusted: true}, "saved_model.pb is a named pipe (FIFO)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "model")
			copyDir(t, good, dir)
			if tc.setup != nil {
				tc.setup(t, dir)
			}
			start := time.Now()
			err := loadWithin(t, time.Minute, func() (*savedmodel.Model, error) { return savedmodel.LoadWithOptions(dir, tc.opts) })
			require.Error(t, err)
			t.Log(err)
			assert.Contains(t, err.Error(), "savedmodel: load "+dir+": ", "the error names the directory")
			assert.Contains(t, err.Error(), tc.want)
			assert.Less(t, time.Since(start), 10*time.Second, "refused before reading")
		})
	}

	t.Run("the limit is inclusive", func(t *testing.T) {
		info, err := os.Stat(filepath.Join(good, pb))
		require.NoError(t, err)
		m, err := savedmodel.LoadWithOptions(good, savedmodel.LoadOptions{MaxFileSize: info.Size()})
		require.NoError(t, err)
		require.NoError(t, m.Close())
	})
}

// TestReadLimitedRefusesGrowth: a file read whole is read through a
// LimitReader, so one that grows past the limit between the size check and
// the end of the read is refused, not read on.
func TestReadLimitedRefusesGrowth(t *testing.T) {
	tests := []struct {
		name     string
		content  string
		statSize int64 // the size the file had when checked
		limit    int64
		wantErr  string
	}{
		{"as checked", "0123456789", 10, 10, ""},
		{"grew within the limit", "0123456789", 4, 10, ""},
		{"grew past the limit", "0123456789a", 10, 10, "saved_model.pb grew past the limit of 10 bytes (10 B) while being read"},
		{"far past the limit", strings.Repeat("x", 1<<20), 10, 100, "grew past the limit of 100 bytes"},
		{"no limit", strings.Repeat("x", 1<<20), 10, -1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := savedmodel.ReadLimited(strings.NewReader(tc.content), "saved_model.pb", tc.statSize, tc.limit)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.content, string(got))
		})
	}
}
