package tfmodel_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/internal/pyenv"
	"github.com/gokeras/fashion/tfmodel"
)

// replay is what testdata/keras_equivalence.py reports of one Keras replay.
type replay struct {
	Steps        int                `json:"steps"`
	GoSteps      int                `json:"go_steps"`
	MaxAbsDiff   map[string]float64 `json:"max_abs_diff"`
	MaxAbsWeight map[string]float64 `json:"max_abs_weight"`
	EpochLoss    []float64          `json:"epoch_loss"`
	EpochAcc     []float64          `json:"epoch_accuracy"`
}

// TestTrainingMatchesKeras trains in Go and replays the same batches with
// Keras's train_on_batch in the .venv Python, from the same initial weights
// (handed over as a SaveV2 checkpoint), for 200 steps over two shuffled
// epochs, and compares the final weights and the per-epoch losses.
//
// With Adam's betas given to Keras as the float32 values Go trains with
// (0.9f, 0.999f), every operation is the same TensorFlow kernel on the same
// float32 inputs and the weights come out identical: the tolerance is 1e-6
// only so that a future kernel reordering its sums is not mistaken for a
// bug; it is far below any real difference (one wrong step moves weights by
// up to the learning rate, 1e-3).
//
// With Keras's default spelling, Adam(0.9, 0.999), Keras computes 1-beta2 in
// float64 (0.001) where the fused ResourceApplyAdam kernel computes it in
// float32 (0.00099998713), a 1.3e-5 relative difference in the velocity's
// decay. The first steps agree to ~1e-8, but ReLU units sitting on the edge
// of activity flip for a batch and Adam's normalised steps then amplify the
// difference chaotically, so weights after 200 steps differ up to ~1e-2 in a
// few units. The epoch losses still agree closely; that is asserted at 1e-2.
func TestTrainingMatchesKeras(t *testing.T) {
	const (
		examples = 3200 // 100 steps of 32 per epoch
		epochs   = 2
		seed     = 7
	)
	d := loadFashion(t)
	dir := t.TempDir()
	m := newTutorialModel(t, seed)
	require.NoError(t, m.SaveCheckpoint(filepath.Join(dir, "init", "ckpt")))

	opts := tfmodel.DefaultFitOptions()
	opts.Epochs, opts.Seed = epochs, seed
	h, err := m.Fit(context.Background(), d.trainX.Slice(0, examples), d.trainY.Slice(0, examples), opts)
	require.NoError(t, err)
	require.NoError(t, m.SaveCheckpoint(filepath.Join(dir, "final", "ckpt")))

	var orders [][]int32
	for e := 0; e < epochs; e++ {
		orders = append(orders, tfmodel.Order(seed, e, examples, true))
	}
	ordersJSON, err := json.Marshal(orders)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "orders.json"), ordersJSON, 0o644))

	out, err := pyenv.Run(context.Background(), "testdata/keras_equivalence.py",
		"--data", d.data.Source.Dir,
		"--init", filepath.Join(dir, "init", "ckpt"),
		"--final", filepath.Join(dir, "final", "ckpt"),
		"--orders", filepath.Join(dir, "orders.json"))
	require.NoError(t, err)
	var got struct {
		Float32      replay `json:"float32"`
		KerasDefault replay `json:"keras_default"`
	}
	require.NoError(t, json.Unmarshal(out, &got), "python printed: %s", out)
	t.Logf("Keras vs Go: %s", out)

	for name, r := range map[string]replay{"float32 betas": got.Float32, "Keras's default betas": got.KerasDefault} {
		assert.Equal(t, epochs*examples/32, r.Steps, name)
		assert.Equal(t, r.Steps, r.GoSteps, name)
		require.Len(t, r.MaxAbsDiff, 4, name)
		require.Len(t, r.EpochLoss, epochs, name)
		for w, scale := range r.MaxAbsWeight {
			assert.Greater(t, scale, 0.01, "%s: %s looks untrained", name, w)
		}
	}
	for w, diff := range got.Float32.MaxAbsDiff {
		assert.LessOrEqual(t, diff, 1e-6, "%s differs from Keras by %g", w, diff)
	}
	for e := range epochs {
		assert.InDelta(t, got.Float32.EpochLoss[e], h.History["loss"][e], 1e-6, "epoch %d mean loss", e+1)
		assert.InDelta(t, got.Float32.EpochAcc[e], h.History["accuracy"][e], 1e-6, "epoch %d accuracy", e+1)
		assert.InDelta(t, got.KerasDefault.EpochLoss[e], h.History["loss"][e], 1e-2, "epoch %d mean loss, Keras's default betas", e+1)
		assert.InDelta(t, got.KerasDefault.EpochAcc[e], h.History["accuracy"][e], 1e-2, "epoch %d accuracy, Keras's default betas", e+1)
	}
}
