package kerasfile

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// The models the tests write and read, built as Keras would build them,
// with configs in the form Read returns them (numbers float64, lists
// []any), so that a round trip compares equal.

// glorot and zeros are Keras's serialized default initializers.
func glorot() map[string]any {
	return map[string]any{"module": "keras.initializers", "class_name": "GlorotUniform",
		"config": map[string]any{"seed": nil, "input_axes": nil, "output_axes": nil}, "registered_name": nil}
}

func zerosInit() map[string]any {
	return map[string]any{"module": "keras.initializers", "class_name": "Zeros", "config": map[string]any{}, "registered_name": nil}
}

// values returns n reproducible values of a trained model's scale; pos
// makes them non-negative, as Adam's velocities and RMSprop's are.
func values(r *rand.Rand, n int, pos bool) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(0.3 * r.NormFloat64())
		if pos {
			v[i] = float32(math.Abs(float64(v[i])) * 1e-3)
		}
	}
	return v
}

func dense(r *rand.Rand, in, units int, activation string) Layer {
	return Layer{
		ClassName: "Dense",
		Config: map[string]any{
			"units": float64(units), "activation": activation, "use_bias": true,
			"kernel_initializer": glorot(), "bias_initializer": zerosInit(),
			"kernel_regularizer": nil, "bias_regularizer": nil, "kernel_constraint": nil, "bias_constraint": nil,
			"quantization_config": nil,
		},
		BuildInputShape: []int{in},
		Weights: []Weight{
			{Shape: []int{in, units}, Values: values(r, in*units, false)},
			{Shape: []int{units}, Values: values(r, units, false)},
		},
	}
}

func flatten(in ...int) Layer {
	return Layer{ClassName: "Flatten", Config: map[string]any{"data_format": "channels_last"}, BuildInputShape: in, Weights: []Weight{}}
}

// mixed returns the model of Flatten, Dense, Dropout and Reshape layers
// that the tests share:
//
//	keras.Sequential([keras.Input((4, 3)), Flatten(), Dense(5, activation="gelu"),
//	    Dropout(0.3, seed=7), Reshape((5, 1)), Flatten(), Dense(1, activation="sigmoid")])
//
// with reproducible weights, not compiled.
func mixed(seed uint64) Model {
	r := rand.New(rand.NewPCG(seed, 0x6b657261))
	return Model{
		InputShape: []int{4, 3},
		Layers: []Layer{
			flatten(4, 3),
			dense(r, 12, 5, "gelu"),
			{ClassName: "Dropout", Config: map[string]any{"rate": 0.3, "seed": 7.0, "noise_shape": nil}, Weights: []Weight{}},
			{ClassName: "Reshape", Config: map[string]any{"target_shape": []any{5.0, 1.0}}, Weights: []Weight{}},
			flatten(5, 1),
			dense(r, 5, 1, "sigmoid"),
		},
	}
}

// Keras 3.15's get_config of each optimizer, as compile_config holds it.
const (
	adamConfig    = `{"name":"adam","learning_rate":0.0010000000474974513,"weight_decay":null,"clipnorm":null,"global_clipnorm":null,"clipvalue":null,"use_ema":false,"ema_momentum":0.99,"ema_overwrite_frequency":null,"loss_scale_factor":null,"gradient_accumulation_steps":null,"beta_1":0.9,"beta_2":0.999,"epsilon":1e-7,"amsgrad":false}`
	adamWConfig   = `{"name":"adam_w","learning_rate":0.0010000000474974513,"weight_decay":0.004,"clipnorm":null,"global_clipnorm":null,"clipvalue":null,"use_ema":false,"ema_momentum":0.99,"ema_overwrite_frequency":null,"loss_scale_factor":null,"gradient_accumulation_steps":null,"beta_1":0.9,"beta_2":0.999,"epsilon":1e-7,"amsgrad":false}`
	sgdConfig     = `{"name":"sgd","learning_rate":0.009999999776482582,"weight_decay":null,"clipnorm":null,"global_clipnorm":null,"clipvalue":null,"use_ema":false,"ema_momentum":0.99,"ema_overwrite_frequency":null,"loss_scale_factor":null,"gradient_accumulation_steps":null,"momentum":0.9,"nesterov":true}`
	plainSGD      = `{"name":"sgd","learning_rate":0.009999999776482582,"weight_decay":null,"clipnorm":null,"global_clipnorm":null,"clipvalue":null,"use_ema":false,"ema_momentum":0.99,"ema_overwrite_frequency":null,"loss_scale_factor":null,"gradient_accumulation_steps":null,"momentum":0.0,"nesterov":false}`
	rmspropConfig = `{"name":"rm_sprop","learning_rate":0.0010000000474974513,"weight_decay":null,"clipnorm":null,"global_clipnorm":null,"clipvalue":null,"use_ema":false,"ema_momentum":0.99,"ema_overwrite_frequency":null,"loss_scale_factor":null,"gradient_accumulation_steps":null,"rho":0.9,"momentum":0.5,"epsilon":1e-7,"centered":true}`
	// sccLogits is keras.losses.SparseCategoricalCrossentropy(from_logits=True) serialized.
	sccLogits = `{"module":"keras.losses","class_name":"SparseCategoricalCrossentropy","config":{"name":"sparse_categorical_crossentropy","reduction":"sum_over_batch_size","from_logits":true,"ignore_class":null},"registered_name":null}`
	// maeMetric is keras.metrics.MeanAbsoluteError() serialized.
	maeMetric = `{"module":"keras.metrics","class_name":"MeanAbsoluteError","config":{"name":"mean_absolute_error","dtype":"float32"},"registered_name":null}`
)

