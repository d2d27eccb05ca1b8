package kerasfile

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/internal/pyenv"
)

// python runs testdata/check_keras.py with the project's venv and decodes
// the JSON it prints. A missing venv fails the test (pyenv's error says how
// to make one): the interop is the point of this package.
func python(t *testing.T, out any, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	script, err := filepath.Abs(filepath.Join("testdata", "check_keras.py"))
	require.NoError(t, err)
	stdout, err := pyenv.Run(ctx, append([]string{script}, args...)...)
	require.NoError(t, err, "the venv needs tensorflow-cpu, keras 3 and h5py: scripts/libtensorflow-install.sh")
	require.NoError(t, json.Unmarshal(stdout, out), "check_keras.py printed: %s", stdout)
}

// writeRaw writes float32 values as a raw little-endian file, the format
// check_keras.py reads with numpy.fromfile.
func writeRaw(t *testing.T, path string, v []float32) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	require.NoError(t, os.WriteFile(path, b, 0o644))
}

func readRaw(t *testing.T, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

func readRawInt64(t *testing.T, path string) int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Len(t, b, 8)
	return int64(binary.LittleEndian.Uint64(b))
}

// assertBits checks that got holds exactly the float32 values in the raw
// file, bit for bit.
func assertBits(t *testing.T, path string, got []float32) {
	t.Helper()
	want := readRaw(t, path)
	require.Len(t, got, len(want), path)
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Errorf("%s: value %d is %g, want %g", filepath.Base(path), i, got[i], want[i])
			return
		}
	}
}

// assertModelBits checks a model read by Go against the variables Python
// dumped for it.
func assertModelBits(t *testing.T, dir string, m Model) {
	t.Helper()
	for i, l := range m.Layers {
		assertBits(t, filepath.Join(dir, "kernel"+itoa(i)+".f32"), l.Kernel)
		assertBits(t, filepath.Join(dir, "bias"+itoa(i)+".f32"), l.Bias)
	}
	require.NotNil(t, m.Optimizer)
	assert.Equal(t, readRawInt64(t, filepath.Join(dir, "iterations.i64")), m.Optimizer.Iterations)
	assertBits(t, filepath.Join(dir, "learning_rate.f32"), []float32{m.Optimizer.LearningRate})
	require.Len(t, m.Optimizer.Slots, len(m.Layers))
	for i, s := range m.Optimizer.Slots {
		p := func(name string) string { return filepath.Join(dir, name) }
		assertBits(t, p("m"+itoa(i)+"_kernel.f32"), s.KernelMomentum)
		assertBits(t, p("v"+itoa(i)+"_kernel.f32"), s.KernelVelocity)
		assertBits(t, p("m"+itoa(i)+"_bias.f32"), s.BiasMomentum)
		assertBits(t, p("v"+itoa(i)+"_bias.f32"), s.BiasVelocity)
	}
}

func itoa(i int) string { return string(rune('0' + i)) }

// predict is the model's forward pass in plain Go, for comparing with
// Keras's predictions.
func predict(m Model, x []float32) []float64 {
	a := make([]float64, len(x))
	for i, v := range x {
		a[i] = float64(v)
	}
	for _, l := range m.Layers {
		out := make([]float64, l.Units)
		for j := range out {
			s := float64(l.Bias[j])
			for i := range a {
				s += a[i] * float64(l.Kernel[i*l.Units+j])
			}
			out[j] = s
		}
		switch l.Activation {
		case "relu":
			for j := range out {
				out[j] = math.Max(out[j], 0)
			}
		case "softmax":
			mx, sum := math.Inf(-1), 0.0
			for _, v := range out {
				mx = math.Max(mx, v)
			}
			for j := range out {
				out[j] = math.Exp(out[j] - mx)
				sum += out[j]
			}
			for j := range out {
				out[j] /= sum
			}
		}
		a = out
	}
	return a
}

