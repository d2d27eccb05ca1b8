package plot_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/plot"
	"github.com/gokeras/fashion/tensor"
)

// entries lists a directory's file names, temporary files included.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func TestAtomicWrite(t *testing.T) {
	const old = "not a png yet"
	tests := []struct {
		name string
		// setup prepares dir and returns the path to write
		setup   func(t *testing.T, dir string) string
		img     tensor.Float32
		wantErr bool
		// check inspects the directory afterwards
		check func(t *testing.T, dir, path string)
	}{
		{
			name:  "new file, nothing else left behind",
			setup: func(t *testing.T, dir string) string { return filepath.Join(dir, "fig.png") },
			img:   garment(),
			check: func(t *testing.T, dir, path string) {
				assert.Equal(t, []string{"fig.png"}, entries(t, dir))
				decode(t, path, 640, 480)
				fi, err := os.Stat(path)
				require.NoError(t, err)
				assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm())
			},
		},
		{
			name: "existing file is replaced on success",
			setup: func(t *testing.T, dir string) string {
				path := filepath.Join(dir, "fig.png")
				require.NoError(t, os.WriteFile(path, []byte(old), 0o644))
				return path
			},
			img: garment(),
			check: func(t *testing.T, dir, path string) {
				assert.Equal(t, []string{"fig.png"}, entries(t, dir))
				decode(t, path, 640, 480)
			},
		},
		{
			name: "existing file is kept when the input is bad",
			setup: func(t *testing.T, dir string) string {
				path := filepath.Join(dir, "fig.png")
				require.NoError(t, os.WriteFile(path, []byte(old), 0o644))
				return path
			},
			img:     tensor.Float32{Shape: []int{28, 28}, Data: garment().Data[:10]},
			wantErr: true,
			check: func(t *testing.T, dir, path string) {
				assert.Equal(t, []string{"fig.png"}, entries(t, dir))
				got, err := os.ReadFile(path)
				require.NoError(t, err)
				assert.Equal(t, old, string(got))
			},
		},
		{
			// Renaming a file over a directory fails after the PNG has been
			// written, exercising the clean-up of the temporary file.
			name: "failed rename leaves no temporary file",
			setup: func(t *testing.T, dir string) string {
				path := filepath.Join(dir, "fig.png")
				require.NoError(t, os.Mkdir(path, 0o755))
				require.NoError(t, os.WriteFile(filepath.Join(path, "keep"), []byte(old), 0o644))
				return path
			},
			img:     garment(),
			wantErr: true,
			check: func(t *testing.T, dir, path string) {
				assert.Equal(t, []string{"fig.png"}, entries(t, dir))
				assert.Equal(t, []string{"keep"}, entries(t, path))
			},
		},
		{
			name:  "relative path in the working directory",
			setup: func(t *testing.T, dir string) string { t.Chdir(dir); return "fig.png" },
			img:   garment(),
			check: func(t *testing.T, dir, path string) {
				assert.Equal(t, []string{"fig.png"}, entries(t, dir))
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := tt.setup(t, dir)
			err := plot.Image(path, tt.img)
			if tt.wantErr {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
			}
			tt.check(t, dir, path)
		})
	}
}