// compiled returns m compiled with the optimizer of class and config and
// with loss and metrics, its optimizer fresh (no slots).
func compiled(m Model, class, config, loss, metrics string) Model {
	var c struct {
		LearningRate float64 `json:"learning_rate"`
	}
	// The constants above decode; a config that did not would fail
	// Write's learning rate check.
	json.Unmarshal([]byte(config), &c)
	m.Compile = &Compile{
		Optimizer: Optimizer{ClassName: class, Config: json.RawMessage(config), LearningRate: float32(c.LearningRate)},
		Loss:      json.RawMessage(loss),
		Metrics:   json.RawMessage(metrics),
		// Keras's default, which Read gives for the files Keras writes.
		StepsPerExecution: 1,
	}
	return m
}

// adam returns m compiled as the tutorial compiles: Adam, sparse
// categorical cross-entropy, accuracy.
func adam(m Model) Model {
	return compiled(m, "Adam", adamConfig, `"sparse_categorical_crossentropy"`, `["accuracy"]`)
}

// trainedState gives m's optimizer the state of some training: iterations
// and slots of the shapes Keras's build gives them, non-negative where
// Keras's are (velocities, RMSprop's mean squares).
func trainedState(t *testing.T, m Model, seed uint64) Model {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	c := *m.Compile
	cfg, _, err := parseOptimizer(c.Optimizer.ClassName, c.Optimizer.Config)
	require.NoError(t, err)
	c.Optimizer.Iterations = 1875
	c.Optimizer.Slots = nil // an optimizer without slots: Read returns nil
	for _, s := range slots(slotLayout(c.Optimizer.ClassName, cfg), m.trainedVariables()) {
		c.Optimizer.Slots = append(c.Optimizer.Slots, Weight{
			Shape:  s.of.shape,
			Values: values(r, product(s.of.shape), s.kind == "velocity"),
		})
	}
	m.Compile = &c
	return m
}

// named returns m with the names Write gives its layers, as Read returns
// them.
func named(m Model) Model {
	names := m.layerNames()
	m.Layers = append([]Layer(nil), m.Layers...)
	for i := range m.Layers {
		m.Layers[i].Name = names[i]
	}
	if m.Name == "" {
		m.Name = "sequential"
	}
	return m
}

// withZeroSlots returns m with the zero slots Write stores for an
// optimizer that has none, as Keras holds them once loaded.
func withZeroSlots(t *testing.T, m Model) Model {
	t.Helper()
	c := *m.Compile
	cfg, _, err := parseOptimizer(c.Optimizer.ClassName, c.Optimizer.Config)
	require.NoError(t, err)
	c.Optimizer.Slots = nil
	for _, s := range slots(slotLayout(c.Optimizer.ClassName, cfg), m.trainedVariables()) {
		c.Optimizer.Slots = append(c.Optimizer.Slots, Weight{Shape: s.of.shape, Values: make([]float32, product(s.of.shape))})
	}
	m.Compile = &c
	return m
}
