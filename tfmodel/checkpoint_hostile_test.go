package tfmodel

import (
	"context"
	"errors"
	"github.com/gokeras/fashion/tensor"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/graph"
)

// The tests of this file train a small model on random data: what they
// check is what Fit and the checkpoints do with the values, not learning.

const (
	smallFeatures = 4
	smallClasses  = 3
)

// smallData is n random examples of the small model.
func smallData(n int, seed uint64) (tensor.Float32, tensor.Int32) {
	r := rand.New(rand.NewPCG(seed, 0))
	x := make([]float32, n*smallFeatures)
	for i := range x {
		x[i] = r.Float32()
	}
	y := make([]uint8, n)
	for i := range y {
		y[i] = uint8(r.IntN(smallClasses))
	}
	return tensor.Float32{Shape: []int{n, smallFeatures}, Data: x}, tensor.Labels(y)
}

// newSmallModel is Flatten(4) -> Dense(8, relu) -> Dense(3, softmax),
// compiled with Adam at the given learning rate.
func newSmallModel(t testing.TB, lr float32) *Sequential {
	t.Helper()
	m, err := NewSequential(Flatten(smallFeatures), Dense(8, "relu"), Dense(smallClasses, "softmax"))
	require.NoError(t, err)
	opts := DefaultCompileOptions()
	opts.Optimizer = graph.Adam{LearningRate: lr, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7}
	opts.Seed = 1
	require.NoError(t, m.Compile(opts))
	t.Cleanup(func() { m.Close() })
	return m
}

// stopAt cancels training after a given step (epoch from 0, step from 1).
type stopAt struct {
	CallbackFunc
	epoch, step int
	cancel      context.CancelFunc
}

func (s *stopAt) BatchEnd(_ *Sequential, epoch, step int, _ Logs) error {
	if epoch == s.epoch && step == s.step {
		s.cancel()
	}
	return nil
}

func noEpochEnd(*Sequential, int, Logs) (Action, error) { return Continue, nil }

// smallFitOptions: 2 epochs of 64 examples in batches of 16 (4 steps).
func smallFitOptions() FitOptions {
	o := DefaultFitOptions()
	o.Epochs, o.BatchSize, o.Seed = 2, 16, 5
	return o
}

// interruptedCheckpoint trains the small model into dir and interrupts it
// at epoch 2, step 2, leaving a checkpoint there; it returns its prefix.
func interruptedCheckpoint(t *testing.T, dir string) string {
	t.Helper()
	x, y := smallData(64, 1)
	m := newSmallModel(t, 0.001)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := smallFitOptions()
	o.Callbacks = []Callback{&BackupAndRestore{Dir: dir}, &stopAt{CallbackFunc: noEpochEnd, epoch: 1, step: 2, cancel: cancel}}
	_, err := m.Fit(ctx, x, y, o)
	require.ErrorIs(t, err, context.Canceled)
	prefix, err := LatestCheckpoint(dir)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(dir, "ckpt-epoch1-step2"), prefix)
	return prefix
}

// checkpointTensors reads every key of a checkpoint SaveCheckpoint wrote.
func checkpointTensors(t *testing.T, m *Sequential, prefix string) map[string]*tf.Tensor {
	t.Helper()
	values := map[string]*tf.Tensor{}
	header, err := m.readKeys(m.net.header, prefix)
	require.NoError(t, err)
	for i, k := range checkpointKeys() {
		values[k.Name] = header[i]
	}
	s := m.net.saver
	feeds, err := prefixFeed(s.Prefix, prefix)
	require.NoError(t, err)
	out, err := m.session.Run(feeds, s.Restored[:len(s.Vars)], nil)
	require.NoError(t, err)
	for i, v := range s.Vars {
		values[v.Name] = out[i]
	}
	return values
}

