package kerasfile

import (
	"context"
	"encoding/json"
	"maps"
	"math"
	"path/filepath"
	"strconv"
	"strings"
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

// pyVariable is a variable as check_keras.py prints it: its values are
// float32s widened to float64, exactly.
type pyVariable struct {
	Name   string    `json:"name"`
	Shape  []int     `json:"shape"`
	Values []float64 `json:"values"`
}

// pyModel is check_keras.py's dump of a model.
type pyModel struct {
	Name       string `json:"name"`
	InputShape []int  `json:"input_shape"`
	Layers     []struct {
		Class           string         `json:"class"`
		Name            string         `json:"name"`
		Config          map[string]any `json:"config"`
		BuildInputShape []int          `json:"build_input_shape"`
		Weights         []pyVariable   `json:"weights"`
	} `json:"layers"`
	Optimizer *struct {
		Class     string       `json:"class"`
		Variables []pyVariable `json:"variables"`
	} `json:"optimizer"`
	Loss    json.RawMessage `json:"loss"`
	Metrics json.RawMessage `json:"metrics"`
}

// assertBits checks that got holds exactly want's shape and values, bit
// for bit.
func assertBits(t *testing.T, what string, want pyVariable, got Weight) {
	t.Helper()
	if !assert.Equal(t, want.Shape, append([]int{}, got.Shape...), "%s: shape", what) || !assert.Len(t, got.Values, len(want.Values), what) {
		return
	}
	for i, v := range want.Values {
		if math.Float32bits(got.Values[i]) != math.Float32bits(float32(v)) {
			t.Errorf("%s: value %d is %g, Keras has %g", what, i, got.Values[i], v)
			return
		}
	}
}

// assertSame checks a Model against what Keras holds for the same model:
// layers, configs, variables bit for bit, the optimizer's variables in
// Keras's order (each slot's name ends with the kind kerasfile expects
// there), loss and metrics.
func assertSame(t *testing.T, py pyModel, m Model) {
	t.Helper()
	assert.Equal(t, py.Name, m.Name)
	assert.Equal(t, py.InputShape, m.InputShape)
	require.Len(t, m.Layers, len(py.Layers))
	for i, pl := range py.Layers {
		l := m.Layers[i]
		at := layerLabel(i, pl.Name)
		assert.Equal(t, pl.Class, l.ClassName, at)
		assert.Equal(t, pl.Name, l.Name, at)
		assert.Equal(t, pl.Config, l.Config, at)
		assert.Equal(t, pl.BuildInputShape, l.BuildInputShape, at)
		require.Len(t, l.Weights, len(pl.Weights), at)
		for j, w := range pl.Weights {
			assertBits(t, at+" weight "+strconv.Itoa(j), w, l.Weights[j])
		}
	}
	if py.Optimizer == nil {
		assert.Nil(t, m.Compile)
		return
	}
	require.NotNil(t, m.Compile)
	o := m.Compile.Optimizer
	assert.Equal(t, py.Optimizer.Class, o.ClassName)
	vars := py.Optimizer.Variables
	require.GreaterOrEqual(t, len(vars), 2)
	assert.Equal(t, vars[0].Values, []float64{float64(o.Iterations)}, "iterations")
	assertBits(t, "learning rate", vars[1], Weight{Shape: []int{}, Values: []float32{o.LearningRate}})
	if len(vars) == 2 {
		assert.Nil(t, o.Slots, "an optimizer never built has no slots")
	} else {
		cfg, _, err := parseOptimizer(o.ClassName, o.Config)
		require.NoError(t, err)
		kinds := slots(slotLayout(o.ClassName, cfg), m.trainedVariables())
		require.Len(t, o.Slots, len(vars)-2)
		require.Len(t, kinds, len(vars)-2)
		for i, v := range vars[2:] {
			// Keras names a slot after the variable and its kind:
			// sequential_dense_kernel_momentum.
			assert.True(t, strings.HasSuffix(v.Name, "_"+kinds[i].kind), "slot %d is Keras's %s, kerasfile's %s of %s", i, v.Name, kinds[i].kind, kinds[i].of.path)
			assertBits(t, "slot "+strconv.Itoa(i)+" ("+v.Name+")", v, o.Slots[i])
		}
	}
	assert.JSONEq(t, string(py.Loss), string(orNull(m.Compile.Loss)), "loss")
	assert.JSONEq(t, string(py.Metrics), string(orNull(m.Compile.Metrics)), "metrics")
}

func orNull(raw json.RawMessage) json.RawMessage {
	if raw == nil {
		return json.RawMessage("null")
	}
	return raw
}

// TestKerasInterop checks the package against the real Keras: Python
// writes, Go reads and writes, Python reads.
func TestKerasInterop(t *testing.T) {
	dir := t.TempDir()

	// 1. Python saves models of Flatten, Dense, Dropout, Reshape, Conv2D
	// and MaxPooling2D layers, compiled with each optimizer and fit, or
	// not, and models Go must refuse.
	var made struct {
		KerasVersion string             `json:"keras_version"`
		Made         map[string]pyModel `json:"made"`
		Bad          []string           `json:"bad"`
	}
	python(t, &made, "make", dir)
	t.Logf("Keras %s", made.KerasVersion)

	// 2. Go reads them, bit for bit, and writes them back.
	want := map[string]func(t *testing.T, m Model){
		"sgd": func(t *testing.T, m Model) {
			assert.Equal(t, "SGD", m.Compile.Optimizer.ClassName)
			assert.JSONEq(t, `"binary_crossentropy"`, string(m.Compile.Loss))
			assert.JSONEq(t, `["accuracy","mae"]`, string(m.Compile.Metrics))
			assert.Equal(t, map[string]any{"rate": 0.3, "seed": 7.0, "noise_shape": nil}, m.Layers[2].Config)
			assert.Equal(t, []Weight{}, m.Layers[2].Weights, "Keras does not save Dropout's seed generator")
			assert.Equal(t, map[string]any{"target_shape": []any{5.0, 1.0}}, m.Layers[3].Config)
		},
		"adam": func(t *testing.T, m Model) {
			assert.JSONEq(t, sccLogits, string(m.Compile.Loss))
			assert.Equal(t, float32(0.002), m.Compile.Optimizer.LearningRate)
		},
		"adamw":   func(t *testing.T, m Model) { assert.Equal(t, "AdamW", m.Compile.Optimizer.ClassName) },
		"rmsprop": func(t *testing.T, m Model) { assert.JSONEq(t, `[`+maeMetric+`]`, string(m.Compile.Metrics)) },
		"conv": func(t *testing.T, m Model) {
			assert.Equal(t, []int{3, 3, 1, 2}, m.Layers[0].Weights[0].Shape)
			assert.Equal(t, "MaxPooling2D", m.Layers[1].ClassName)
		},
		"uncompiled": func(t *testing.T, m Model) { assert.Nil(t, m.Compile) },
		"unfit": func(t *testing.T, m Model) {
			assert.Zero(t, m.Compile.Optimizer.Iterations)
			assert.Nil(t, m.Compile.Optimizer.Slots, "compiled, never fit: a fresh optimizer")
		},
	}
	require.Len(t, made.Made, len(want), "a model check_keras.py makes is not in the table")
	for name, check := range want {
		t.Run("read py_"+name, func(t *testing.T) {
			m, err := Read(filepath.Join(dir, "py_"+name+".keras"))
			require.NoError(t, err)
			assertSame(t, made.Made[name], m)
			check(t, m)
			if c := m.Compile; c != nil && name != "unfit" {
				assert.EqualValues(t, 2, c.Optimizer.Iterations, "two steps of fit")
			}
			require.NoError(t, Write(filepath.Join(dir, "rt_"+name+".keras"), m))
		})
	}

	t.Run("refused", func(t *testing.T) {
		for _, tc := range []struct {
			file string
			want string
		}{
			{"functional", `config.json: the model is a "Functional"; kerasfile reads Keras's Sequential models`},
			{"nested", "config.json: layer 1 (sequential) is a nested Sequential model; kerasfile reads a flat Sequential"},
			{"mixed_precision", `config.json: layer 1 (dense): dtype policy is "mixed_float16", want float32`},
			{"frozen", "config.json: layer 1 (dense): trainable is false; kerasfile reads trainable layers"},
			{"nadam", `config.json: compile_config: optimizer "Nadam" is not one kerasfile knows (Adam, AdamW, RMSprop, SGD)`},
			{"lstm", `model.weights.h5: layer 0 (lstm): group layers/lstm holds ["cell" "vars"], want only vars: kerasfile reads layers whose variables are all their own`},
			{"custom", `config.json: layer 1 (scale) is a Scale of module null, registered_name "Custom>Scale"; kerasfile reads Keras's built-in layers (module keras.layers)`},
		} {
			t.Run(tc.file, func(t *testing.T) {
				path := filepath.Join(dir, "bad_"+tc.file+".keras")
				_, err := Read(path)
				assert.EqualError(t, err, "kerasfile: read "+path+": "+tc.want)
			})
		}
		assert.Len(t, made.Bad, 7, "a model check_keras.py makes is not in the table")
	})

	// 3. Go writes models of its own, with each optimizer's state.
	gomodels := map[string]Model{
		"adam":       trainedState(t, compiled(logits(convnet(1)), "Adam", adamConfig, sccLogits, `["accuracy"]`), 1),
		"adamw":      trainedState(t, compiled(mixed(2), "AdamW", adamWConfig, `"binary_crossentropy"`, `["accuracy"]`), 2),
		"sgd":        trainedState(t, compiled(mixed(3), "SGD", sgdConfig, `"binary_crossentropy"`, `["accuracy","mae"]`), 3),
		"rmsprop":    trainedState(t, compiled(mixed(4), "RMSprop", rmspropConfig, `"mse"`, `[`+maeMetric+`]`), 4),
		"fresh":      compiled(mixed(5), "Adam", adamConfig, `"binary_crossentropy"`, `["accuracy"]`),
		"uncompiled": mixed(6),
	}
	for name, m := range gomodels {
		require.NoError(t, Write(filepath.Join(dir, "go_"+name+".keras"), m))
	}

	// 4. Keras loads every file Go wrote, and fits each compiled one a step.
	var checked struct {
		Files map[string]struct {
			Class             string   `json:"class"`
			Warnings          []string `json:"warnings"`
			Dump              pyModel  `json:"dump"`
			ConfigDiff        string   `json:"config_diff"`
			CompileConfigDiff string   `json:"compile_config_diff"`
			Fit               *struct {
				IterationsBefore int64   `json:"iterations_before"`
				IterationsAfter  int64   `json:"iterations_after"`
				Loss             float64 `json:"loss"`
			} `json:"fit"`
		} `json:"files"`
	}
	python(t, &checked, "check", dir)
	require.Len(t, checked.Files, len(gomodels)+len(want))
	for name, r := range checked.Files {
		t.Run("Keras loads "+name, func(t *testing.T) {
			assert.Equal(t, "Sequential", r.Class)
			assert.Empty(t, r.Warnings, "load_model warned")
			var m Model
			if kind, ok := strings.CutPrefix(name, "go_"); ok {
				m = named(gomodels[kind])
				if kind == "fresh" {
					// Keras built the optimizer as it loaded the zeros Go
					// wrote for it.
					m = withZeroSlots(t, m)
				}
			} else {
				kind := strings.TrimPrefix(name, "rt_")
				assert.Empty(t, r.ConfigDiff, "get_config differs from py_%s.keras's", kind)
				assert.Empty(t, r.CompileConfigDiff, "get_compile_config differs from py_%s.keras's", kind)
				var err error
				m, err = Read(filepath.Join(dir, "py_"+kind+".keras"))
				require.NoError(t, err)
				if kind == "unfit" {
					m = withZeroSlots(t, m)
				}
			}
			assertSame(t, r.Dump, m)
			if m.Compile == nil {
				assert.Nil(t, r.Fit)
				return
			}
			require.NotNil(t, r.Fit)
			assert.Equal(t, m.Compile.Optimizer.Iterations, r.Fit.IterationsBefore)
			assert.Equal(t, r.Fit.IterationsBefore+1, r.Fit.IterationsAfter, "one step of fit")
			assert.False(t, math.IsNaN(r.Fit.Loss) || math.IsInf(r.Fit.Loss, 0), "loss %g", r.Fit.Loss)
		})
	}
}

// logits returns m with its last layer's activation linear, as a loss
// from_logits wants it.
func logits(m Model) Model {
	m.Layers = append([]Layer(nil), m.Layers...)
	last := &m.Layers[len(m.Layers)-1]
	last.Config = maps.Clone(last.Config)
	last.Config["activation"] = "linear"
	return m
}
