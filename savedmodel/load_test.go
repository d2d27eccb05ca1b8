package savedmodel_test

import (
	"errors"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	corepb "github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/gokeras/fashion/savedmodel"
	"github.com/gokeras/fashion/tensor"
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

// TestLoadServesAnySignature: Load takes a model of any shapes and dtypes,
// exposes its signatures as declared, and Predict runs the default one
// whatever its shapes, bit for bit as the in-memory model.
func TestLoadServesAnySignature(t *testing.T) {
	floatSig := func(h, w, classes int64) savedmodel.SignatureSpec {
		return savedmodel.SignatureSpec{
			Key: savedmodel.DefaultSignature, MethodName: savedmodel.PredictMethod,
			Inputs:  []savedmodel.TensorSpec{{Name: "images", Tensor: "images:0", DType: tf.Float, Shape: []int64{-1, h, w}}},
			Outputs: []savedmodel.TensorSpec{{Name: "probabilities", Tensor: "sequential/dense_1/Softmax:0", DType: tf.Float, Shape: []int64{-1, classes}}},
		}
	}
	tests := []struct {
		name  string
		sizes layerSizes
		raw   bool
		want  []savedmodel.SignatureSpec
	}{
		{"Fashion-MNIST's shapes, with the uint8 signature", fashion, true, []savedmodel.SignatureSpec{floatSig(28, 28, 10), {
			Key: "serving_uint8", MethodName: savedmodel.PredictMethod,
			Inputs:  []savedmodel.TensorSpec{{Name: "pixels", Tensor: "pixels:0", DType: tf.Uint8, Shape: []int64{-1, 28, 28}}},
			Outputs: []savedmodel.TensorSpec{{Name: "probabilities", Tensor: "sequential_1/dense_1/Softmax:0", DType: tf.Float, Shape: []int64{-1, 10}}},
		}}},
		{"32×32 input", layerSizes{32, 32, 16, 10}, false, []savedmodel.SignatureSpec{floatSig(32, 32, 10)}},
		{"5 classes", layerSizes{28, 28, 16, 5}, false, []savedmodel.SignatureSpec{floatSig(28, 28, 5)}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTrained(t, tc.sizes, int64(20+i))
			dir := filepath.Join(t.TempDir(), "model")
			writeModel(t, tr, dir, tc.raw)
			m, err := savedmodel.Load(dir)
			require.NoError(t, err)
			defer m.Close()
			assert.Equal(t, dir, m.Dir())
			assert.Equal(t, tc.want, m.Signatures())
			sig, ok := m.Signature(savedmodel.DefaultSignature)
			require.True(t, ok)
			assert.Equal(t, tc.want[0], sig)

			const n = 3
			rng := rand.New(rand.NewSource(int64(i)))
			images := make([]float32, n*tc.sizes.h*tc.sizes.w)
			for j := range images {
				images[j] = rng.Float32()
			}
			got, err := m.Predict(tensor.Float32{Shape: []int{n, tc.sizes.h, tc.sizes.w}, Data: images})
			require.NoError(t, err)
			assert.Equal(t, []int{n, tc.sizes.classes}, got.Shape)
			assertSameFloats(t, tr.predict(t, images, n), got.Data, "the reloaded model")
		})
	}
}

