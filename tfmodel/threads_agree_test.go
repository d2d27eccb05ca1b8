package tfmodel_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/tfmodel"
)

// TestCallersThreadAndInterOpPoolAgree: the tutorial's model trained,
// evaluated and asked for predictions in the caller's thread (InterOp 0,
// the default) and on a pool of two inter-op threads gives the same bits:
// the history, the logs and the predictions.
func TestCallersThreadAndInterOpPoolAgree(t *testing.T) {
	d := loadFashion(t)
	x, y := first(d.trainX, d.trainY, 1600)
	probe, labels := first(d.testX, d.testY, 500)
	type result struct {
		history tfmodel.History
		logs    tfmodel.Logs
		probs   []float32
	}
	var results []result
	for _, interOp := range []int{0, 2} {
		m, err := tfmodel.NewSequential(tfmodel.Flatten(28, 28), tfmodel.Dense(128, "relu"), tfmodel.Dense(10, "softmax"))
		require.NoError(t, err)
		opts := tfmodel.DefaultCompileOptions()
		opts.Seed, opts.Threads.InterOp = 3, interOp
		require.NoError(t, m.Compile(opts))
		t.Cleanup(func() { m.Close() })
		fit := tfmodel.DefaultFitOptions()
		fit.Epochs, fit.Seed, fit.ValidationSplit = 2, 4, 0.2
		h, err := m.Fit(context.Background(), x, y, fit)
		require.NoError(t, err)
		logs, err := m.Evaluate(probe, labels, tfmodel.EvaluateOptions{})
		require.NoError(t, err)
		probs, err := m.Predict(probe, tfmodel.PredictOptions{})
		require.NoError(t, err)
		results = append(results, result{*h, logs, probs.Data})
	}
	assert.Equal(t, results[0].history.History, results[1].history.History, "history")
	assert.Equal(t, results[0].logs, results[1].logs, "evaluation")
	assert.Equal(t, results[0].probs, results[1].probs, "predictions")
}
