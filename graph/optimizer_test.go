package graph_test

import (
	"encoding/json"
	"math"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	tg "github.com/galeone/tfgo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/graph"
)

func TestGetOptimizer(t *testing.T) {
	assert.Equal(t, []string{"adam", "adamw", "rmsprop", "sgd"}, graph.KnownOptimizers())
	for name, want := range map[string]graph.Optimizer{
		"adam":    graph.Adam{LearningRate: 1e-3, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7},
		"Adam":    graph.DefaultAdam(),
		"adamw":   graph.AdamW{LearningRate: 1e-3, WeightDecay: 0.004, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7},
		"AdamW":   graph.DefaultAdamW(),
		"sgd":     graph.SGD{LearningRate: 0.01},
		"SGD":     graph.DefaultSGD(),
		"rmsprop": graph.RMSprop{LearningRate: 1e-3, Rho: 0.9, Epsilon: 1e-7},
		"RMSprop": graph.DefaultRMSprop(),
		"RMSPROP": graph.DefaultRMSprop(),
	} {
		got, err := graph.GetOptimizer(name)
		require.NoError(t, err, name)
		assert.Equal(t, want, got, name)
		assert.NoError(t, got.Validate(), name)
	}
	_, err := graph.GetOptimizer("adagrad")
	assert.EqualError(t, err, `optimizer "adagrad": Keras has it but it is not implemented here; supported: adam, adamw, rmsprop, sgd`)
	for _, name := range []string{"", "adam_w", "gradient_descent", "adam "} {
		_, err = graph.GetOptimizer(name)
		assert.ErrorContains(t, err, "unknown optimizer", name)
		assert.ErrorContains(t, err, "supported: adam, adamw, rmsprop, sgd", name)
	}
}

func TestOptimizerDescriptions(t *testing.T) {
	tests := []struct {
		opt         graph.Optimizer
		class, name string
		slots       [][]string
	}{
		{graph.DefaultAdam(), "Adam", "adam", [][]string{{"momentum", "velocity"}}},
		{graph.DefaultAdamW(), "AdamW", "adam_w", [][]string{{"momentum", "velocity"}}},
		{graph.DefaultSGD(), "SGD", "sgd", nil},
		{graph.SGD{LearningRate: 0.1, Momentum: 0.5, Nesterov: true}, "SGD", "sgd", [][]string{{"momentum"}}},
		{graph.DefaultRMSprop(), "RMSprop", "rm_sprop", [][]string{{"velocity"}}},
		{graph.RMSprop{LearningRate: 1e-3, Rho: 0.9, Momentum: 0.5, Epsilon: 1e-7, Centered: true}, "RMSprop", "rm_sprop",
			[][]string{{"velocity"}, {"momentum"}, {"average_gradient"}}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.class, tt.opt.ClassName())
		assert.Equal(t, tt.name, tt.opt.Name())
		assert.Equal(t, tt.slots, tt.opt.Slots(), tt.class)
		c := tt.opt.Config()
		assert.Equal(t, tt.name, c["name"])
		assert.Equal(t, float64(float32(tt.opt.InitialLearningRate())), c["learning_rate"], "the float32 the variable holds")
		assert.Equal(t, 0.25, tt.opt.WithLearningRate(0.25).InitialLearningRate(), tt.class)
	}
	assert.Nil(t, graph.DefaultSGD().Config()["weight_decay"], "Keras's None")
	assert.Equal(t, 0.009999999776482582, graph.DefaultSGD().Config()["learning_rate"], "as Keras's get_config reports it")

	b, err := graph.SerializeOptimizer(graph.DefaultSGD())
	require.NoError(t, err)
	assert.Contains(t, string(b), `"momentum":0.0`, "a Python float")
	assert.Contains(t, string(b), `"class_name":"SGD"`)
	assert.Contains(t, string(b), `"module":"keras.optimizers"`)
	var back map[string]any
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, false, back["config"].(map[string]any)["nesterov"])
}