// TestPredictNeedsOneFloatInAndOut: Predict runs the default signature when
// it takes one float32 tensor and gives one; otherwise it says why and
// points to Run, which runs the others.
func TestPredictNeedsOneFloatInAndOut(t *testing.T) {
	ts := loadTestSet(t, 5)
	tr := newTrained(t, fashion, 10)
	want := tr.predict(t, ts.images, ts.n)
	tests := []struct {
		name string
		// edit changes the export before it is written.
		edit func(e *savedmodel.Export)
		want string
	}{
		{"no serving_default signature", func(e *savedmodel.Export) { e.Signatures = e.Signatures[1:] },
			`no "serving_default" signature (it has [serving_uint8]); use Run`},
		{"uint8 input", func(e *savedmodel.Export) {
			e.Signatures = e.Signatures[1:]
			e.Signatures[0].Key = savedmodel.DefaultSignature
		}, `the "serving_default" signature's input "pixels" is DT_UINT8, Predict takes DT_FLOAT; use Run`},
		{"two inputs", func(e *savedmodel.Export) {
			e.Signatures[0].Inputs["pixels"] = e.Signatures[1].Inputs["pixels"]
			e.Signatures = e.Signatures[:1]
		}, `the "serving_default" signature has 2 inputs [images pixels], Predict takes 1; use Run`},
		{"two outputs", func(e *savedmodel.Export) {
			e.Signatures[0].Outputs["scaled"] = e.Signatures[1].Outputs["probabilities"]
			e.Signatures = e.Signatures[:1]
		}, `the "serving_default" signature has 2 outputs [probabilities scaled], Predict takes 1; use Run`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "model")
			e := exportOf(t, tr, true)
			tc.edit(&e)
			require.NoError(t, savedmodel.Write(dir, e))
			m, err := savedmodel.Load(dir)
			require.NoError(t, err, "Load takes any signature")
			defer m.Close()
			_, err = predictImages(m, ts.images, ts.n)
			require.Error(t, err)
			assert.Equal(t, "savedmodel: predict with "+dir+": "+tc.want, err.Error())

			// Run runs whatever signature the model has.
			sig := m.Signatures()[0]
			px, err := tf.NewTensor(ts.raw)
			require.NoError(t, err)
			require.NoError(t, px.Reshape([]int64{int64(ts.n), 28, 28}))
			feeds := map[string]*tf.Tensor{"pixels": px}
			if _, ok := sig.Input("images"); ok {
				images, err := tf.NewTensor(ts.images)
				require.NoError(t, err)
				require.NoError(t, images.Reshape([]int64{int64(ts.n), 28, 28}))
				feeds["images"] = images
			}
			for k := range feeds {
				if _, ok := sig.Input(k); !ok {
					delete(feeds, k)
				}
			}
			out, err := m.Run(sig.Key, feeds, "probabilities")
			require.NoError(t, err)
			require.Len(t, out, 1)
			var got []float32
			for _, row := range out["probabilities"].Value().([][]float32) {
				got = append(got, row...)
			}
			assertSameFloats(t, want, got, "Run")
		})
	}
}

func TestPredictRejectsBadInput(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "model")
	writeModel(t, newTrained(t, fashion, 12), dir, false)
	m, err := savedmodel.Load(dir)
	require.NoError(t, err)
	defer m.Close()

	tests := []struct {
		name string
		x    tensor.Float32
		want string
	}{
		{"fewer values than the shape holds", tensor.Float32{Shape: []int{1, 28, 28}, Data: make([]float32, 783)},
			`input "images": shape mismatch: shape [1 28 28] holds 784 values, the data has 783`},
		{"flat images for a [-1 28 28] model", tensor.Float32{Shape: []int{1, 784}, Data: make([]float32, 784)},
			`shape mismatch: input "images" has shape [1 784], the "serving_default" signature takes [-1 28 28]`},
		{"an image without its batch dimension", tensor.Float32{Shape: []int{28, 28}, Data: make([]float32, 784)},
			`shape mismatch: input "images" has shape [28 28], the "serving_default" signature takes [-1 28 28]`},
		{"27 columns", tensor.Float32{Shape: []int{2, 28, 27}, Data: make([]float32, 2*28*27)},
			`shape mismatch: input "images" has shape [2 28 27], the "serving_default" signature takes [-1 28 28]`},
		{"negative dimension", tensor.Float32{Shape: []int{-1, 28, 28}, Data: make([]float32, 784)},
			`input "images": shape mismatch: shape [-1 28 28] has a negative dimension`},
		{"no shape", tensor.Float32{}, `input "images": shape mismatch: shape [] holds 1 values, the data has 0`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := m.Predict(tc.x)
			require.Error(t, err)
			assert.Equal(t, "savedmodel: predict with "+dir+": "+tc.want, err.Error())
			assert.ErrorIs(t, err, tensor.ErrShape)
		})
	}

	// An empty batch is a batch: TensorFlow runs it.
	y, err := m.Predict(tensor.Float32{Shape: []int{0, 28, 28}})
	require.NoError(t, err)
	assert.Equal(t, []int{0, 10}, y.Shape)
	assert.Empty(t, y.Data)
}

