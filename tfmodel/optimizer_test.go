package tfmodel

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/graph"
	"github.com/gokeras/fashion/internal/npy"
	"github.com/gokeras/fashion/internal/pyenv"
)

// newSmallModelWith is newSmallModel compiled with o.
func newSmallModelWith(t testing.TB, o graph.Optimizer) *Sequential {
	t.Helper()
	m, err := NewSequential(Flatten(smallFeatures), Dense(8, "relu"), Dense(smallClasses, "softmax"))
	require.NoError(t, err)
	opts := DefaultCompileOptions()
	opts.Optimizer = o
	opts.Seed = 1
	require.NoError(t, m.Compile(opts))
	t.Cleanup(func() { m.Close() })
	return m
}

func mustOptimizer(t testing.TB, name string) graph.Optimizer {
	t.Helper()
	o, err := graph.GetOptimizer(name)
	require.NoError(t, err)
	return o
}

// optimizerCases are the optimizers training is checked with: Keras's
// defaults by name, and the variants that keep other slots.
func optimizerCases(t testing.TB) []struct {
	name string
	opt  graph.Optimizer
	// keys are some of the checkpoint's keys, as Keras names the variables.
	keys []string
} {
	return []struct {
		name string
		opt  graph.Optimizer
		keys []string
	}{
		{"adam", mustOptimizer(t, "adam"), []string{"adam/iteration", "adam/learning_rate", "adam/dense_kernel_momentum", "adam/dense_1_bias_velocity"}},
		{"adamw", mustOptimizer(t, "AdamW"), []string{"adam_w/iteration", "adam_w/dense_kernel_momentum", "adam_w/dense_1_bias_velocity"}},
		{"sgd", mustOptimizer(t, "sgd"), []string{"sgd/iteration", "sgd/learning_rate"}},
		{"sgd with nesterov momentum", graph.SGD{LearningRate: 0.05, Momentum: 0.9, Nesterov: true, WeightDecay: 0.01},
			[]string{"sgd/iteration", "sgd/dense_kernel_momentum", "sgd/dense_1_bias_momentum"}},
		{"rmsprop", mustOptimizer(t, "RMSprop"), []string{"rm_sprop/iteration", "rm_sprop/dense_kernel_velocity"}},
		{"centered rmsprop with momentum", graph.RMSprop{LearningRate: 0.002, Rho: 0.8, Momentum: 0.5, Epsilon: 1e-7, Centered: true},
			[]string{"rm_sprop/dense_kernel_velocity", "rm_sprop/dense_kernel_momentum", "rm_sprop/dense_1_bias_average_gradient"}},
	}
}

// TestOptimizersResumeExactly trains 2 epochs with each optimizer, and
// again interrupted mid-epoch and resumed by another model from the
// checkpoint: both end with the same state, bit for bit, and the
// checkpoint holds the optimizer's variables under Keras's names.
func TestOptimizersResumeExactly(t *testing.T) {
	x, y := smallData(64, 1)
	for _, tt := range optimizerCases(t) {
		t.Run(tt.name, func(t *testing.T) {
			whole := newSmallModelWith(t, tt.opt)
			_, err := whole.Fit(context.Background(), x, y, smallFitOptions())
			require.NoError(t, err)
			want, err := whole.readState()
			require.NoError(t, err)

			dir := t.TempDir()
			interrupted := newSmallModelWith(t, tt.opt)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			o := smallFitOptions()
			o.Callbacks = []Callback{&BackupAndRestore{Dir: dir}, &stopAt{CallbackFunc: noEpochEnd, epoch: 1, step: 2, cancel: cancel}}
			_, err = interrupted.Fit(ctx, x, y, o)
			require.ErrorIs(t, err, context.Canceled)
			prefix, err := LatestCheckpoint(dir)
			require.NoError(t, err)
			require.Equal(t, filepath.Join(dir, "ckpt-epoch1-step2"), prefix)

			values := checkpointTensors(t, interrupted, prefix)
			for _, k := range tt.keys {
				assert.Contains(t, values, k)
			}
			for _, v := range interrupted.net.optState.Variables() {
				assert.Contains(t, values, v.Name)
			}
			setting, err := optimizerSetting(tt.opt)
			require.NoError(t, err)
			assert.Equal(t, setting, values["training/optimizer"].Value())
			assert.EqualValues(t, 6, values[tt.opt.Name()+"/iteration"].Value(), "4 steps of epoch 1, 2 of epoch 2")

			resumed := newSmallModelWith(t, tt.opt)
			o.Callbacks = []Callback{&BackupAndRestore{Dir: dir}}
			h, err := resumed.Fit(context.Background(), x, y, o)
			require.NoError(t, err)
			assert.Equal(t, []int{1}, h.Epochs)
			got, err := resumed.readState()
			require.NoError(t, err)
			assert.Equal(t, want, got, "resumed training must end where uninterrupted training ends")
			assert.NotEqual(t, want, mustState(t, newSmallModelWith(t, tt.opt)), "training changed the state")
		})
	}
}

