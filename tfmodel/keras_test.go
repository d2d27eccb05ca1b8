package tfmodel_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/internal/npy"
	"github.com/gokeras/fashion/internal/pyenv"
	"github.com/gokeras/fashion/tfmodel"
)

// TestKerasFileRoundTrip: a model trained in Go is written as .keras;
// Keras's load_model returns the tutorial's Sequential predicting what Go
// predicts and trains on from Go's Adam state; Go loads Keras's re-save and
// predicts what Keras predicts; Go's re-save of that is bit for bit Keras's.
func TestKerasFileRoundTrip(t *testing.T) {
	const n = 1000
	d := loadFashion(t)
	dir := t.TempDir()
	m := newTutorialModel(t, 5)
	opts := tfmodel.DefaultFitOptions()
	opts.Epochs = 1
	_, err := m.Fit(context.Background(), d.trainX.Slice(0, 6400), d.trainY.Slice(0, 6400), opts)
	require.NoError(t, err)
	goKeras := filepath.Join(dir, "go.keras")
	require.NoError(t, m.SaveKeras(goKeras))

	x, y := d.testX.Slice(0, n), d.testY.Slice(0, n)
	goProbs, err := m.Predict(x, tfmodel.PredictOptions{BatchSize: n})
	require.NoError(t, err)
	require.NoError(t, npy.WriteFile(filepath.Join(dir, "x.npy"), x.Data, n, 28, 28))
	require.NoError(t, npy.WriteFile(filepath.Join(dir, "y.npy"), y.Data, n))

	out, err := pyenv.Run(context.Background(), "testdata/keras_file.py", "load", goKeras,
		filepath.Join(dir, "x.npy"), filepath.Join(dir, "y.npy"), dir)
	require.NoError(t, err)
	var py struct {
		Class      string      `json:"class"`
		Layers     [][]any     `json:"layers"`
		Params     int         `json:"params"`
		Probs      [][]float32 `json:"probs"`
		LossBefore float64     `json:"loss_before"`
		LossAfter  float64     `json:"loss_after"`
		Iterations int         `json:"optimizer_iterations"`
	}
	require.NoError(t, json.Unmarshal(out, &py), "python printed %s", out)
	assert.Equal(t, "Sequential", py.Class)
	assert.Equal(t, [][]any{{"Flatten", nil, nil}, {"Dense", 128.0, "relu"}, {"Dense", 10.0, "softmax"}}, py.Layers)
	assert.Equal(t, 101770, py.Params)
	require.Len(t, py.Probs, n)
	var maxDiff float64
	for i, row := range py.Probs {
		for c, p := range row {
			maxDiff = max(maxDiff, abs(float64(p-goProbs.Data[i*10+c])))
		}
	}
	t.Logf("Keras predicts Go's probabilities within %g; fit %.4f -> %.4f", maxDiff, py.LossBefore, py.LossAfter)
	assert.LessOrEqual(t, maxDiff, 1e-6)
	assert.Less(t, py.LossAfter, py.LossBefore, "Keras continues training the Go model")
	assert.Equal(t, 200+n/32+1, py.Iterations, "Adam's step count came from Go and went on")

	// Python -> Go: the re-saved model predicts in Go what it predicts in Keras.
	back, err := tfmodel.LoadKeras(filepath.Join(dir, "py.keras"))
	require.NoError(t, err)
	defer back.Close()
	goBack, err := back.Predict(x, tfmodel.PredictOptions{BatchSize: n})
	require.NoError(t, err)
	pyProbs, shape, err := npy.ReadFile[float32](filepath.Join(dir, "py_probs.npy"))
	require.NoError(t, err)
	require.Equal(t, []int{n, 10}, shape)
	maxDiff = 0
	for i := range goBack.Data {
		maxDiff = max(maxDiff, abs(float64(goBack.Data[i]-pyProbs[i])))
	}
	assert.LessOrEqual(t, maxDiff, 1e-6)

	// Go -> Python again: bit for bit.
	rt := filepath.Join(dir, "roundtrip.keras")
	require.NoError(t, back.SaveKeras(rt))
	out, err = pyenv.Run(context.Background(), "testdata/keras_file.py", "compare", filepath.Join(dir, "py.keras"), rt)
	require.NoError(t, err)
	var cmp struct {
		Equal bool `json:"equal"`
		Count int  `json:"count"`
	}
	require.NoError(t, json.Unmarshal(out, &cmp))
	assert.True(t, cmp.Equal, "weights changed on the way through Go")
	assert.Equal(t, 4, cmp.Count)
}

func TestLoadKerasRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	notZip := filepath.Join(dir, "not.keras")
	require.NoError(t, os.WriteFile(notZip, []byte("not a zip"), 0o644))
	for name, path := range map[string]string{"missing": filepath.Join(dir, "missing.keras"), "not a zip": notZip} {
		t.Run(name, func(t *testing.T) {
			_, err := tfmodel.LoadKeras(path)
			require.Error(t, err)
			assert.Contains(t, err.Error(), path)
		})
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// The execution (steps per execution, XLA) travels in the .keras file's
// compile config, as Keras's does, and a caller's choice overrides it.
func TestKerasFileKeepsExecution(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.keras")
	m, err := tfmodel.NewSequential(tfmodel.Flatten(4), tfmodel.Dense(3, "softmax"))
	require.NoError(t, err)
	defer m.Close()
	opts := tfmodel.DefaultCompileOptions()
	opts.StepsPerExecution, opts.JITCompile = 7, true
	require.NoError(t, m.Compile(opts))
	require.NoError(t, m.SaveKeras(path))

	for _, tc := range []struct {
		name      string
		opts      tfmodel.CompileOptions
		wantSteps int
		wantJIT   bool
	}{
		{"the file's", tfmodel.CompileOptions{}, 7, true},
		{"the caller's", tfmodel.CompileOptions{StepsPerExecution: 1}, 1, false},
		{"the caller's, XLA", tfmodel.CompileOptions{StepsPerExecution: 2, JITCompile: true}, 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			back, err := tfmodel.LoadKerasWith(path, tc.opts)
			require.NoError(t, err)
			defer back.Close()
			assert.Equal(t, tc.wantSteps, back.Compiled().StepsPerExecution)
			assert.Equal(t, tc.wantJIT, back.Compiled().JITCompile)
		})
	}
}
