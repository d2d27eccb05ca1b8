package graph

import (
	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// SparseCategoricalCrossentropy is keras.losses.SparseCategoricalCrossentropy:
// integer class labels against class probabilities (or logits).
//
// From logits (FromLogits, or the logits behind a softmax output layer,
// which Keras finds and uses) it is TensorFlow's
// SparseSoftmaxCrossEntropyWithLogits, as Keras calls it. TensorFlow
// registers no C++ gradient for that kernel, so the C API's AddGradients
// cannot differentiate through it; it needs none: the kernel returns, as
// its second output, the exact gradient of each example's loss with respect
// to its logits, softmax(logits) - one_hot(label). The gradient of the mean
// is that times 1/N, precisely what Python's registered gradient returns.
// From probabilities it is the same kernel on log(clip(p, ε, 1-ε)), as
// Keras computes it.
type SparseCategoricalCrossentropy struct {
	lossBase
	FromLogits bool
}

// NewSparseCategoricalCrossentropy is the loss Keras's string
// "sparse_categorical_crossentropy" names, or its class with from_logits.
func NewSparseCategoricalCrossentropy(fromLogits bool) *SparseCategoricalCrossentropy {
	return &SparseCategoricalCrossentropy{lossBase: lossBase{name: "sparse_categorical_crossentropy"}, FromLogits: fromLogits}
}

func (l *SparseCategoricalCrossentropy) ClassName() string { return "SparseCategoricalCrossentropy" }
func (l *SparseCategoricalCrossentropy) Sparse() bool      { return true }

func (l *SparseCategoricalCrossentropy) Config() map[string]any {
	return lossConfig(l.name, map[string]any{"from_logits": l.FromLogits, "ignore_class": nil})
}

func (l *SparseCategoricalCrossentropy) Compute(s *op.Scope, labels tf.Output, pred Value) LossValue {
	s = sub(s, "sparse_categorical_crossentropy")
	logits, ok := logitsOf(pred, l.FromLogits)
	if !ok {
		logits = op.Log(sub(s, "Log"), clipProbabilities(s, pred.Out))
	}
	perExample, backprop := op.SparseSoftmaxCrossEntropyWithLogits(sub(s, "xent"), logits, labels)
	mean, n := meanOverBatch(s, perExample)
	scale := op.DivNoNan(sub(s, "scale"), op.Const(sub(s, "one"), float32(1)), n)
	return LossValue{Mean: mean, Wrt: logits, Grad: op.Mul(sub(s, "grads"), backprop, scale)}
}

// CategoricalCrossentropy is keras.losses.CategoricalCrossentropy: one-hot
// (or any distribution) targets against probabilities (or logits). From
// logits it is TensorFlow's SoftmaxCrossEntropyWithLogits with its own
// backprop output, as for the sparse loss; from probabilities Keras's
// -Σ target·log(clip(p/Σp, ε, 1-ε)), differentiated by the C API.
type CategoricalCrossentropy struct {
	lossBase
	FromLogits bool
}

// NewCategoricalCrossentropy is keras.losses.CategoricalCrossentropy.
func NewCategoricalCrossentropy(fromLogits bool) *CategoricalCrossentropy {
	return &CategoricalCrossentropy{lossBase: lossBase{name: "categorical_crossentropy"}, FromLogits: fromLogits}
}

func (l *CategoricalCrossentropy) ClassName() string { return "CategoricalCrossentropy" }
func (l *CategoricalCrossentropy) Sparse() bool      { return false }

func (l *CategoricalCrossentropy) Config() map[string]any {
	return lossConfig(l.name, map[string]any{"from_logits": l.FromLogits, "label_smoothing": 0.0, "axis": -1})
}

func (l *CategoricalCrossentropy) Compute(s *op.Scope, target tf.Output, pred Value) LossValue {
	s = sub(s, "categorical_crossentropy")
	if logits, ok := logitsOf(pred, l.FromLogits); ok {
		perExample, backprop := op.SoftmaxCrossEntropyWithLogits(sub(s, "xent"), logits, target)
		mean, n := meanOverBatch(s, perExample)
		scale := op.DivNoNan(sub(s, "scale"), op.Const(sub(s, "one"), float32(1)), n)
		return LossValue{Mean: mean, Wrt: logits, Grad: op.Mul(sub(s, "grads"), backprop, scale)}
	}
	p := op.RealDiv(sub(s, "normalise"), pred.Out, op.Sum(sub(s, "total"), pred.Out, lastAxis(s), op.SumKeepDims(true)))
	logp := op.Log(sub(s, "Log"), clipProbabilities(s, p))
	perExample := op.Neg(sub(s, "Neg"), op.Sum(sub(s, "Sum"), op.Mul(sub(s, "Mul"), target, logp), lastAxis(s)))
	mean, _ := meanOverBatch(s, perExample)
	return plainLoss(s, mean)
}

// BinaryCrossentropy is keras.losses.BinaryCrossentropy: targets in [0, 1]
// against probabilities (or logits), averaged over the last axis, then over
// the batch. From logits (or a sigmoid output's) it composes what
// tf.nn.sigmoid_cross_entropy_with_logits composes, max(x, 0) - x·z +
// log1p(exp(-|x|)) with Keras's selects; from probabilities Keras's
// -(z·log(p) + (1-z)·log(1-p)) on clipped p. The C API differentiates both.
type BinaryCrossentropy struct {
	lossBase
	FromLogits bool
}

// NewBinaryCrossentropy is keras.losses.BinaryCrossentropy.
func NewBinaryCrossentropy(fromLogits bool) *BinaryCrossentropy {
	return &BinaryCrossentropy{lossBase: lossBase{name: "binary_crossentropy"}, FromLogits: fromLogits}
}

func (l *BinaryCrossentropy) ClassName() string { return "BinaryCrossentropy" }
func (l *BinaryCrossentropy) Sparse() bool      { return false }

func (l *BinaryCrossentropy) Config() map[string]any {
	return lossConfig(l.name, map[string]any{"from_logits": l.FromLogits, "label_smoothing": 0.0, "axis": -1})
}

func (l *BinaryCrossentropy) Compute(s *op.Scope, target tf.Output, pred Value) LossValue {
	s = sub(s, "binary_crossentropy")
	var elementwise tf.Output
	if x, ok := logitsOf(pred, l.FromLogits); ok {
		zeros := op.ZerosLike(sub(s, "zeros"), x)
		cond := op.GreaterEqual(sub(s, "cond"), x, zeros)
		relu := selectV2(sub(s, "relu_logits"), cond, x, zeros)
		negAbs := selectV2(sub(s, "neg_abs_logits"), cond, op.Neg(sub(s, "neg"), x), x)
		elementwise = op.AddV2(sub(s, "add"),
			op.Sub(sub(s, "sub"), relu, op.Mul(sub(s, "mul"), x, target)),
			op.Log1p(sub(s, "log1p"), op.Exp(sub(s, "exp"), negAbs)))
	} else {
		p := clipProbabilities(s, pred.Out)
		one := op.Const(sub(s, "one"), float32(1))
		bce := op.Mul(sub(s, "pos"), target, op.Log(sub(s, "log_p"), p))
		neg := op.Mul(sub(s, "neg_term"), op.Sub(sub(s, "one_minus_target"), one, target),
			op.Log(sub(s, "log_1mp"), op.Sub(sub(s, "one_minus_p"), one, p)))
		elementwise = op.Neg(sub(s, "Neg"), op.AddV2(sub(s, "bce"), bce, neg))
	}
	perExample := op.Mean(sub(s, "Mean"), elementwise, lastAxis(s))
	mean, _ := meanOverBatch(s, perExample)
	return plainLoss(s, mean)
}
