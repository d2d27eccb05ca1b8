package graph_test

import (
	"math"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
	tg "github.com/galeone/tfgo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/graph"
)

// run finalizes the scope's graph and fetches outputs after running the
// targets, in one session.
func run(t *testing.T, root *op.Scope, targets []*tf.Operation, fetches ...tf.Output) []*tf.Tensor {
	t.Helper()
	g, err := root.Finalize()
	require.NoError(t, err)
	s, err := tf.NewSession(g, nil)
	require.NoError(t, err)
	defer s.Close()
	if len(targets) > 0 {
		_, err = s.Run(nil, nil, targets)
		require.NoError(t, err)
	}
	out, err := s.Run(nil, fetches, nil)
	require.NoError(t, err)
	return out
}

func TestGlorotUniform(t *testing.T) {
	root := tg.NewRoot()
	a := graph.GlorotUniform(root, [2]int64{784, 128}, [2]int64{1, 0})
	b := graph.GlorotUniform(root, [2]int64{784, 128}, [2]int64{1, 0})
	c := graph.GlorotUniform(root, [2]int64{784, 128}, [2]int64{1, 1})
	out := run(t, root, nil, a, b, c)
	wa, wb, wc := out[0].Value().([][]float32), out[1].Value().([][]float32), out[2].Value().([][]float32)
	limit := math.Sqrt(6.0 / (784 + 128))
	var sum, sq float64
	for i := range wa {
		for j, v := range wa[i] {
			require.Less(t, math.Abs(float64(v)), limit, "[%d %d]", i, j)
			sum += float64(v)
			sq += float64(v) * float64(v)
		}
	}
	n := 784.0 * 128
	assert.InDelta(t, 0, sum/n, 0.002, "mean of U(-limit, limit)")
	assert.InDelta(t, limit/math.Sqrt(3), math.Sqrt(sq/n), 0.002, "standard deviation of U(-limit, limit)")
	assert.Equal(t, wa, wb, "same seed, same weights")
	assert.NotEqual(t, wa, wc, "another seed, other weights")
}

func TestSparseCategoricalCrossentropy(t *testing.T) {
	logits := [][]float32{{1, 2, 0.5}, {-1, 0, 3}, {0.2, 0.2, 0.2}, {5, -5, 0}}
	labels := []int32{1, 2, 0, 1}
	root := tg.NewRoot()
	loss := graph.NewSparseCategoricalCrossentropy(true).Compute(root, tg.Const(root, labels), graph.Value{Out: tg.Const(root, logits)})
	out := run(t, root, nil, loss.Mean, loss.Grad)
	got, grads := out[0].Value().(float32), out[1].Value().([][]float32)

	// Independently, in float64: mean of -log softmax(logits)[label], and
	// its gradient (softmax - one_hot) / N.
	var want float64
	n := float64(len(labels))
	for i, row := range logits {
		var z float64
		for _, l := range row {
			z += math.Exp(float64(l))
		}
		want -= math.Log(math.Exp(float64(row[labels[i]]))/z) / n
		for c, l := range row {
			g := math.Exp(float64(l)) / z
			if int32(c) == labels[i] {
				g--
			}
			assert.InDelta(t, g/n, float64(grads[i][c]), 1e-6, "gradient [%d %d]", i, c)
		}
	}
	assert.InDelta(t, want, float64(got), 1e-6)
}

func TestMatches(t *testing.T) {
	probs := [][]float32{{0.1, 0.7, 0.2}, {0.5, 0.3, 0.2}, {0.2, 0.2, 0.6}}
	root := tg.NewRoot()
	acc, err := graph.GetMetric("accuracy", []int{}, []int{3})
	require.NoError(t, err)
	assert.Equal(t, "SparseCategoricalAccuracy", acc.ClassName())
	m := acc.Values(root, tg.Const(root, []int32{1, 1, 2}), tg.Const(root, probs))
	assert.Equal(t, []float32{1, 0, 1}, run(t, root, nil, m)[0].Value())
}

// TestAdamStep checks one ResourceApplyAdam step against Adam's formula
// computed here in float64.
func TestAdamStep(t *testing.T) {
	root := tg.NewRoot()
	w0 := []float32{0.5, -0.25, 1}
	g := []float32{0.1, -2, 1e-9}
	v, err := graph.NewVariable(root, "w", tf.Float, []int64{3}, tg.Const(root, w0))
	require.NoError(t, err)
	adam := graph.DefaultAdam()
	train, state, err := adam.Minimize(root, []*graph.Variable{v}, []tf.Output{tg.Const(root, g)})
	require.NoError(t, err)
	inits := []*tf.Operation{v.Init}
	for _, s := range state.Variables() {
		inits = append(inits, s.Init)
	}
	g2, err := root.Finalize()
	require.NoError(t, err)
	s, err := tf.NewSession(g2, nil)
	require.NoError(t, err)
	defer s.Close()
	_, err = s.Run(nil, nil, inits)
	require.NoError(t, err)
	_, err = s.Run(nil, nil, []*tf.Operation{train})
	require.NoError(t, err)
	out, err := s.Run(nil, []tf.Output{v.Value, state.Iterations.Value}, nil)
	require.NoError(t, err)
	got := out[0].Value().([]float32)
	assert.Equal(t, int64(1), out[1].Value())

	b1, b2, lr, eps := 0.9, 0.999, 1e-3, 1e-7
	alpha := lr * math.Sqrt(1-b2) / (1 - b1)
	for i := range w0 {
		m := (1 - b1) * float64(g[i])
		vv := (1 - b2) * float64(g[i]) * float64(g[i])
		want := float64(w0[i]) - alpha*m/(math.Sqrt(vv)+eps)
		assert.InDelta(t, want, float64(got[i]), 1e-6, "weight %d", i)
	}
}

func TestAdamRejectsBadHyperParameters(t *testing.T) {
	tests := []struct {
		name string
		adam graph.Adam
		want string
	}{
		{"learning rate", graph.Adam{LearningRate: -1, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7}, "learning rate -1"},
		{"beta1", graph.Adam{LearningRate: 1e-3, Beta1: 1.5, Beta2: 0.999, Epsilon: 1e-7}, "beta1 1.5"},
		{"beta2", graph.Adam{LearningRate: 1e-3, Beta1: 0.9, Beta2: -0.1, Epsilon: 1e-7}, "beta2 -0.1"},
		{"epsilon", graph.Adam{LearningRate: 1e-3, Beta1: 0.9, Beta2: 0.999}, "epsilon 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.ErrorContains(t, tt.adam.Validate(), tt.want)
		})
	}
	assert.NoError(t, graph.DefaultAdam().Validate())
}

func TestParseActivation(t *testing.T) {
	for in, want := range map[string]graph.Activation{"": graph.Linear, "linear": graph.Linear, "relu": graph.ReLU, "softmax": graph.Softmax, "gelu": graph.GELU, "tanh": graph.Tanh, "sigmoid": graph.Sigmoid} {
		got, err := graph.ParseActivation(in)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	_, err := graph.ParseActivation("swish")
	assert.ErrorContains(t, err, `unknown activation "swish"`)
}