// TestRunRejectsBadInput: Run checks names, dtypes and shapes against the
// signature before TensorFlow sees them; every error names the signature,
// the directory and both sides of the mismatch.
func TestRunRejectsBadInput(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "model")
	writeModel(t, newTrained(t, fashion, 13), dir, true)
	m, err := savedmodel.Load(dir)
	require.NoError(t, err)
	defer m.Close()

	newTensor := func(v any, shape ...int64) *tf.Tensor {
		t.Helper()
		x, err := tf.NewTensor(v)
		require.NoError(t, err)
		require.NoError(t, x.Reshape(shape))
		return x
	}
	pixels := newTensor(make([]uint8, 2*784), 2, 28, 28)
	tests := []struct {
		name  string
		key   string
		feeds map[string]*tf.Tensor
		fetch []string
		want  string
		shape bool // the error wraps tensor.ErrShape
	}{
		{name: "unknown signature", key: "nope", want: `no such signature (it has [serving_default serving_uint8])`},
		{name: "unknown input", key: "serving_uint8", feeds: map[string]*tf.Tensor{"pixels": pixels, "images": pixels},
			want: `no input "images" (it has [pixels])`},
		{name: "missing input", key: "serving_uint8", want: `inputs [pixels] are not fed (it takes [pixels])`},
		{name: "nil input", key: "serving_uint8", feeds: map[string]*tf.Tensor{"pixels": nil}, want: `input "pixels" is nil`},
		{name: "float for uint8", key: "serving_uint8", feeds: map[string]*tf.Tensor{"pixels": newTensor(make([]float32, 784), 1, 28, 28)},
			want: `input "pixels" is DT_FLOAT, the signature takes DT_UINT8`},
		{name: "flat pixels", key: "serving_uint8", feeds: map[string]*tf.Tensor{"pixels": newTensor(make([]uint8, 784), 1, 784)},
			want: `shape mismatch: input "pixels" has shape [1 784], the signature takes [-1 28 28]`, shape: true},
		{name: "unknown output", key: "serving_uint8", feeds: map[string]*tf.Tensor{"pixels": pixels}, fetch: []string{"logits"},
			want: `no output "logits" (it has [probabilities])`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := m.Run(tc.key, tc.feeds, tc.fetch...)
			require.Error(t, err)
			assert.Equal(t, `savedmodel: run "`+tc.key+`" with `+dir+": "+tc.want, err.Error())
			assert.Equal(t, tc.shape, errors.Is(err, tensor.ErrShape), "wraps tensor.ErrShape")
		})
	}

	// Without fetch, every output; a name fetched twice comes once.
	for _, fetch := range [][]string{nil, {"probabilities", "probabilities"}} {
		out, err := m.Run("serving_uint8", map[string]*tf.Tensor{"pixels": pixels}, fetch...)
		require.NoError(t, err)
		require.Len(t, out, 1)
		assert.Equal(t, []int64{2, 10}, out["probabilities"].Shape())
	}

	// After Close, both ways of running say so; closing again is harmless.
	require.NoError(t, m.Close())
	_, err = m.Run("serving_uint8", map[string]*tf.Tensor{"pixels": pixels})
	assert.ErrorIs(t, err, savedmodel.ErrClosed)
	_, err = m.Predict(tensor.Float32{Shape: []int{1, 28, 28}, Data: make([]float32, 784)})
	assert.ErrorIs(t, err, savedmodel.ErrClosed)
	assert.NoError(t, m.Close())
}