// writeRawCheckpoint writes values under their keys with TensorFlow's
// SaveV2, in a graph of its own: any key, any dtype, any shape, as a
// damaged or hostile file could hold them.
func writeRawCheckpoint(t *testing.T, prefix string, values map[string]*tf.Tensor) {
	t.Helper()
	s := op.NewScope()
	var names []string
	var inputs []tf.Output
	feeds := map[tf.Output]*tf.Tensor{}
	for name, v := range values {
		p := op.Placeholder(s.SubScope("value"), v.DataType())
		names = append(names, name)
		inputs = append(inputs, p)
		feeds[p] = v
	}
	save := op.SaveV2(s, op.Const(s.SubScope("prefix"), prefix), op.Const(s.SubScope("names"), names),
		op.Const(s.SubScope("slices"), make([]string, len(names))), inputs)
	g, err := s.Finalize()
	require.NoError(t, err)
	sess, err := tf.NewSession(g, nil)
	require.NoError(t, err)
	defer sess.Close()
	_, err = sess.Run(feeds, nil, []*tf.Operation{save})
	require.NoError(t, err)
}

func tfTensor(t *testing.T, v any) *tf.Tensor {
	t.Helper()
	x, err := tf.NewTensor(v)
	require.NoError(t, err)
	return x
}

// poke sets element i of a float32 tensor.
func poke(t *testing.T, v *tf.Tensor, i int, x float32) *tf.Tensor {
	t.Helper()
	data := make([]float32, tensorSize(v))
	require.NoError(t, copyFloat32s(data, v))
	data[i] = x
	out, err := float32Tensor(data, v.Shape()...)
	require.NoError(t, err)
	return out
}

func tensorSize(v *tf.Tensor) int {
	n := 1
	for _, d := range v.Shape() {
		n *= int(d)
	}
	return n
}

