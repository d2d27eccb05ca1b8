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
// It is GlorotUniformND of the same shape, graph for graph.
func GlorotUniform(s *op.Scope, shape [2]int64, seed [2]int64) tf.Output {
	return GlorotUniformND(s, shape[:], seed)
}

// GlorotUniformND is GlorotUniform for a weight of any shape, its fans
// counted as Keras's compute_fans counts them (a convolution kernel
// [kh, kw, in, out] has fan_in kh·kw·in and fan_out kh·kw·out).
func GlorotUniformND(s *op.Scope, shape []int64, seed [2]int64) tf.Output {
	s = sub(s, "glorot_uniform")
	fanIn, fanOut := ComputeFans(shape)
	u := op.StatelessRandomUniform(sub(s, "uniform"),
		op.Const(sub(s, "shape"), shape),
		op.Const(sub(s, "seed"), seed[:]),
		op.StatelessRandomUniformDtype(tf.Float))
	limit := op.Sqrt(sub(s, "limit"), op.Const(sub(s, "scale"), float32(6)/float32(fanIn+fanOut)))
	// u * (max - min) + min, as tf.random.stateless_uniform scales it.
	width := op.Mul(sub(s, "width"), limit, op.Const(sub(s, "two"), float32(2)))
	return op.Sub(sub(s, "shift"), op.Mul(sub(s, "scale_u"), u, width), limit)
}

// ComputeFans is Keras's compute_fans (keras/src/initializers/
// random_initializers.py) without input_axes and output_axes: a scalar has
// fans 1 and 1, a vector its length twice, a matrix [in, out] in and out,
// and a convolution kernel [..., in, out] in and out times its receptive
// field, the product of the leading dimensions.
func ComputeFans(shape []int64) (fanIn, fanOut int64) {
	switch len(shape) {
	case 0:
		return 1, 1
	case 1:
		return shape[0], shape[0]
	case 2:
		return shape[0], shape[1]
	}
	receptive := int64(1)
	for _, d := range shape[:len(shape)-2] {
		receptive *= d
	}
	return shape[len(shape)-2] * receptive, shape[len(shape)-1] * receptive
}

// Zeros returns a float32 tensor of zeros of the given shape: Keras's default
// bias initializer, and the starting value of Adam's moments.
func Zeros(s *op.Scope, shape []int64) tf.Output {
	s = sub(s, "zeros")
	return op.Fill(sub(s, "fill"), op.Const(sub(s, "shape"), shape), op.Const(sub(s, "value"), float32(0)))
}

// Ones returns a float32 tensor of ones of the given shape: Keras's
// initializer of BatchNormalization's gamma and moving variance.
func Ones(s *op.Scope, shape []int64) tf.Output {
	s = sub(s, "ones")
	return op.Fill(sub(s, "fill"), op.Const(sub(s, "shape"), shape), op.Const(sub(s, "value"), float32(1)))
}

// initializerConfig is a Keras initializer as get_config serializes it:
// glorotUniformConfig for a kernel, initializerConfig("Zeros") for a bias
// or beta, initializerConfig("Ones") for gamma.
func initializerConfig(class string) map[string]any {
	return map[string]any{"module": "keras.initializers", "class_name": class, "config": map[string]any{}, "registered_name": nil}
}

// glorotUniformConfig is Keras's default kernel initializer, unseeded, as
// get_config serializes it.
func glorotUniformConfig() map[string]any {
	c := initializerConfig("GlorotUniform")
	c["config"] = map[string]any{"seed": nil, "input_axes": nil, "output_axes": nil}
	return c
}
