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
	"github.com/gokeras/fashion/tensor"
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

	// Other layers, as Keras 3 prints the same model (testdata made by
	// .venv's Keras: Input(28, 28), Reshape(784), Dense(64, gelu),
	// Dropout(0.2), Reshape(8, 8), Flatten, Dense(1, sigmoid)).
	m, err = tfmodel.NewSequential(tfmodel.Input(28, 28), tfmodel.Reshape(784), tfmodel.Dense(64, "gelu"),
		tfmodel.Dropout(0.2), tfmodel.Reshape(8, 8), tfmodel.Flatten(), tfmodel.Dense(1, "sigmoid"))
	require.NoError(t, err)
	b.Reset()
	require.NoError(t, m.Summary(&b))
	want, err = os.ReadFile("testdata/summary_parts.golden")
	require.NoError(t, err)
	assert.Equal(t, string(want), b.String())
}

func TestNewSequentialRejectsBadLayers(t *testing.T) {
	tests := []struct {
		name   string
		layers []tfmodel.Layer
		want   string
	}{
		{"no layers", nil, "needs layers, starting with Input(shape) or Flatten(shape)"},
		{"no input shape", []tfmodel.Layer{tfmodel.Dense(10, "softmax"), tfmodel.Dense(10, "softmax")}, "the first layer, Dense, gives no input shape"},
		{"input only", []tfmodel.Layer{tfmodel.Input(28, 28)}, "at least one layer after its input"},
		{"empty input shape", []tfmodel.Layer{tfmodel.Input(), tfmodel.Flatten(), tfmodel.Dense(10, "softmax")}, "needs a shape"},
		{"negative dimension", []tfmodel.Layer{tfmodel.Flatten(28, -1), tfmodel.Dense(10, "softmax")}, "must be positive"},
		{"zero units", []tfmodel.Layer{tfmodel.Flatten(28, 28), tfmodel.Dense(0, "relu"), tfmodel.Dense(10, "softmax")}, "units 0"},
		{"unknown activation", []tfmodel.Layer{tfmodel.Flatten(28, 28), tfmodel.Dense(10, "tanhh")}, `unknown activation "tanhh"`},
		{"dense on images", []tfmodel.Layer{tfmodel.Input(28, 28), tfmodel.Dense(10, "softmax")}, "input shape [28 28]: Dense takes one vector per example"},
		{"second input", []tfmodel.Layer{tfmodel.Flatten(28, 28), tfmodel.Flatten(784), tfmodel.Dense(10, "softmax")}, "only the first layer may give the input shape"},
		{"reshape that does not fit", []tfmodel.Layer{tfmodel.Input(784), tfmodel.Reshape(27, 28), tfmodel.Flatten(), tfmodel.Dense(10, "softmax")}, "input shape [784] (784 values) does not fit target shape [27 28] (756 values)"},
		{"dropout rate", []tfmodel.Layer{tfmodel.Input(4), tfmodel.Dropout(1.5), tfmodel.Dense(2, "softmax")}, "rate 1.5 must be in [0, 1)"},
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
	x, y := tensor.Float32{Shape: []int{1, 28, 28}, Data: make([]float32, 784)}, tensor.Labels([]uint8{1})
	_, err = m.Fit(context.Background(), x, y, tfmodel.DefaultFitOptions())
	assert.ErrorIs(t, err, tfmodel.ErrNotCompiled)
	_, err = m.Evaluate(x, y, tfmodel.EvaluateOptions{})
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
		{"no loss", func(o *tfmodel.CompileOptions) { o.Loss = nil }, "no loss: want one of"},
		{"metric", func(o *tfmodel.CompileOptions) { o.Metrics = []string{"auc"} }, `unknown metric "auc"`},
		{"metric twice", func(o *tfmodel.CompileOptions) { o.Metrics = []string{"accuracy", "accuracy"} }, `metric "accuracy": the name is already taken`},
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
		{"inference session", func(o *tfmodel.CompileOptions) { o.Threads.Inference = 7 }, "Threads.Inference 7 is none of"},
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
	images := func(n int) tensor.Float32 {
		return tensor.Float32{Shape: []int{n, 28, 28}, Data: make([]float32, n*784)}
	}
	good := images(2)
	fit := func(mod func(*tfmodel.FitOptions)) func(x tensor.Float32, y tensor.Tensor) error {
		return func(x tensor.Float32, y tensor.Tensor) error {
			opts := tfmodel.DefaultFitOptions()
			opts.Epochs = 1
			if mod != nil {
				mod(&opts)
			}
			_, err := m.Fit(context.Background(), x, y, opts)
			return err
		}
	}
	evaluate := func(x tensor.Float32, y tensor.Tensor) error {
		_, err := m.Evaluate(x, y, tfmodel.EvaluateOptions{})
		return err
	}
	predict := func(x tensor.Float32, _ tensor.Tensor) error {
		_, err := m.Predict(x, tfmodel.PredictOptions{})
		return err
	}
	labels := tensor.Labels
	tests := []struct {
		name string
		call func(x tensor.Float32, y tensor.Tensor) error
		x    tensor.Float32
		y    tensor.Tensor
		want string
	}{
		{"fit: wrong example shape", fit(nil), tensor.Float32{Shape: []int{1, 784}, Data: make([]float32, 784)}, labels([]uint8{1}), "x has shape [1 784], examples of shape [784]; the model takes (None, 28, 28)"},
		{"fit: shape and data disagree", fit(nil), tensor.Float32{Shape: []int{2, 28, 28}, Data: make([]float32, 785)}, labels([]uint8{1, 1}), "shape [2 28 28] holds 1568 values, the data has 785"},
		{"fit: no images", fit(nil), tensor.Float32{}, nil, "no targets"},
		{"fit: counts disagree", fit(nil), good, labels([]uint8{1}), "2 examples but 1 targets"},
		{"fit: label out of range", fit(nil), good, labels([]uint8{1, 10}), "label 10 at index 1 is out of range"},
		{"fit: float targets for a sparse loss", fit(nil), good, tensor.Float32{Shape: []int{2, 10}, Data: make([]float32, 20)}, "takes integer class labels"},
		{"fit: zero epochs", fit(func(o *tfmodel.FitOptions) { o.Epochs = 0 }), good, labels([]uint8{1, 2}), "epochs 0 must be positive"},
		{"fit: negative batch size", fit(func(o *tfmodel.FitOptions) { o.BatchSize = -1 }), good, labels([]uint8{1, 2}), "batch size -1 must be positive"},
		{"fit: zero batch size", fit(func(o *tfmodel.FitOptions) { o.BatchSize = 0 }), good, labels([]uint8{1, 2}), "batch size 0 must be positive"},
		{"fit: initial epoch past the end", fit(func(o *tfmodel.FitOptions) { o.InitialEpoch = 1 }), good, labels([]uint8{1, 2}), "initial epoch 1"},
		{"fit: bad validation data", fit(func(o *tfmodel.FitOptions) { o.ValidationX = good; o.ValidationY = labels([]uint8{3}) }), good, labels([]uint8{1, 2}), "validation data: 2 examples but 1 targets"},
		{"evaluate: counts disagree", evaluate, good, labels([]uint8{1, 2, 3}), "2 examples but 3 targets"},
		{"evaluate: label out of range", evaluate, good, labels([]uint8{255, 0}), "label 255 at index 0"},
		{"predict: wrong shape", predict, tensor.Float32{Shape: []int{1, 10, 10}, Data: make([]float32, 100)}, nil, "examples of shape [10 10]; the model takes (None, 28, 28)"},
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
	assert.Equal(t, []int{2, 10}, probs.Shape)
	assert.Len(t, probs.Data, 20)
}

func TestFitStopsWhenCancelled(t *testing.T) {
	d := loadFashion(t)
	m := newTutorialModel(t, 1)
	ctx, cancel := context.WithCancel(context.Background())
	steps := 0
	opts := tfmodel.DefaultFitOptions()
	opts.Callbacks = []tfmodel.Callback{tfmodel.CallbackFunc(func(*tfmodel.Sequential, int, tfmodel.Logs) (tfmodel.Action, error) {
		steps++
		cancel() // after the first epoch
		return tfmodel.Continue, nil
	})}
	h, err := m.Fit(ctx, d.trainX.Slice(0, 640), d.trainY.Slice(0, 640), opts)
	assert.True(t, errors.Is(err, context.Canceled), "got %v", err)
	assert.Equal(t, 1, steps)
	assert.Len(t, h.History["loss"], 1, "the completed epoch is in the history")
}

func TestPredictMatchesEvaluateAndCheckpointRestores(t *testing.T) {
	d := loadFashion(t)
	m := newTutorialModel(t, 3)
	opts := tfmodel.DefaultFitOptions()
	opts.Epochs = 1
	_, err := m.Fit(context.Background(), d.trainX.Slice(0, 6400), d.trainY.Slice(0, 6400), opts)
	require.NoError(t, err)
	x, y := d.testX.Slice(0, 1000), d.testY.Slice(0, 1000)
	probs, err := m.Predict(x, tfmodel.PredictOptions{BatchSize: 100})
	require.NoError(t, err)
	require.Len(t, probs.Data, 1000*10)
	correct := 0
	for i := range y.Data {
		row := probs.Data[i*10 : (i+1)*10]
		best := 0
		var sum float32
		for c, p := range row {
			sum += p
			if p > row[best] {
				best = c
			}
		}
		assert.InDelta(t, 1, sum, 1e-5, "row %d sums to %g", i, sum)
		if best == int(y.Data[i]) {
			correct++
		}
	}
	evalLogs, err := m.Evaluate(x, y, tfmodel.EvaluateOptions{})
	require.NoError(t, err)
	assert.InDelta(t, float64(correct)/1000, evalLogs["accuracy"], 1e-6) // accuracy is a float32 ratio

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
