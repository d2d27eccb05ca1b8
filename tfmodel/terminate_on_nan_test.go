package tfmodel

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// divergingLR makes Adam's first step move every weight by about 1e30, so
// the logits overflow and the loss is NaN within a step or two.
const divergingLR = 1e30

// TestTerminateOnNaN trains into NaN: with TerminateOnNaN, Fit stops at the
// first non-finite loss with an error and writes no checkpoint of the
// diverged model; without it, training runs to its end, and then every
// save refuses the model, naming a variable, unless asked to keep it.
func TestTerminateOnNaN(t *testing.T) {
	x, y := smallData(64, 1)
	tests := []struct {
		name      string
		terminate bool
		backup    bool
		wantErr   string
	}{
		{"stops at the first NaN step", true, false, "loss is not finite"},
		{"and checkpoints nothing", true, true, "loss is not finite"},
		{"without it, trains on", false, false, ""},
		{"without it, a checkpoint is refused", false, true, "save checkpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newSmallModel(t, divergingLR)
			o := smallFitOptions()
			dir := filepath.Join(t.TempDir(), "ckpt")
			if tt.terminate {
				o.Callbacks = append(o.Callbacks, TerminateOnNaN{})
			}
			if tt.backup {
				o.Callbacks = append(o.Callbacks, &BackupAndRestore{Dir: dir})
			}
			h, err := m.Fit(context.Background(), x, y, o)
			if tt.wantErr == "" {
				require.NoError(t, err)
				require.Len(t, h.History["loss"], 2)
				assert.True(t, math.IsNaN(h.History["loss"][1]), "the loss went NaN: %v", h.History["loss"])
			} else {
				require.Error(t, err)
				assert.ErrorContains(t, err, tt.wantErr)
			}
			if tt.terminate {
				require.ErrorIs(t, err, ErrLossNotFinite)
				assert.Empty(t, h.History["loss"], "stopped within the first epoch")
				pos := m.Position()
				assert.Equal(t, 0, pos.Epoch)
				assert.Less(t, pos.Step, 4, "at the step the loss went NaN, not later")
				assert.Regexp(t, `^tfmodel: fit: epoch 1, step \d: callback: the loss is not finite \((NaN|\+Inf)\): training diverged, stopping \(a lower learning rate may help\)$`, err.Error())
			}
			if tt.backup {
				files, _ := filepath.Glob(filepath.Join(dir, "ckpt-*"))
				assert.Empty(t, files, "no checkpoint of a diverged model")
				if !tt.terminate {
					assert.ErrorIs(t, err, ErrNotFinite)
				}
			}

			// Whatever stopped it, the model is NaN and no save takes it.
			out := t.TempDir()
			for name, save := range map[string]func(...SaveOption) error{
				"Save":           func(o ...SaveOption) error { return m.Save(filepath.Join(out, "model"), o...) },
				"SaveKeras":      func(o ...SaveOption) error { return m.SaveKeras(filepath.Join(out, "m.keras"), o...) },
				"SaveCheckpoint": func(o ...SaveOption) error { return m.SaveCheckpoint(filepath.Join(out, "ckpt"), o...) },
			} {
				err := save()
				require.ErrorIs(t, err, ErrNotFinite, name)
				assert.Regexp(t, `the model holds values that are not finite: dense(_1)?/(kernel|bias) holds (NaN|[+-]Inf) at index \d+ \(\d+ of its \d+ values are not finite\); not saving it \(training diverged\?\)$`, err.Error(), name)
			}
			entries, err := os.ReadDir(out)
			require.NoError(t, err)
			assert.Empty(t, entries, "nothing written")
			require.NoError(t, m.Save(filepath.Join(out, "model"), AllowNonFinite()), "unless asked")
			require.NoError(t, m.SaveCheckpoint(filepath.Join(out, "ckpt"), AllowNonFinite()))
		})
	}
}

// A finite model saves as before: the check costs no false alarm.
func TestSaveChecksFiniteOnly(t *testing.T) {
	m := newSmallModel(t, 0.001)
	x, y := smallData(64, 1)
	_, err := m.Fit(context.Background(), x, y, smallFitOptions())
	require.NoError(t, err)
	out := t.TempDir()
	require.NoError(t, m.Save(filepath.Join(out, "model")))
	require.NoError(t, m.SaveCheckpoint(filepath.Join(out, "ckpt")))
}

// Batch sizes and epoch counts at the limits of int: a batch larger than
// the data set is one step, and no step count overflows.
func TestHugeBatchSize(t *testing.T) {
	x, y := smallData(64, 1)
	for _, batch := range []int{64, 65, math.MaxInt32, math.MaxInt - 1, math.MaxInt} {
		m := newSmallModel(t, 0.001)
		o := smallFitOptions()
		o.BatchSize, o.ValidationSplit = batch, 0.25
		var steps []int
		o.Callbacks = []Callback{batchFunc(func(epoch, step int) { steps = append(steps, step) })}
		h, err := m.Fit(context.Background(), x, y, o)
		require.NoError(t, err, "batch %d", batch)
		assert.Equal(t, []int{1, 1}, steps, "batch %d: one step per epoch", batch)
		assert.Len(t, h.History["val_loss"], 2)
		_, err = m.Evaluate(x, y, EvaluateOptions{BatchSize: batch})
		require.NoError(t, err)
		probs, err := m.Predict(x, PredictOptions{BatchSize: batch})
		require.NoError(t, err)
		assert.Len(t, probs.Data, 64*smallClasses)
	}
	assert.Equal(t, 1, ceilDiv(5, math.MaxInt))
	assert.Equal(t, 2, ceilDiv(math.MaxInt, math.MaxInt/2+1))
	assert.Equal(t, 0, ceilDiv(0, 7))
}

// batchFunc hears every step.
type batchFunc func(epoch, step int)

func (f batchFunc) EpochEnd(*Sequential, int, Logs) (Action, error) { return Continue, nil }
func (f batchFunc) BatchEnd(_ *Sequential, epoch, step int, _ Logs) error {
	f(epoch, step)
	return nil
}

// Many epochs: the count is only compared, never multiplied, and a
// checkpoint of a run with a huge epoch count resumes.
func TestHugeEpochCount(t *testing.T) {
	x, y := smallData(64, 1)
	dir := t.TempDir()
	m := newSmallModel(t, 0.001)
	o := smallFitOptions()
	o.Epochs = math.MaxInt
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o.Callbacks = []Callback{&BackupAndRestore{Dir: dir}, &stopAt{CallbackFunc: noEpochEnd, epoch: 1, step: 2, cancel: cancel}}
	_, err := m.Fit(ctx, x, y, o)
	require.ErrorIs(t, err, context.Canceled)

	resumed := newSmallModel(t, 0.001)
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	var from Position
	o.Callbacks = []Callback{&BackupAndRestore{Dir: dir, Restored: func(_ string, p Position) { from = p }},
		&stopAt{CallbackFunc: noEpochEnd, epoch: 2, step: 1, cancel: cancel}}
	_, err = resumed.Fit(ctx, x, y, o)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, Position{Epoch: 1, Step: 2, Seed: 5}, from)
}
