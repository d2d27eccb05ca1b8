package tfmodel_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/internal/pyenv"
	"github.com/gokeras/fashion/tfmodel"
)

func TestValidationSplitAndEarlyStopping(t *testing.T) {
	const n = 800 // a small set overfits within a few epochs
	d := loadFashion(t)
	x, y := d.trainX.Slice(0, n), d.trainY.Slice(0, n)
	m := newTutorialModel(t, 11)
	stop := tfmodel.NewEarlyStopping(2)
	opts := tfmodel.DefaultFitOptions()
	opts.Epochs, opts.ValidationSplit = 60, 0.5
	opts.Callbacks = []tfmodel.Callback{stop}
	h, err := m.Fit(context.Background(), x, y, opts)
	require.NoError(t, err)

	require.GreaterOrEqual(t, stop.StoppedEpoch, 2, "stopped: the validation loss rose")
	assert.Len(t, h.History["val_loss"], stop.StoppedEpoch+1, "no epoch after the stop")
	assert.Equal(t, stop.StoppedEpoch-2, stop.BestEpoch, "patience 2: two epochs without improvement")
	for e, v := range h.History["val_loss"] {
		assert.GreaterOrEqual(t, v, h.History["val_loss"][stop.BestEpoch], "epoch %d", e)
	}
	// The split is Keras's: the last half, before shuffling. The restored
	// weights are the best epoch's: evaluating them gives its val_loss.
	evalLogs, err := m.Evaluate(x.Slice(n/2, n), y.Slice(n/2, n), tfmodel.EvaluateOptions{})
	require.NoError(t, err)
	assert.InDelta(t, h.History["val_loss"][stop.BestEpoch], evalLogs["loss"], 1e-7)
	assert.InDelta(t, h.History["val_accuracy"][stop.BestEpoch], evalLogs["accuracy"], 1e-7)
}

func TestEarlyStoppingNeedsValidationData(t *testing.T) {
	d := loadFashion(t)
	m := newTutorialModel(t, 1)
	opts := tfmodel.DefaultFitOptions()
	opts.Epochs = 2
	opts.Callbacks = []tfmodel.Callback{tfmodel.NewEarlyStopping(1)}
	_, err := m.Fit(context.Background(), d.trainX.Slice(0, 64), d.trainY.Slice(0, 64), opts)
	assert.ErrorContains(t, err, "early stopping watches val_loss")
}

// cancelAt cancels a run's context after a step of an epoch (0-based),
// as a SIGINT arriving there would: where the interrupt lands does not
// depend on the machine's speed, as a timer's would.
type cancelAt struct {
	epoch, step int
	cancel      context.CancelFunc
}

func (c cancelAt) EpochEnd(*tfmodel.Sequential, int, tfmodel.Logs) (tfmodel.Action, error) {
	return tfmodel.Continue, nil
}

func (c cancelAt) BatchEnd(_ *tfmodel.Sequential, epoch, step int, _ tfmodel.Logs) error {
	if epoch == c.epoch && step == c.step {
		c.cancel()
	}
	return nil
}