// TestKerasInterop runs the checks against the real Keras: Python
// writes, Go reads and writes, Python reads, Go reads again.
func TestKerasInterop(t *testing.T) {
	dir := t.TempDir()

	// 1. Python saves the tutorial's model, trained a few steps, and models
	// of other architectures.
	var made struct {
		KerasVersion string   `json:"keras_version"`
		Bad          []string `json:"bad"`
	}
	python(t, &made, "make", dir)
	t.Logf("Keras %s", made.KerasVersion)

	// 2. Go reads them: the tutorial's bit for bit, the others refused.
	py, err := ReadArch(filepath.Join(dir, "py.keras"), Fashion())
	require.NoError(t, err)
	assertModelBits(t, filepath.Join(dir, "py"), py)
	assert.Equal(t, int64(4), py.Optimizer.Iterations, "4 steps of fit in check_keras.py")
	assert.Equal(t, []string{"dense", "dense_1"}, py.layerNames())

	unc, err := ReadArch(filepath.Join(dir, "py_uncompiled.keras"), Fashion())
	require.NoError(t, err)
	assert.Nil(t, unc.Optimizer)

	unfit, err := ReadArch(filepath.Join(dir, "py_unfit.keras"), Fashion())
	require.NoError(t, err)
	assert.Equal(t, DefaultAdam(), unfit.Optimizer, "compiled, never fit: a fresh Adam")

	t.Run("other architectures", func(t *testing.T) {
		for _, tc := range []struct {
			file string
			want string
		}{
			{"dense64", "layer 2 (dense_1) is Dense(64, softmax), want Dense(10, softmax)"},
			{"three_dense", "model has 3 Dense layers, want 2 (Flatten((28, 28)) -> Dense(128, relu) -> Dense(10, softmax))"},
			{"tanh", "layer 1 (dense) is Dense(128, tanh), want Dense(128, relu)"},
			{"input32", "input shape is (32, 32), want (28, 28)"},
			{"dropout", "config.json: layer 2 is Dropout, want Dense"},
			{"conv", "config.json: layer 0 is Conv2D, want Flatten"},
			{"no_bias", "config.json: layer 1 (dense): use_bias is false"},
			{"functional", `config.json: model is a "Functional", want a Sequential`},
			{"nadam", `config.json: compile_config: optimizer is "Nadam", want Adam or AdamW, RMSprop, SGD`},
		} {
			t.Run(tc.file, func(t *testing.T) {
				path := filepath.Join(dir, "bad_"+tc.file+".keras")
				_, err := ReadArch(path, Fashion())
				assert.ErrorContains(t, err, "kerasfile: read "+path+": "+tc.want)
			})
		}
		assert.Len(t, made.Bad, 9, "a model check_keras.py makes is not in the table")
	})

	// 3. Go writes py.keras back, and a model of its own with known weights,
	// and random inputs to predict on.
	require.NoError(t, Write(filepath.Join(dir, "roundtrip.keras"), py))
	seed := seeded(Fashion(), 42)
	require.NoError(t, Write(filepath.Join(dir, "seeded.keras"), seed))
	for i, l := range seed.Layers {
		writeRaw(t, filepath.Join(dir, "seeded", "kernel"+itoa(i)+".f32"), l.Kernel)
		writeRaw(t, filepath.Join(dir, "seeded", "bias"+itoa(i)+".f32"), l.Bias)
	}
	r := rand.New(rand.NewPCG(7, 7))
	inputs := make([]float32, 8*784)
	for i := range inputs {
		inputs[i] = r.Float32()
	}
	writeRaw(t, filepath.Join(dir, "inputs.f32"), inputs)

	// 4. Python loads both with load_model, predicts, trains and saves again.
	var checked struct {
		Seeded struct {
			Class             string          `json:"class"`
			Warnings          []string        `json:"warnings"`
			ConfigDiff        string          `json:"config_diff"`
			CompileConfigDiff string          `json:"compile_config_diff"`
			SummaryEqual      bool            `json:"summary_equal"`
			Summary           string          `json:"summary"`
			LayerParams       []int           `json:"layer_params"`
			Params            int             `json:"params"`
			InputShape        []*int          `json:"input_shape"`
			WeightsEqual      map[string]bool `json:"weights_equal"`
			IterationsLoaded  int64           `json:"iterations_loaded"`
			NumpyMaxDiff      float64         `json:"numpy_max_diff"`
			Predictions       [][]float64     `json:"predictions"`
			LossBefore        float64         `json:"loss_before"`
			LossAfter         float64         `json:"loss_after"`
			IterationsAfter   int64           `json:"iterations_after"`
		} `json:"seeded"`
		Roundtrip struct {
			Class             string          `json:"class"`
			Warnings          []string        `json:"warnings"`
			ConfigDiff        string          `json:"config_diff"`
			CompileConfigDiff string          `json:"compile_config_diff"`
			Equal             map[string]bool `json:"equal"`
		} `json:"roundtrip"`
	}
	python(t, &checked, "check", dir)

	t.Run("Go-written model in Keras", func(t *testing.T) {
		s := checked.Seeded
		assert.Equal(t, "Sequential", s.Class)
		assert.Empty(t, s.Warnings, "load_model warned")
		assert.Empty(t, s.ConfigDiff, "get_config differs from the tutorial model's beyond names")
		assert.Empty(t, s.CompileConfigDiff, "get_compile_config differs from the tutorial model's")
		assert.True(t, s.SummaryEqual, "summary differs from the tutorial's model:\n%s", s.Summary)
		assert.Equal(t, []int{0, 100480, 1290}, s.LayerParams)
		assert.Equal(t, 101770, s.Params)
		require.Len(t, s.InputShape, 3)
		assert.Nil(t, s.InputShape[0])
		assert.Equal(t, 28, *s.InputShape[1])
		assert.Equal(t, 28, *s.InputShape[2])
		assert.Equal(t, map[string]bool{"kernel0": true, "bias0": true, "kernel1": true, "bias1": true}, s.WeightsEqual)
		assert.Zero(t, s.IterationsLoaded)
		assert.LessOrEqual(t, s.NumpyMaxDiff, 1e-6, "Keras's predictions against numpy's with the same weights")
		require.Len(t, s.Predictions, 8)
		for i, p := range s.Predictions {
			assert.InDeltaSlice(t, predict(seed, inputs[i*784:(i+1)*784]), p, 1e-6, "prediction %d", i)
		}
		assert.Less(t, s.LossAfter, s.LossBefore, "one epoch of fit did not lower the loss")
		assert.Equal(t, int64(16), s.IterationsAfter, "512 samples in batches of 32")
	})

	t.Run("Python to Go to Python", func(t *testing.T) {
		rt := checked.Roundtrip
		assert.Equal(t, "Sequential", rt.Class)
		assert.Empty(t, rt.Warnings, "load_model warned")
		assert.Empty(t, rt.ConfigDiff, "get_config differs from py.keras's")
		assert.Empty(t, rt.CompileConfigDiff, "get_compile_config differs from py.keras's")
		require.Len(t, rt.Equal, 14, "weights and Adam's variables")
		for name, eq := range rt.Equal {
			assert.True(t, eq, "%s differs from what Python saved", name)
		}
	})

	// 5. Go reads the model Keras trained on and saved again.
	t.Run("re-saved by Keras", func(t *testing.T) {
		m, err := ReadArch(filepath.Join(dir, "resaved.keras"), Fashion())
		require.NoError(t, err)
		assertModelBits(t, filepath.Join(dir, "resaved"), m)
		assert.Equal(t, int64(16), m.Optimizer.Iterations)
		assert.NotEqual(t, seed.Layers[0].Kernel, m.Layers[0].Kernel, "fit changed no weight")
	})
}