func TestOptimizerValidate(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		opt  graph.Optimizer
		want string
	}{
		{graph.SGD{LearningRate: 0}, "sgd: learning_rate 0 must be in (0, inf)"},
		{graph.SGD{LearningRate: nan}, "sgd: learning_rate NaN must be finite"},
		{graph.SGD{LearningRate: 1e-50}, "sgd: learning_rate 1e-50 is not representable as a float32"},
		{graph.SGD{LearningRate: 1e39}, "sgd: learning_rate 1e+39 is not representable as a float32"},
		{graph.SGD{LearningRate: 0.01, Momentum: 1.5}, "sgd: momentum 1.5 must be in [0, 1]"},
		{graph.SGD{LearningRate: 0.01, Momentum: -0.1}, "sgd: momentum -0.1 must be in [0, 1]"},
		{graph.SGD{LearningRate: 0.01, WeightDecay: -1}, "sgd: weight_decay -1 must be in [0, inf)"},
		{graph.SGD{LearningRate: 0.01, WeightDecay: inf}, "sgd: weight_decay +Inf must be finite"},
		{graph.RMSprop{LearningRate: 1e-3, Rho: 1, Epsilon: 1e-7}, "rmsprop: rho 1 must be in [0, 1)"},
		{graph.RMSprop{LearningRate: 1e-3, Rho: 0.9, Epsilon: 0}, "rmsprop: epsilon 0 must be in (0, inf)"},
		{graph.RMSprop{LearningRate: 1e-3, Rho: 0.9, Momentum: 1, Epsilon: 1e-7}, "rmsprop: momentum 1 must be in [0, 1)"},
		{graph.RMSprop{LearningRate: -1e-3, Rho: 0.9, Epsilon: 1e-7}, "rmsprop: learning_rate -0.001 must be in (0, inf)"},
		{graph.AdamW{LearningRate: 1e-3, WeightDecay: 0.004, Beta1: 0.9, Beta2: 0.999999999, Epsilon: 1e-7},
			"adamw: beta_2 0.999999999 rounds to 1 as a float32, outside [0, 1)"},
		{graph.AdamW{LearningRate: 1e-3, WeightDecay: -0.004, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7}, "adamw: weight_decay -0.004"},
		{graph.AdamW{LearningRate: 1e-3, WeightDecay: 0.004, Beta1: nan, Beta2: 0.999, Epsilon: 1e-7}, "adamw: beta_1 NaN must be finite"},
		{graph.AdamW{LearningRate: 1e-3, WeightDecay: 0.004, Beta1: 0.9, Beta2: 0.999, Epsilon: -1}, "adamw: epsilon -1"},
		{graph.Adam{LearningRate: 1e-3, Beta1: 1, Beta2: 0.999, Epsilon: 1e-7}, "adam: beta1 1 must be in [0, 1)"},
	}
	for _, tt := range tests {
		err := tt.opt.Validate()
		assert.ErrorContains(t, err, tt.want)
		_, err = tt.opt.Build(tg.NewRoot(), nil)
		assert.ErrorContains(t, err, tt.want, "Build validates")
	}
}

// TestOptimizerLearningRateAndState sets the learning rate between steps,
// as assigning optimizer.learning_rate does in Keras, and checks SGD's step
// with it and the step count.
func TestOptimizerLearningRateAndState(t *testing.T) {
	root := tg.NewRoot()
	w0, g := []float32{0.5, -0.25, 1}, []float32{0.1, -2, 3}
	v, err := graph.NewVariable(root, "w", tf.Float, []int64{3}, tg.Const(root, w0))
	require.NoError(t, err)
	grads := []tf.Output{tg.Const(root, g)}
	train, st, err := graph.MinimizeWith(root, graph.SGD{LearningRate: 0.1, Momentum: 0.5}, []*graph.Variable{v}, grads)
	require.NoError(t, err)
	var names []string
	for _, s := range st.Variables() {
		names = append(names, s.Name)
	}
	assert.Equal(t, []string{"sgd/iteration", "sgd/learning_rate", "sgd/w_momentum"}, names)
	assert.Len(t, st.Slot("momentum"), 1)
	assert.Nil(t, st.Slot("velocity"))

	// Another optimizer's state, or other variables, are refused.
	_, err = graph.DefaultRMSprop().Update(root.SubScope("x"), st, []*graph.Variable{v}, grads)
	assert.ErrorContains(t, err, "rm_sprop: state was built by sgd")
	_, err = graph.DefaultSGD().Update(root.SubScope("y"), st, nil, nil)
	assert.ErrorContains(t, err, "sgd: 0 variables, 0 gradients and state for 1 variables")

	g2, err := root.Finalize()
	require.NoError(t, err)
	s, err := tf.NewSession(g2, nil)
	require.NoError(t, err)
	defer s.Close()
	inits := []*tf.Operation{v.Init}
	for _, sv := range st.Variables() {
		inits = append(inits, sv.Init)
	}
	_, err = s.Run(nil, nil, inits)
	require.NoError(t, err)
	lr, err := tf.NewTensor(float32(0.5))
	require.NoError(t, err)
	_, err = s.Run(map[tf.Output]*tf.Tensor{st.NewLearningRate: lr}, nil, []*tf.Operation{st.AssignLearningRate})
	require.NoError(t, err)
	_, err = s.Run(nil, nil, []*tf.Operation{train})
	require.NoError(t, err)
	out, err := s.Run(nil, []tf.Output{v.Value, st.Iterations.Value, st.LearningRate.Value, st.Slot("momentum")[0].Value}, nil)
	require.NoError(t, err)
	got, m := out[0].Value().([]float32), out[3].Value().([]float32)
	for i := range w0 {
		// Keras: m = m·momentum - g·lr (m was 0), w += m, in float32.
		wantM := float32(0)*float32(0.5) - g[i]*float32(0.5)
		assert.Equal(t, wantM, m[i], "momentum %d", i)
		assert.Equal(t, w0[i]+wantM, got[i], "weight %d", i)
	}
	assert.Equal(t, int64(1), out[1].Value())
	assert.Equal(t, float32(0.5), out[2].Value())
}