// TestHostileCheckpointsAreRefused writes checkpoints whose every kind of
// value is out of range, not finite, inconsistent or of another run, and
// resumes from each: Fit must fail with an error naming the checkpoint and
// the value, before it assigns anything (no panic, no run of the wrong
// length, no NaN training), and leave the model as it was.
func TestHostileCheckpointsAreRefused(t *testing.T) {
	good := interruptedCheckpoint(t, t.TempDir())
	reader := newSmallModel(t, 0.001)
	base := checkpointTensors(t, reader, good)

	tests := []struct {
		name   string
		change func(t *testing.T, v map[string]*tf.Tensor)
		want   string
		is     error
	}{
		{"negative step", func(t *testing.T, v map[string]*tf.Tensor) { v["training/step"] = tfTensor(t, int64(-1)) },
			"training/step is -1: must not be negative", nil},
		{"step past the epoch", func(t *testing.T, v map[string]*tf.Tensor) { v["training/step"] = tfTensor(t, int64(4)) },
			"training/step is 4: must be less than 4, the steps of an epoch of 64 examples in batches of 16", nil},
		{"negative epoch", func(t *testing.T, v map[string]*tf.Tensor) {
			v["training/epoch"] = tfTensor(t, int64(-5))
			v["training/initial_epoch"] = tfTensor(t, int64(-5))
		}, "training/epoch is -5: must not be negative", nil},
		{"epoch past the run", func(t *testing.T, v map[string]*tf.Tensor) { v["training/epoch"] = tfTensor(t, int64(8)) },
			"has trained 8 epochs and 2 steps, beyond this run's 2 epochs", ErrCheckpointSettings},
		{"initial epoch after the epoch", func(t *testing.T, v map[string]*tf.Tensor) { v["training/initial_epoch"] = tfTensor(t, int64(3)) },
			"training/initial_epoch is 3: must be in [0, 1]", nil},
		{"negative learning rate", func(t *testing.T, v map[string]*tf.Tensor) { v["adam/learning_rate"] = tfTensor(t, float32(-1)) },
			"adam/learning_rate is -1: must be positive", nil},
		{"NaN learning rate", func(t *testing.T, v map[string]*tf.Tensor) {
			v["adam/learning_rate"] = tfTensor(t, float32(math.NaN()))
		}, "adam/learning_rate holds NaN at index 0 (1 of its 1 values are not finite)", nil},
		{"negative step count", func(t *testing.T, v map[string]*tf.Tensor) { v["adam/iteration"] = tfTensor(t, int64(-1)) },
			"adam/iteration is -1: must be in [0, 6]", nil},
		{"step count beyond the steps taken", func(t *testing.T, v map[string]*tf.Tensor) {
			v["adam/iteration"] = tfTensor(t, int64(math.MaxInt64))
		}, "adam/iteration is 9223372036854775807: must be in [0, 6], the step counts possible at epoch 1, step 2", nil},
		{"huge base step count", func(t *testing.T, v map[string]*tf.Tensor) {
			v["training/base_iteration"] = tfTensor(t, int64(math.MaxInt64-3))
		}, "training/base_iteration is 9223372036854775804: must be in [0, 9007199254740992]", nil},
		{"NaN weight", func(t *testing.T, v map[string]*tf.Tensor) {
			v["dense/kernel"] = poke(t, v["dense/kernel"], 3, float32(math.NaN()))
		},
			"dense/kernel holds NaN at index 3 (1 of its 32 values are not finite)", nil},
		{"infinite momentum", func(t *testing.T, v map[string]*tf.Tensor) {
			v["adam/dense_1_bias_momentum"] = poke(t, v["adam/dense_1_bias_momentum"], 1, float32(math.Inf(-1)))
		}, "adam/dense_1_bias_momentum holds -Inf at index 1", nil},
		{"negative velocity", func(t *testing.T, v map[string]*tf.Tensor) {
			v["adam/dense_kernel_velocity"] = poke(t, v["adam/dense_kernel_velocity"], 0, -1)
		}, "adam/dense_kernel_velocity holds -1 at index 0: must not be negative", nil},
		{"NaN running loss", func(t *testing.T, v map[string]*tf.Tensor) {
			v["metrics/loss/total"] = tfTensor(t, float32(math.NaN()))
		}, "metrics/loss/total holds NaN", nil},
		{"negative batch size", func(t *testing.T, v map[string]*tf.Tensor) { v["training/batch_size"] = tfTensor(t, int64(-3)) },
			"training/batch_size is -3: must be positive", nil},
		{"no run but a position", func(t *testing.T, v map[string]*tf.Tensor) { v["training/batch_size"] = tfTensor(t, int64(0)) },
			"training/batch_size is 0: a checkpoint of no training run, but its other training values say otherwise", nil},
		{"validation split NaN", func(t *testing.T, v map[string]*tf.Tensor) {
			v["training/validation_split"] = tfTensor(t, math.NaN())
		}, "training/validation_split is NaN: must be in [0, 1)", nil},
		{"validation split 1.5", func(t *testing.T, v map[string]*tf.Tensor) { v["training/validation_split"] = tfTensor(t, 1.5) },
			"training/validation_split is 1.5: must be in [0, 1)", nil},
		{"shuffle 2", func(t *testing.T, v map[string]*tf.Tensor) { v["training/shuffle"] = tfTensor(t, int64(2)) },
			"training/shuffle is 2: must be 0 or 1", nil},
		{"no examples", func(t *testing.T, v map[string]*tf.Tensor) { v["training/examples"] = tfTensor(t, int64(0)) },
			"training/examples is 0: must be positive", nil},
		{"a newer format", func(t *testing.T, v map[string]*tf.Tensor) { v["training/format"] = tfTensor(t, int64(4)) },
			"training/format is 4: this version reads format 3 (and 2)", nil},
		{"format 2 with training/optimizer", func(t *testing.T, v map[string]*tf.Tensor) { v["training/format"] = tfTensor(t, int64(2)) },
			"training/format is 2: this version reads format 3", nil},
		{"format 3 without training/optimizer", func(t *testing.T, v map[string]*tf.Tensor) { delete(v, "training/optimizer") },
			"training/format is 3: a checkpoint without training/optimizer must be of format 2", nil},
		{"an optimizer that is not JSON", func(t *testing.T, v map[string]*tf.Tensor) { v["training/optimizer"] = tfTensor(t, "adam") },
			`training/optimizer is "adam": want a Keras optimizer's class_name and config, as JSON`, nil},
		{"an optimizer of another dtype", func(t *testing.T, v map[string]*tf.Tensor) { v["training/optimizer"] = tfTensor(t, int64(1)) },
			"training/optimizer", nil},
		{"another optimizer", func(t *testing.T, v map[string]*tf.Tensor) {
			v["training/optimizer"] = tfTensor(t, `{"class_name": "SGD", "config": {"momentum": 0.0}}`)
		}, "was written with other settings than this run's: optimizer SGD (this run: Adam)", ErrCheckpointSettings},
		{"another beta", func(t *testing.T, v map[string]*tf.Tensor) {
			b, err := graph.SerializeOptimizer(graph.Adam{LearningRate: 0.001, Beta1: 0.5, Beta2: 0.999, Epsilon: 1e-7})
			require.NoError(t, err)
			v["training/optimizer"] = tfTensor(t, string(b))
		}, "was written with other settings than this run's: optimizer beta_1 0.5 (this run: 0.8999999761581421)", ErrCheckpointSettings},
		{"a step that is not a scalar", func(t *testing.T, v map[string]*tf.Tensor) { v["training/step"] = tfTensor(t, []int64{1, 2}) },
			"training/step has shape [2], want a scalar", nil},
		{"a step of another dtype", func(t *testing.T, v map[string]*tf.Tensor) { v["training/step"] = tfTensor(t, float32(1)) },
			"training/step", nil},
		{"format 1: no settings", func(t *testing.T, v map[string]*tf.Tensor) {
			for _, k := range checkpointKeys()[3:] {
				delete(v, k.Name)
			}
		}, "it is of format 1, written by an earlier version that did not record the training settings", ErrCheckpointSettings},
		{"another learning rate", func(t *testing.T, v map[string]*tf.Tensor) { v["adam/learning_rate"] = tfTensor(t, float32(0.5)) },
			"was written with other settings than this run's: learning rate 0.5 (this run: 0.001)", ErrCheckpointSettings},
		{"other batch size, seed, split and data", func(t *testing.T, v map[string]*tf.Tensor) {
			v["training/batch_size"] = tfTensor(t, int64(8))
			v["training/shuffle_seed"] = tfTensor(t, int64(6))
			v["training/validation_split"] = tfTensor(t, 0.5)
			v["training/examples"] = tfTensor(t, int64(96))
		}, "was written with other settings than this run's: batch size 8 (this run: 16), shuffling seed 6 (this run: 5), validation split 0.5 (this run: 0), examples 96 (this run: 64)", ErrCheckpointSettings},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			values := map[string]*tf.Tensor{}
			for k, v := range base {
				values[k] = v
			}
			tt.change(t, values)
			prefix := filepath.Join(dir, "ckpt-epoch1-step2")
			writeRawCheckpoint(t, prefix, values)
			require.NoError(t, writeCheckpointState(dir, "ckpt-epoch1-step2", ""))

			m := newSmallModel(t, 0.001)
			before, err := m.readState()
			require.NoError(t, err)
			x, y := smallData(64, 1)
			o := smallFitOptions()
			o.Callbacks = []Callback{&BackupAndRestore{Dir: dir}}
			h, err := m.Fit(context.Background(), x, y, o)
			require.Error(t, err)
			assert.Nil(t, h, "nothing trained")
			assert.ErrorContains(t, err, prefix, "the error names the checkpoint")
			assert.ErrorContains(t, err, tt.want)
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}
			after, err := m.readState()
			require.NoError(t, err)
			assert.Equal(t, before, after, "the model is left as it was")

			// RestoreCheckpoint checks as much, settings aside.
			if tt.is == nil {
				_, err = m.RestoreCheckpoint(prefix)
				assert.ErrorContains(t, err, tt.want)
			}
		})
	}

	t.Run("the unchanged checkpoint resumes", func(t *testing.T) {
		dir := t.TempDir()
		prefix := filepath.Join(dir, "ckpt-epoch1-step2")
		writeRawCheckpoint(t, prefix, base)
		require.NoError(t, writeCheckpointState(dir, "ckpt-epoch1-step2", ""))
		m := newSmallModel(t, 0.001)
		x, y := smallData(64, 1)
		o := smallFitOptions()
		o.Callbacks = []Callback{&BackupAndRestore{Dir: dir}}
		h, err := m.Fit(context.Background(), x, y, o)
		require.NoError(t, err)
		assert.Equal(t, []int{1}, h.Epochs)
	})
}

