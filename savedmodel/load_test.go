package savedmodel_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	corepb "github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/gokeras/fashion/savedmodel"
)

// copyDir copies the files of a SavedModel directory.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	require.NoError(t, filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	}))
}

func truncate(t *testing.T, path string, keep float64) {
	t.Helper()
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.NoError(t, os.Truncate(path, int64(float64(info.Size())*keep)))
}

// TestLoadRejectsBadInput: every unusable directory gives an error naming it
// and the problem, and nothing crashes.
func TestLoadRejectsBadInput(t *testing.T) {
	good := filepath.Join(t.TempDir(), "good")
	writeModel(t, newTrained(t, fashion, 7), good, true)

	const (
		pb    = "saved_model.pb"
		data  = "variables/variables.data-00000-of-00001"
		index = "variables/variables.index"
	)
	tests := []struct {
		name string
		// setup turns a copy of the good model at dir into the bad input.
		setup func(t *testing.T, dir string)
		tags  []string
		want  []string
	}{
		{
			name:  "missing directory",
			setup: func(t *testing.T, dir string) { require.NoError(t, os.RemoveAll(dir)) },
			want:  []string{"directory does not exist"},
		},
		{
			name: "a file, not a directory",
			setup: func(t *testing.T, dir string) {
				require.NoError(t, os.RemoveAll(dir))
				require.NoError(t, os.WriteFile(dir, []byte("x"), 0o644))
			},
			want: []string{"not a directory"},
		},
		{
			name: "empty directory",
			setup: func(t *testing.T, dir string) {
				require.NoError(t, os.RemoveAll(dir))
				require.NoError(t, os.Mkdir(dir, 0o755))
			},
			want: []string{"no saved_model.pb: not a SavedModel directory"},
		},
		{
			name: "corrupt saved_model.pb",
			setup: func(t *testing.T, dir string) {
				require.NoError(t, os.WriteFile(filepath.Join(dir, pb), []byte("this is not a protocol buffer at all"), 0o644))
			},
			want: []string{"saved_model.pb is corrupt"},
		},
		{
			name:  "truncated saved_model.pb",
			setup: func(t *testing.T, dir string) { truncate(t, filepath.Join(dir, pb), 0.5) },
			want:  []string{"saved_model.pb is corrupt"},
		},
		{
			name: "saved_model.pb without MetaGraphs",
			setup: func(t *testing.T, dir string) {
				b, err := proto.Marshal(&corepb.SavedModel{SavedModelSchemaVersion: 1})
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(filepath.Join(dir, pb), b, 0o644))
			},
			want: []string{"no MetaGraph tagged [serve]"},
		},
		{
			name: "other tags",
			tags: []string{"train"},
			want: []string{"no MetaGraph tagged [train] (tag sets: [[serve]])"},
		},
		{
			name:  "truncated variables data",
			setup: func(t *testing.T, dir string) { truncate(t, filepath.Join(dir, data), 0.5) },
			want:  []string{"TensorFlow could not load it"},
		},
		{
			name: "corrupt variables data",
			setup: func(t *testing.T, dir string) {
				path := filepath.Join(dir, data)
				b, err := os.ReadFile(path)
				require.NoError(t, err)
				for i := len(b) / 3; i < len(b)/3+64; i++ {
					b[i] ^= 0xff
				}
				require.NoError(t, os.WriteFile(path, b, 0o644))
			},
			want: []string{"TensorFlow could not load it"},
		},
		{
			name:  "missing variables data",
			setup: func(t *testing.T, dir string) { require.NoError(t, os.Remove(filepath.Join(dir, data))) },
			want:  []string{"TensorFlow could not load it"},
		},
		{
			name: "corrupt variables index",
			setup: func(t *testing.T, dir string) {
				require.NoError(t, os.WriteFile(filepath.Join(dir, index), []byte("garbage garbage garbage garbage garbage garbage"), 0o644))
			},
			want: []string{"TensorFlow could not load it"},
		},
		{
			name:  "missing variables index",
			setup: func(t *testing.T, dir string) { require.NoError(t, os.Remove(filepath.Join(dir, index))) },
			want:  []string{"variables/variables.index is missing, but the graph has variables to restore"},
		},
		{
			name: "32×32 input",
			setup: func(t *testing.T, dir string) {
				require.NoError(t, os.RemoveAll(dir))
				writeModel(t, newTrained(t, layerSizes{32, 32, 16, 10}, 8), dir, false)
			},
			want: []string{"input shape [-1 32 32], want [-1 28 28] or [-1 784]"},
		},
		{
			name: "5 classes",
			setup: func(t *testing.T, dir string) {
				require.NoError(t, os.RemoveAll(dir))
				writeModel(t, newTrained(t, layerSizes{28, 28, 16, 5}, 9), dir, false)
			},
			want: []string{"output shape [-1 5], want [-1 10]"},
		},
		{
			name: "no serving_default signature",
			setup: func(t *testing.T, dir string) {
				require.NoError(t, os.RemoveAll(dir))
				e := exportOf(t, newTrained(t, fashion, 10), true)
				e.Signatures = e.Signatures[1:]
				require.NoError(t, savedmodel.Write(dir, e))
			},
			want: []string{`no "serving_default" signature (it has [serving_uint8])`},
		},
		{
			name: "uint8 input",
			setup: func(t *testing.T, dir string) {
				require.NoError(t, os.RemoveAll(dir))
				e := exportOf(t, newTrained(t, fashion, 11), true)
				e.Signatures = e.Signatures[1:]
				e.Signatures[0].Key = savedmodel.DefaultSignature
				require.NoError(t, savedmodel.Write(dir, e))
			},
			want: []string{"input dtype DT_UINT8, want DT_FLOAT"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "model")
			copyDir(t, good, dir)
			if tc.setup != nil {
				tc.setup(t, dir)
			}
			m, err := savedmodel.Load(dir, tc.tags...)
			if m != nil {
				m.Close()
			}
			require.Error(t, err)
			t.Log(err)
			assert.Contains(t, err.Error(), "savedmodel: load "+dir+": ", "the error names the directory")
			if tc.name == "missing directory" {
				assert.ErrorIs(t, err, fs.ErrNotExist)
			}
			for _, want := range tc.want {
				assert.Contains(t, err.Error(), want)
			}
		})
	}
}

func TestPredictRejectsBadInput(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "model")
	writeModel(t, newTrained(t, fashion, 12), dir, false)
	m, err := savedmodel.Load(dir)
	require.NoError(t, err)
	defer m.Close()

	_, err = m.Predict(make([]float32, 783), 1)
	assert.ErrorContains(t, err, "783 values for 1 images of 28×28 pixels")
	_, err = m.Predict(nil, -1)
	assert.Error(t, err)
	probs, err := m.Predict(nil, 0)
	require.NoError(t, err)
	assert.Empty(t, probs)
}
