package graph

import (
	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// GlorotUniform returns a float32 tensor of the given 2-D shape drawn the way
// Keras's GlorotUniform initializer draws a Dense kernel: uniform in
// [-limit, limit) with limit = sqrt(6 / (fan_in + fan_out)). The draw is
// TensorFlow's StatelessRandomUniform, so the same seed gives the same
// weights on every run and every machine, with no state to carry around.
func GlorotUniform(s *op.Scope, shape [2]int64, seed [2]int64) tf.Output {
	s = sub(s, "glorot_uniform")
	u := op.StatelessRandomUniform(sub(s, "uniform"),
		op.Const(sub(s, "shape"), shape[:]),
		op.Const(sub(s, "seed"), seed[:]),
		op.StatelessRandomUniformDtype(tf.Float))
	limit := op.Sqrt(sub(s, "limit"), op.Const(sub(s, "scale"), float32(6)/float32(shape[0]+shape[1])))
	// u * (max - min) + min, as tf.random.stateless_uniform scales it.
	width := op.Mul(sub(s, "width"), limit, op.Const(sub(s, "two"), float32(2)))
	return op.Sub(sub(s, "shift"), op.Mul(sub(s, "scale_u"), u, width), limit)
}

// Zeros returns a float32 tensor of zeros of the given shape: Keras's default
// bias initializer, and the starting value of Adam's moments.
func Zeros(s *op.Scope, shape []int64) tf.Output {
	s = sub(s, "zeros")
	return op.Fill(sub(s, "fill"), op.Const(sub(s, "shape"), shape), op.Const(sub(s, "value"), float32(0)))
}