// A checkpoint written outside Fit (no run) restores, and SaveCheckpoint
// after a Fit records that Fit's settings.
func TestCheckpointOutsideFit(t *testing.T) {
	m := newSmallModel(t, 0.001)
	prefix := filepath.Join(t.TempDir(), "init")
	require.NoError(t, m.SaveCheckpoint(prefix))
	pos, err := m.RestoreCheckpoint(prefix)
	require.NoError(t, err)
	assert.Equal(t, Position{}, pos)

	// BackupAndRestore does not resume it: it records no run.
	dir := t.TempDir()
	require.NoError(t, m.SaveCheckpoint(filepath.Join(dir, "ckpt-epoch0")))
	require.NoError(t, writeCheckpointState(dir, "ckpt-epoch0", ""))
	x, y := smallData(64, 1)
	o := smallFitOptions()
	o.Callbacks = []Callback{&BackupAndRestore{Dir: dir}}
	_, err = m.Fit(context.Background(), x, y, o)
	assert.ErrorIs(t, err, ErrCheckpointSettings)
	assert.ErrorContains(t, err, "records no training run")
}

// Restart discards the checkpoint of another run and trains from scratch
// with this run's settings, exactly as a run with no checkpoint does.
func TestBackupAndRestoreRestart(t *testing.T) {
	dir := t.TempDir()
	interruptedCheckpoint(t, dir)
	x, y := smallData(64, 1)
	o := smallFitOptions()
	o.Seed = 6 // another run

	fresh := newSmallModel(t, 0.001)
	_, err := fresh.Fit(context.Background(), x, y, o)
	require.NoError(t, err)
	want, err := fresh.readState()
	require.NoError(t, err)

	m := newSmallModel(t, 0.001)
	o.Callbacks = []Callback{&BackupAndRestore{Dir: dir}}
	_, err = m.Fit(context.Background(), x, y, o)
	require.ErrorIs(t, err, ErrCheckpointSettings, "without Restart, the other run's checkpoint is refused")

	var restored bool
	o.Callbacks = []Callback{&BackupAndRestore{Dir: dir, Restart: true, Restored: func(string, Position) { restored = true }}}
	h, err := m.Fit(context.Background(), x, y, o)
	require.NoError(t, err)
	assert.False(t, restored)
	assert.Equal(t, []int{0, 1}, h.Epochs, "from scratch")
	got, err := m.readState()
	require.NoError(t, err)
	assert.Equal(t, want, got)
	files, err := filepath.Glob(filepath.Join(dir, "ckpt-*"))
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{
		filepath.Join(dir, "ckpt-epoch1.index"), filepath.Join(dir, "ckpt-epoch1.data-00000-of-00001"),
		filepath.Join(dir, "ckpt-epoch2.index"), filepath.Join(dir, "ckpt-epoch2.data-00000-of-00001"),
	}, files, "the old run's checkpoints are gone")
}

