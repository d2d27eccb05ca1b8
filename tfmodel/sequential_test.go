package tfmodel_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/graph"
	"github.com/gokeras/fashion/tfmodel"
)

func TestSummaryMatchesKeras(t *testing.T) {
	m, err := tfmodel.NewSequential(tfmodel.Flatten(28, 28), tfmodel.Dense(128, "relu"), tfmodel.Dense(10, "softmax"))
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, m.Summary(&b))
	// Printed by the .venv Keras 3 for the tutorial's model.
	want, err := os.ReadFile("testdata/summary.golden")
	require.NoError(t, err)
	assert.Equal(t, string(want), b.String())
	assert.Equal(t, int64(101770), m.Params())
}

func TestNewSequentialRejectsBadLayers(t *testing.T) {
	tests := []struct {
		name   string
		layers []tfmodel.Layer
		want   string
	}{
		{"no layers", nil, "needs Flatten"},
		{"no flatten", []tfmodel.Layer{tfmodel.Dense(10, "softmax"), tfmodel.Dense(10, "softmax")}, "needs Flatten"},
		{"flatten only", []tfmodel.Layer{tfmodel.Flatten(28, 28)}, "at least one Dense"},
		{"empty input shape", []tfmodel.Layer{tfmodel.Flatten(), tfmodel.Dense(10, "softmax")}, "needs an input shape"},
		{"negative dimension", []tfmodel.Layer{tfmodel.Flatten(28, -1), tfmodel.Dense(10, "softmax")}, "must be positive"},
		{"zero units", []tfmodel.Layer{tfmodel.Flatten(28, 28), tfmodel.Dense(0, "relu"), tfmodel.Dense(10, "softmax")}, "units 0"},
		{"unknown activation", []tfmodel.Layer{tfmodel.Flatten(28, 28), tfmodel.Dense(10, "tanhh")}, `unknown activation "tanhh"`},
		{"flatten in the middle", []tfmodel.Layer{tfmodel.Flatten(28, 28), tfmodel.Flatten(784), tfmodel.Dense(10, "softmax")}, "only supported as the first layer"},
		{"no softmax output", []tfmodel.Layer{tfmodel.Flatten(28, 28), tfmodel.Dense(10, "relu")}, "must use softmax"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tfmodel.NewSequential(tt.layers...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestCallsBeforeCompile(t *testing.T) {
	m, err := tfmodel.NewSequential(tfmodel.Flatten(28, 28), tfmodel.Dense(10, "softmax"))
	require.NoError(t, err)
	x, y := make([]float32, 784), []uint8{1}
	_, err = m.Fit(context.Background(), x, y, tfmodel.DefaultFitOptions())
	assert.ErrorIs(t, err, tfmodel.ErrNotCompiled)
	_, _, err = m.Evaluate(x, y, tfmodel.EvaluateOptions{})
	assert.ErrorIs(t, err, tfmodel.ErrNotCompiled)
	_, err = m.Predict(x, tfmodel.PredictOptions{})
	assert.ErrorIs(t, err, tfmodel.ErrNotCompiled)
	assert.ErrorIs(t, m.SaveCheckpoint(filepath.Join(t.TempDir(), "c")), tfmodel.ErrNotCompiled)
	assert.NoError(t, m.Close())
}

func TestCompileRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*tfmodel.CompileOptions)
		want   string
	}{
		{"loss", func(o *tfmodel.CompileOptions) { o.Loss = "mse" }, `loss "mse"`},
		{"metric", func(o *tfmodel.CompileOptions) { o.Metrics = []string{"auc"} }, `metric "auc"`},
		{"learning rate", func(o *tfmodel.CompileOptions) { o.Optimizer = graph.Adam{Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7} }, "learning rate 0"},
		{"beta1", func(o *tfmodel.CompileOptions) {
			o.Optimizer = graph.Adam{LearningRate: 1e-3, Beta1: 1, Beta2: 0.999, Epsilon: 1e-7}
		}, "beta1 1"},
		{"epsilon", func(o *tfmodel.CompileOptions) {
			o.Optimizer = graph.Adam{LearningRate: 1e-3, Beta1: 0.9, Beta2: 0.999, Epsilon: -1}
		}, "epsilon -1"},
		{"no optimizer", func(o *tfmodel.CompileOptions) { o.Optimizer = nil }, "no optimizer: want one of [adam adamw rmsprop sgd]"},
		{"sgd momentum", func(o *tfmodel.CompileOptions) { o.Optimizer = graph.SGD{LearningRate: 0.01, Momentum: 1.5} }, "momentum"},
		{"threads", func(o *tfmodel.CompileOptions) { o.Threads.IntraOp = -2 }, "must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := tfmodel.NewSequential(tfmodel.Flatten(28, 28), tfmodel.Dense(10, "softmax"))
			require.NoError(t, err)
			opts := tfmodel.DefaultCompileOptions()
			tt.modify(&opts)
			err = m.Compile(opts)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestBadInputIsAnError(t *testing.T) {
	m := newTutorialModel(t, 1)
	good := make([]float32, 2*784)
	fit := func(mod func(*tfmodel.FitOptions)) func(x []float32, y []uint8) error {
		return func(x []float32, y []uint8) error {
			opts := tfmodel.DefaultFitOptions()
			opts.Epochs = 1
			if mod != nil {
				mod(&opts)
			}
			_, err := m.Fit(context.Background(), x, y, opts)
			return err
		}
	}
	evaluate := func(x []float32, y []uint8) error {
		_, _, err := m.Evaluate(x, y, tfmodel.EvaluateOptions{})
		return err
	}
	predict := func(x []float32, _ []uint8) error { _, err := m.Predict(x, tfmodel.PredictOptions{}); return err }
	tests := []struct {
		name string
		call func(x []float32, y []uint8) error
		x    []float32
		y    []uint8
		want string
	}{
		{"fit: partial image", fit(nil), make([]float32, 785), []uint8{1}, "not a whole number of [28 28] images"},
		{"fit: no images", fit(nil), nil, nil, "no images"},
		{"fit: counts disagree", fit(nil), good, []uint8{1}, "2 images but 1 labels"},
		{"fit: label out of range", fit(nil), good, []uint8{1, 10}, "label 10 at index 1 is out of range"},
		{"fit: zero epochs", fit(func(o *tfmodel.FitOptions) { o.Epochs = 0 }), good, []uint8{1, 2}, "epochs 0 must be positive"},
		{"fit: negative batch size", fit(func(o *tfmodel.FitOptions) { o.BatchSize = -1 }), good, []uint8{1, 2}, "batch size -1 must be positive"},
		{"fit: zero batch size", fit(func(o *tfmodel.FitOptions) { o.BatchSize = 0 }), good, []uint8{1, 2}, "batch size 0 must be positive"},
		{"fit: initial epoch past the end", fit(func(o *tfmodel.FitOptions) { o.InitialEpoch = 1 }), good, []uint8{1, 2}, "initial epoch 1"},
		{"fit: bad validation data", fit(func(o *tfmodel.FitOptions) { o.ValidationImages = good; o.ValidationLabels = []uint8{3} }), good, []uint8{1, 2}, "validation data: 2 images but 1 labels"},
		{"evaluate: counts disagree", evaluate, good, []uint8{1, 2, 3}, "2 images but 3 labels"},
		{"evaluate: label out of range", evaluate, good, []uint8{255, 0}, "label 255 at index 0"},
		{"predict: partial image", predict, make([]float32, 100), nil, "100 image values"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(tt.x, tt.y)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	// The model still works after all that.
	probs, err := m.Predict(good, tfmodel.PredictOptions{})
	require.NoError(t, err)
	assert.Len(t, probs, 20)
}

func TestFitStopsWhenCancelled(t *testing.T) {
	d := loadFashion(t)
	m := newTutorialModel(t, 1)
	ctx, cancel := context.WithCancel(context.Background())
	steps := 0
	opts := tfmodel.DefaultFitOptions()
	opts.Callbacks = []tfmodel.Callback{tfmodel.CallbackFunc(func(*tfmodel.Sequential, int, tfmodel.EpochLogs) (tfmodel.Action, error) {
		steps++
		cancel() // after the first epoch
		return tfmodel.Continue, nil
	})}
	h, err := m.Fit(ctx, d.trainX[:640*784], d.trainY[:640], opts)
	assert.True(t, errors.Is(err, context.Canceled), "got %v", err)
	assert.Equal(t, 1, steps)
	assert.Len(t, h.Loss, 1, "the completed epoch is in the history")
}

func TestPredictMatchesEvaluateAndCheckpointRestores(t *testing.T) {
	d := loadFashion(t)
	m := newTutorialModel(t, 3)
	opts := tfmodel.DefaultFitOptions()
	opts.Epochs = 1
	_, err := m.Fit(context.Background(), d.trainX[:6400*784], d.trainY[:6400], opts)
	require.NoError(t, err)
	x, y := d.testX[:1000*784], d.testY[:1000]
	probs, err := m.Predict(x, tfmodel.PredictOptions{BatchSize: 100})
	require.NoError(t, err)
	require.Len(t, probs, 1000*10)
	correct := 0
	for i := range y {
		row := probs[i*10 : (i+1)*10]
		best := 0
		var sum float32
		for c, p := range row {
			sum += p
			if p > row[best] {
				best = c
			}
		}
		assert.InDelta(t, 1, sum, 1e-5, "row %d sums to %g", i, sum)
		if best == int(y[i]) {
			correct++
		}
	}
	_, acc, err := m.Evaluate(x, y, tfmodel.EvaluateOptions{})
	require.NoError(t, err)
	assert.InDelta(t, float64(correct)/1000, acc, 1e-6) // accuracy is a float32 ratio

	prefix := filepath.Join(t.TempDir(), "ckpt")
	require.NoError(t, m.SaveCheckpoint(prefix))
	other := newTutorialModel(t, 99)
	before, err := other.Predict(x, tfmodel.PredictOptions{BatchSize: 100})
	require.NoError(t, err)
	assert.NotEqual(t, probs, before)
	_, err = other.RestoreCheckpoint(prefix)
	require.NoError(t, err)
	after, err := other.Predict(x, tfmodel.PredictOptions{BatchSize: 100})
	require.NoError(t, err)
	assert.Equal(t, probs, after, "restored weights predict bit for bit the same")

	_, err = other.RestoreCheckpoint(filepath.Join(t.TempDir(), "missing"))
	assert.ErrorContains(t, err, "missing.index")
}
