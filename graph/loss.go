package graph

import (
	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// Loss is a batch's loss together with its gradient with respect to the
// logits it was computed from.
type Loss struct {
	Value       tf.Output // scalar: mean over the batch
	PerExample  tf.Output // [N]
	LogitsGrads tf.Output // [N, classes]: d Value / d logits
}

// SparseCategoricalCrossentropy is Keras's loss of the same name for integer
// labels, computed from the logits of a softmax output layer exactly as Keras
// does (Keras finds the logits behind a softmax and calls
// tf.nn.sparse_softmax_cross_entropy_with_logits), reduced to the mean over
// the batch ("sum_over_batch_size": the sum divided by N).
//
// TensorFlow registers no C++ gradient for SparseSoftmaxCrossEntropyWithLogits,
// so the C API's AddGradients cannot differentiate through it. It needs none:
// the kernel itself returns, as its second output, the exact gradient of
// each example's loss with respect to its logits, softmax(logits) -
// one_hot(label), computed in the same pass. The gradient of the mean is that
// times 1/N, which is precisely what Python TensorFlow's registered gradient
// returns (grad_loss * backprop). Callers hand LogitsGrads to Gradients as
// the upstream gradient of the logits, and AddGradients takes it from there
// through layers that do have C++ gradients (BiasAdd, MatMul, Relu).
func SparseCategoricalCrossentropy(s *op.Scope, logits, labels tf.Output) Loss {
	s = sub(s, "sparse_categorical_crossentropy")
	perExample, backprop := op.SparseSoftmaxCrossEntropyWithLogits(sub(s, "xent"), logits, labels)
	n := op.Cast(sub(s, "batch_size"), op.Size(sub(s, "n"), perExample), tf.Float)
	sum := op.Sum(sub(s, "sum"), perExample, op.Const(sub(s, "axis"), []int32{0}))
	mean := op.DivNoNan(sub(s, "mean"), sum, n)
	scale := op.DivNoNan(sub(s, "scale"), op.Const(sub(s, "one"), float32(1)), n)
	grads := op.Mul(sub(s, "grads"), backprop, scale)
	return Loss{Value: mean, PerExample: perExample, LogitsGrads: grads}
}