// busyProbe tries, during training, to take the directory Fit holds.
type busyProbe struct {
	CallbackFunc
	dir string
	err error
}

func (b *busyProbe) BatchEnd(*Sequential, int, int, Logs) error {
	if b.err == nil {
		other := &BackupAndRestore{Dir: b.dir}
		b.err = other.Lock()
		if b.err == nil {
			other.Unlock()
			b.err = errors.New("locked a directory Fit holds")
		}
	}
	return nil
}

// A checkpoint directory is one run's at a time: Lock holds it until
// Unlock, Fit from TrainBegin to TrainEnd, and a second taker fails at once
// naming the holder.
func TestCheckpointDirLock(t *testing.T) {
	dir := t.TempDir()
	x, y := smallData(64, 1)
	pid := os.Getpid()

	first := &BackupAndRestore{Dir: dir}
	require.NoError(t, first.Lock())
	m := newSmallModel(t, 0.001)
	o := smallFitOptions()
	o.Callbacks = []Callback{&BackupAndRestore{Dir: dir}}
	_, err := m.Fit(context.Background(), x, y, o)
	require.ErrorIs(t, err, ErrCheckpointDirBusy)
	var busy *DirBusyError
	require.ErrorAs(t, err, &busy)
	assert.EqualError(t, busy, "checkpoint directory "+dir+" is in use by another training run (pid "+strconv.Itoa(pid)+")")

	// The holder itself trains; another taker during its Fit is refused.
	probe := &busyProbe{CallbackFunc: noEpochEnd, dir: dir}
	o.Callbacks = []Callback{first, probe}
	_, err = m.Fit(context.Background(), x, y, o)
	require.NoError(t, err)
	assert.ErrorIs(t, probe.err, ErrCheckpointDirBusy)
	require.NoError(t, first.Unlock())

	// Fit's own lock lasts the Fit, whatever its end.
	o.Epochs = 3
	probe = &busyProbe{CallbackFunc: noEpochEnd, dir: dir}
	o.Callbacks = []Callback{&BackupAndRestore{Dir: dir}, probe}
	_, err = m.Fit(context.Background(), x, y, o)
	require.NoError(t, err)
	assert.ErrorIs(t, probe.err, ErrCheckpointDirBusy)
	after := &BackupAndRestore{Dir: dir}
	require.NoError(t, after.Lock(), "released when Fit ended")
	require.NoError(t, after.Unlock())

	// And after a failed TrainBegin (here: another run's settings).
	o.Seed = 99
	o.Callbacks = []Callback{&BackupAndRestore{Dir: dir}}
	_, err = m.Fit(context.Background(), x, y, o)
	require.ErrorIs(t, err, ErrCheckpointSettings)
	require.NoError(t, after.Lock(), "released when TrainBegin failed")
	require.NoError(t, after.Unlock())
}

