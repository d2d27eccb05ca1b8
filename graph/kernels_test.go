package graph_test

import (
	"context"
	"math"
	"strings"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
	tg "github.com/galeone/tfgo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/internal/pyenv"
)

// TestChainRunsOnTensorFlowKernels proves the toolchain is real: a small
// graph built with tfgo runs in libtensorflow and matches values computed
// here independently in float64.
func TestChainRunsOnTensorFlowKernels(t *testing.T) {
	x := [][]float32{{1, 2, 3}, {-1, 0.5, 2}}
	w := [][]float32{{0.1, -0.2}, {0.3, 0.4}, {-0.5, 0.6}}
	b := []float32{0.05, -0.05}

	root := tg.NewRoot()
	xw := tg.NewTensor(root, tg.Const(root, x)).MatMul(tg.Const(root, w))
	logits := op.BiasAdd(root.SubScope("bias"), xw.Output, tg.Const(root, b))
	probs := op.Softmax(root.SubScope("softmax"), logits)
	got := tg.Exec(root, []tf.Output{probs}, nil, &tf.SessionOptions{})[0].Value().([][]float32)

	for i := range x {
		z := make([]float64, len(b))
		var sum float64
		for j := range b {
			z[j] = float64(b[j])
			for k := range w {
				z[j] += float64(x[i][k]) * float64(w[k][j])
			}
		}
		for j := range z {
			sum += math.Exp(z[j])
		}
		for j := range z {
			assert.InDelta(t, math.Exp(z[j])/sum, float64(got[i][j]), 1e-6, "row %d class %d", i, j)
		}
	}
}

// TestVersionMatchesPython checks that Go links the same TensorFlow build as
// the .venv Python: models move between the two, so they must agree.
func TestVersionMatchesPython(t *testing.T) {
	out, err := pyenv.Run(context.Background(), "-c", "import tensorflow as tf; print(tf.__version__)")
	require.NoError(t, err)
	assert.Equal(t, strings.TrimSpace(string(out)), tf.Version())
	assert.NotEmpty(t, tf.Version())
}