func mustState(t *testing.T, m *Sequential) stateValues {
	t.Helper()
	s, err := m.readState()
	require.NoError(t, err)
	return s
}

// TestResumeWithAnotherOptimizerIsRefused: a checkpoint of one optimizer is
// not resumed, nor restored, by a model compiled with another, or with
// other hyper-parameters; the error names the difference.
func TestResumeWithAnotherOptimizerIsRefused(t *testing.T) {
	x, y := smallData(64, 1)
	tests := []struct {
		name       string
		saved, run graph.Optimizer
		want       string
	}{
		{"sgd into adam", graph.DefaultSGD(), graph.DefaultAdam(), "optimizer SGD (this run: Adam)"},
		{"adam into rmsprop", graph.DefaultAdam(), graph.DefaultRMSprop(), "optimizer Adam (this run: RMSprop)"},
		{"sgd momentum", graph.SGD{LearningRate: 0.01, Momentum: 0.9}, graph.DefaultSGD(), "optimizer momentum 0.9 (this run: 0)"},
		{"adamw weight decay", graph.DefaultAdamW(), graph.AdamW{LearningRate: 1e-3, WeightDecay: 0.1, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7},
			"optimizer weight_decay 0.004 (this run: 0.1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			saved := newSmallModelWith(t, tt.saved)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			o := smallFitOptions()
			o.Callbacks = []Callback{&BackupAndRestore{Dir: dir}, &stopAt{CallbackFunc: noEpochEnd, epoch: 1, step: 2, cancel: cancel}}
			_, err := saved.Fit(ctx, x, y, o)
			require.ErrorIs(t, err, context.Canceled)
			prefix, err := LatestCheckpoint(dir)
			require.NoError(t, err)

			m := newSmallModelWith(t, tt.run)
			before := mustState(t, m)
			o.Callbacks = []Callback{&BackupAndRestore{Dir: dir}}
			_, err = m.Fit(context.Background(), x, y, o)
			require.ErrorIs(t, err, ErrCheckpointSettings)
			var mismatch *SettingsMismatchError
			require.ErrorAs(t, err, &mismatch)
			assert.ErrorContains(t, err, tt.want)
			assert.ErrorContains(t, err, prefix)
			_, err = m.RestoreCheckpoint(prefix)
			assert.ErrorContains(t, err, tt.want)
			assert.Equal(t, before, mustState(t, m), "the model is left as it was")
		})
	}
}

// TestAdamCheckpointOfFormat2Restores reads testdata/adam-format2, written
// by the version before optimizers were recorded (format 2, Adam's "adam/"
// keys), for Flatten(2, 2) -> Dense(3, relu) -> Dense(2, softmax) compiled
// with seed 3 and trained 1 epoch of 40 examples in batches of 8 with
// shuffling seed 2: an Adam model restores it, another optimizer's refuses
// it naming both.
func TestAdamCheckpointOfFormat2Restores(t *testing.T) {
	const prefix = "testdata/adam-format2/ckpt"
	newModel := func(o graph.Optimizer) *Sequential {
		m, err := NewSequential(Flatten(2, 2), Dense(3, "relu"), Dense(2, "softmax"))
		require.NoError(t, err)
		opts := DefaultCompileOptions()
		opts.Optimizer, opts.Seed = o, 3
		require.NoError(t, m.Compile(opts))
		t.Cleanup(func() { m.Close() })
		return m
	}
	tests := []struct {
		name string
		opt  graph.Optimizer
		want string // error; "" restores
	}{
		{"adam", graph.DefaultAdam(), ""},
		{"sgd", graph.DefaultSGD(), "optimizer Adam (format 2, before the optimizer was recorded) (this run: SGD)"},
		{"adamw", graph.DefaultAdamW(), "optimizer Adam (format 2, before the optimizer was recorded) (this run: AdamW)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newModel(tt.opt)
			pos, err := m.RestoreCheckpoint(prefix)
			if tt.want != "" {
				require.ErrorIs(t, err, ErrCheckpointSettings)
				assert.ErrorContains(t, err, tt.want)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, Position{Epoch: 1, Step: 0, Seed: 2}, pos)
			s := mustState(t, m)
			assert.EqualValues(t, 5, s.iterations)
			assert.Equal(t, float32(0.001), s.learningRate)
			assert.Equal(t, 8, m.run.settings.BatchSize)
			assert.Equal(t, 40, m.run.settings.Examples)
			fresh := mustState(t, newModel(tt.opt))
			assert.NotEqual(t, fresh.weights, s.weights, "the trained weights are restored")
			assert.NotEqual(t, fresh.momentums, s.momentums)

			// Saved again, it is of format 3 and names Adam.
			again := filepath.Join(t.TempDir(), "ckpt")
			require.NoError(t, m.SaveCheckpoint(again))
			values := checkpointTensors(t, m, again)
			assert.EqualValues(t, 3, values["training/format"].Value())
			assert.Contains(t, values["training/optimizer"].Value(), `"class_name":"Adam"`)
			_, err = newModel(tt.opt).RestoreCheckpoint(again)
			require.NoError(t, err)
		})
	}
}