// TestBackupAndRestoreResumesExactly interrupts a run in the middle of an
// epoch and resumes it in a fresh model: the result equals, bit for bit,
// that of a run never interrupted.
func TestBackupAndRestoreResumesExactly(t *testing.T) {
	const n = 6400
	d := loadFashion(t)
	x, y := d.trainX.Slice(0, n), d.trainY.Slice(0, n)
	opts := tfmodel.DefaultFitOptions()
	opts.Epochs, opts.Seed = 3, 5
	probe := d.testX.Slice(0, 500)

	whole := newTutorialModel(t, 4)
	_, err := whole.Fit(context.Background(), x, y, opts)
	require.NoError(t, err)
	want, err := whole.Predict(probe, tfmodel.PredictOptions{})
	require.NoError(t, err)

	dir := t.TempDir()
	var saved []tfmodel.Position
	backup := &tfmodel.BackupAndRestore{Dir: dir, Saved: func(_ string, p tfmodel.Position) { saved = append(saved, p) }}
	ctx, cancel := context.WithCancel(context.Background())
	interrupted := newTutorialModel(t, 4)
	o := opts
	o.Callbacks = []tfmodel.Callback{backup, cancelAt{epoch: 1, step: 53, cancel: cancel}}
	_, err = interrupted.Fit(ctx, x, y, o)
	require.ErrorIs(t, err, context.Canceled)
	require.Len(t, saved, 2, "after epoch 1, and where it was interrupted")
	stopped := interrupted.Position()
	assert.Equal(t, tfmodel.Position{Epoch: 1, Step: stopped.Step, Seed: 5}, saved[1])
	require.Equal(t, 53, stopped.Step, "interrupted mid-epoch, after the step that cancelled")
	latest, err := tfmodel.LatestCheckpoint(dir)
	require.NoError(t, err)
	assert.Contains(t, latest, "ckpt-epoch1-step")

	// Another process, another initial seed: everything comes from the
	// checkpoint. A run with another shuffling seed is not this run: it is
	// refused, not resumed with the checkpoint's seed silently winning.
	resumed := newTutorialModel(t, 99)
	o = opts
	o.Seed = 12345
	o.Callbacks = []tfmodel.Callback{&tfmodel.BackupAndRestore{Dir: dir}}
	_, err = resumed.Fit(context.Background(), x, y, o)
	require.ErrorIs(t, err, tfmodel.ErrCheckpointSettings)
	assert.ErrorContains(t, err, "shuffling seed 5 (this run: 12345)")
	o.Seed = opts.Seed
	h, err := resumed.Fit(context.Background(), x, y, o)
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2}, h.Epochs)
	got, err := resumed.Predict(probe, tfmodel.PredictOptions{})
	require.NoError(t, err)
	assert.Equal(t, want, got, "resumed training must end where uninterrupted training ends")
	files, err := filepath.Glob(filepath.Join(dir, "ckpt-*.index"))
	require.NoError(t, err)
	assert.Len(t, files, 2, "the newest checkpoint and the one before it: %v", files)
}

func TestBackupRefusesForeignOrDamagedCheckpoints(t *testing.T) {
	d := loadFashion(t)
	x, y := d.trainX.Slice(0, 320), d.trainY.Slice(0, 320)
	opts := tfmodel.DefaultFitOptions()
	opts.Epochs = 2

	other, err := tfmodel.NewSequential(tfmodel.Flatten(28, 28), tfmodel.Dense(64, "relu"), tfmodel.Dense(10, "softmax"))
	require.NoError(t, err)
	require.NoError(t, other.Compile(tfmodel.DefaultCompileOptions()))
	defer other.Close()
	foreign := t.TempDir()
	o := opts
	o.Epochs = 1
	o.Callbacks = []tfmodel.Callback{&tfmodel.BackupAndRestore{Dir: foreign}}
	_, err = other.Fit(context.Background(), x, y, o)
	require.NoError(t, err)

	damaged := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(damaged, "checkpoint"), []byte("model_checkpoint_path: \"ckpt-epoch1\"\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(damaged, "ckpt-epoch1.index"), []byte("garbage"), 0o644))

	tests := []struct{ name, dir, want string }{
		{"another model", foreign, "dense/kernel is float32 [784 64], want float32 [784 128]: saved from another model?"},
		{"damaged checkpoint", damaged, "ckpt-epoch1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := snapshotDir(t, tt.dir)
			m := newTutorialModel(t, 1)
			o := opts
			o.Callbacks = []tfmodel.Callback{&tfmodel.BackupAndRestore{Dir: tt.dir}}
			_, err := m.Fit(context.Background(), x, y, o)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Equal(t, before, snapshotDir(t, tt.dir), "the checkpoint directory is untouched")
		})
	}
}

func snapshotDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		if e.Name() == ".lock" {
			continue // the run's lock, not a checkpoint
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		files[e.Name()] = string(b)
	}
	return files
}