// startMover is a TrainBeginner that moves the start anywhere.
type startMover struct {
	CallbackFunc
	to Position
}

func (s startMover) TrainBegin(_ *Sequential, start *Position) error {
	*start = s.to
	return nil
}

// Fit checks a start any TrainBeginner gives it, not only BackupAndRestore's.
func TestFitChecksTheStart(t *testing.T) {
	x, y := smallData(64, 1)
	for _, tt := range []struct {
		to   Position
		want string
	}{
		{Position{Step: -1}, "start at epoch 1, step -1 is outside an epoch of 4 steps"},
		{Position{Step: 4}, "start at epoch 1, step 4 is outside an epoch of 4 steps"},
		{Position{Epoch: -5}, "start at epoch -4, step 0 is outside this run's 2 epochs"},
		{Position{Epoch: 3}, "start at epoch 4, step 0 is outside this run's 2 epochs"},
		{Position{Epoch: 2, Step: 1}, "start at epoch 3, step 1 is outside this run's 2 epochs"},
	} {
		m := newSmallModel(t, 0.001)
		o := smallFitOptions()
		o.Callbacks = []Callback{startMover{CallbackFunc: noEpochEnd, to: tt.to}}
		h, err := m.Fit(context.Background(), x, y, o)
		assert.Nil(t, h)
		assert.EqualError(t, err, "tfmodel: fit: "+tt.want, "%+v", tt.to)
	}
}