// TestSaveKerasOtherOptimizers: a model trained with each optimizer but
// Adam (whose .keras files TestKerasFileRoundTrip checks) is saved as
// .keras; Keras's load_model returns it compiled with that optimizer, its
// config, and its variables named and valued as Go's, bit for bit, and
// trains on from Go's step count. LoadKeras reads Go's file back into the
// same state, which trains on exactly as the original, and Keras's re-save
// into the state Keras trained to.
func TestSaveKerasOtherOptimizers(t *testing.T) {
	x, y := smallData(64, 1)
	dir := t.TempDir()
	images, labels := filepath.Join(dir, "x.npy"), filepath.Join(dir, "y.npy")
	require.NoError(t, npy.WriteFile(images, x.Data, 64, smallFeatures))
	require.NoError(t, npy.WriteFile(labels, y.Data, 64))
	for _, tt := range optimizerCases(t) {
		if tt.opt.ClassName() == "Adam" {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			m := newSmallModelWith(t, tt.opt)
			o := smallFitOptions()
			o.Epochs = 1
			_, err := m.Fit(context.Background(), x, y, o)
			require.NoError(t, err)
			path := filepath.Join(t.TempDir(), "m.keras")
			require.NoError(t, m.SaveKeras(path))

			pyPath := filepath.Join(t.TempDir(), "py.keras")
			out, err := pyenv.Run(context.Background(), "testdata/keras_optimizer.py", path, images, labels, pyPath)
			require.NoError(t, err)
			type pyVar struct {
				Path   string    `json:"path"`
				Shape  []int64   `json:"shape"`
				DType  string    `json:"dtype"`
				Values []float64 `json:"values"`
			}
			var py struct {
				Class          string         `json:"class"`
				Config         map[string]any `json:"config"`
				Variables      []pyVar        `json:"variables"`
				Iterations     int            `json:"iterations_after_fit"`
				VariablesAfter []pyVar        `json:"variables_after_fit"`
			}
			require.NoError(t, json.Unmarshal(out, &py), "python printed %s", out)
			assert.Equal(t, tt.opt.ClassName(), py.Class)
			var want map[string]any
			b, err := json.Marshal(tt.opt.Config())
			require.NoError(t, err)
			require.NoError(t, json.Unmarshal(b, &want))
			assert.Equal(t, want, py.Config)

			snap, err := m.takeSnapshot()
			require.NoError(t, err)
			vars := m.net.optState.Variables()
			require.Len(t, py.Variables, len(vars))
			for i, v := range vars {
				pv := py.Variables[i]
				assert.Equal(t, v.Name, pv.Path, "variable %d", i)
				assert.Equal(t, v.Shape, append([]int64{}, pv.Shape...), v.Name)
				assert.Equal(t, dtypeName(v.DType), pv.DType, v.Name)
				switch v.DType {
				case tf.Int64:
					assert.EqualValues(t, 4, snap[v].Value())
					assert.Equal(t, []float64{4}, pv.Values, v.Name)
				default:
					goValues, err := snap.floats(v)
					require.NoError(t, err)
					pyValues := make([]float32, len(pv.Values))
					for j, f := range pv.Values {
						pyValues[j] = float32(f)
					}
					assert.Equal(t, goValues, pyValues, v.Name)
				}
			}
			assert.Equal(t, 8, py.Iterations, "Keras went on from Go's step count")

			// Go -> Go: the same state, which trains on alike.
			back, err := LoadKeras(path)
			require.NoError(t, err)
			defer back.Close()
			// The learning rate as its float32 variable holds it.
			assert.Equal(t, tt.opt.WithLearningRate(float64(float32(tt.opt.InitialLearningRate()))), back.compiled.Optimizer)
			assert.Equal(t, mustState(t, m), mustState(t, back))
			o.InitialEpoch, o.Epochs = 1, 2
			for _, model := range []*Sequential{m, back} {
				_, err = model.Fit(context.Background(), x, y, o)
				require.NoError(t, err)
			}
			assert.Equal(t, mustState(t, m), mustState(t, back), "the loaded model trains on as the saved one")

			// Python -> Go: the state Keras trained to.
			fromPy, err := LoadKeras(pyPath)
			require.NoError(t, err)
			defer fromPy.Close()
			assert.Equal(t, tt.opt.ClassName(), fromPy.compiled.Optimizer.ClassName())
			snap, err = fromPy.takeSnapshot()
			require.NoError(t, err)
			require.Len(t, py.VariablesAfter, len(vars))
			for i, v := range fromPy.net.optState.Variables() {
				pv := py.VariablesAfter[i]
				assert.Equal(t, v.Name, pv.Path)
				if v.DType == tf.Int64 {
					assert.EqualValues(t, 8, snap[v].Value())
					continue
				}
				goValues, err := snap.floats(v)
				require.NoError(t, err)
				pyValues := make([]float32, len(pv.Values))
				for j, f := range pv.Values {
					pyValues[j] = float32(f)
				}
				assert.Equal(t, goValues, pyValues, v.Name)
			}
		})
	}
}