// TestTensorBoardLogsTheHistory writes event files during Fit and reads
// them back with Python TensorFlow.
func TestTensorBoardLogsTheHistory(t *testing.T) {
	d := loadFashion(t)
	logdir := t.TempDir()
	m := newTutorialModel(t, 2)
	opts := tfmodel.DefaultFitOptions()
	opts.Epochs, opts.ValidationSplit = 3, 0.2
	opts.Callbacks = []tfmodel.Callback{&tfmodel.TensorBoard{LogDir: logdir}}
	h, err := m.Fit(context.Background(), d.trainX.Slice(0, 1600), d.trainY.Slice(0, 1600), opts)
	require.NoError(t, err)

	out, err := pyenv.Run(context.Background(), "../tensorboard/testdata/read_events.py", logdir)
	require.NoError(t, err)
	var got struct {
		Runs  map[string]map[string][][2]float64 `json:"runs"`
		Graph map[string]int                     `json:"graph"`
	}
	require.NoError(t, json.Unmarshal(out, &got), "python printed %s", out)
	want := map[string]map[string][]float64{
		"train":      {"epoch_loss": h.History["loss"], "epoch_accuracy": h.History["accuracy"]},
		"validation": {"epoch_loss": h.History["val_loss"], "epoch_accuracy": h.History["val_accuracy"]},
	}
	for run, tags := range want {
		for tag, values := range tags {
			points := got.Runs[run][tag]
			require.Len(t, points, len(values), "%s/%s", run, tag)
			for e, v := range values {
				assert.Equal(t, float64(e), points[e][0], "%s/%s step", run, tag)
				assert.Equal(t, float64(float32(v)), points[e][1], "%s/%s epoch %d", run, tag, e)
			}
		}
	}
	assert.Equal(t, 1, got.Graph["train"], "the model's graph")
}

// batchRecorder hears every step and fails at one of them.
type batchRecorder struct {
	tfmodel.CallbackFunc
	steps  [][2]int
	failAt [2]int
}

func (b *batchRecorder) BatchEnd(_ *tfmodel.Sequential, epoch, step int, logs tfmodel.Logs) error {
	b.steps = append(b.steps, [2]int{epoch, step})
	if logs["loss"] <= 0 {
		return errors.New("no running loss")
	}
	if b.failAt == [2]int{epoch, step} {
		return errors.New("stop here")
	}
	return nil
}

func TestBatchEndHearsEveryStep(t *testing.T) {
	d := loadFashion(t)
	noEpochEnd := tfmodel.CallbackFunc(func(*tfmodel.Sequential, int, tfmodel.Logs) (tfmodel.Action, error) {
		return tfmodel.Continue, nil
	})
	tests := []struct {
		name      string
		failAt    [2]int
		wantSteps int
		wantErr   string
	}{
		{"every step of two epochs", [2]int{-1, -1}, 2 * 3, ""},
		{"an error stops at its step", [2]int{1, 2}, 3 + 2, "epoch 2, step 2: callback: stop here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTutorialModel(t, 3)
			rec := &batchRecorder{CallbackFunc: noEpochEnd, failAt: tt.failAt}
			opts := tfmodel.DefaultFitOptions()
			opts.Epochs, opts.BatchSize = 2, 32
			opts.Callbacks = []tfmodel.Callback{rec}
			_, err := m.Fit(context.Background(), d.trainX.Slice(0, 96), d.trainY.Slice(0, 96), opts)
			require.Len(t, rec.steps, tt.wantSteps)
			assert.Equal(t, [2]int{0, 1}, rec.steps[0])
			if tt.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, [2]int{1, 3}, rec.steps[len(rec.steps)-1])
				return
			}
			require.ErrorContains(t, err, tt.wantErr)
			assert.Equal(t, tfmodel.Position{Epoch: 1, Step: 2, Seed: opts.Seed}, m.Position())
		})
	}
}
