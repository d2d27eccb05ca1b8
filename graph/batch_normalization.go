package graph

import (
	"fmt"
	"slices"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// BatchNormalization is keras.layers.BatchNormalization over the last axis
// (axis=-1, the channels of an image or the units of a vector): in
// training each channel is normalised by the batch's mean and variance and
// the moving statistics move towards them; in inference the moving
// statistics normalise. Then gamma scales and beta shifts (Scale,
// Center).
//
// The arithmetic is Keras 3's on the TensorFlow backend, op for op
// (keras/src/layers/normalization/batch_normalization.py over
// tf.nn.moments and tf.nn.batch_normalization):
//
//	mean     = Mean(x, axes)                    (all but the last; see Call)
//	variance = Mean(SquaredDifference(x, StopGradient(mean)), axes)
//	moving_mean     ← moving_mean·momentum + mean·(1-momentum)
//	moving_variance ← moving_variance·momentum + variance·(1-momentum)
//	inv = Rsqrt(variance + epsilon)·gamma
//	out = x·inv + (beta - mean·inv)
//
// with momentum, 1-momentum (computed in float64, as Python does) and
// epsilon rounded to float32, and every operation one the C API can
// differentiate.
type BatchNormalization struct {
	named
	Momentum, Epsilon float64
	Center, Scale     bool
}

// NewBatchNormalization is keras.layers.BatchNormalization(): momentum
// 0.99, epsilon 1e-3, with beta and gamma.
func NewBatchNormalization() *BatchNormalization {
	return &BatchNormalization{Momentum: 0.99, Epsilon: 1e-3, Center: true, Scale: true}
}

func (n *BatchNormalization) ClassName() string { return "BatchNormalization" }

// Config is BatchNormalization's get_config as Keras 3 writes it.
func (n *BatchNormalization) Config() map[string]any {
	return map[string]any{
		"axis":                        -1,
		"momentum":                    n.Momentum,
		"epsilon":                     n.Epsilon,
		"center":                      n.Center,
		"scale":                       n.Scale,
		"beta_initializer":            initializerConfig("Zeros"),
		"gamma_initializer":           initializerConfig("Ones"),
		"moving_mean_initializer":     initializerConfig("Zeros"),
		"moving_variance_initializer": initializerConfig("Ones"),
		"beta_regularizer":            nil,
		"gamma_regularizer":           nil,
		"beta_constraint":             nil,
		"gamma_constraint":            nil,
		"synchronized":                false,
		"renorm":                      false,
		"renorm_clipping":             nil,
		"renorm_momentum":             0.99,
	}
}

// OutputShape is in, which needs a last axis to normalise.
func (n *BatchNormalization) OutputShape(in []int) ([]int, error) {
	if !(n.Momentum >= 0 && n.Momentum <= 1) {
		return nil, fmt.Errorf("batch_normalization %s: momentum %v must be in [0, 1]", n.Name(), n.Momentum)
	}
	if !(n.Epsilon > 0) {
		return nil, fmt.Errorf("batch_normalization %s: epsilon %v must be positive", n.Name(), n.Epsilon)
	}
	if len(in) == 0 {
		return nil, fmt.Errorf("batch_normalization %s: input shape %v: each example is a scalar, without a channel axis to normalise", n.Name(), in)
	}
	for _, d := range in {
		if d <= 0 {
			return nil, fmt.Errorf("batch_normalization %s: input shape %v: dimensions must be positive", n.Name(), in)
		}
	}
	return slices.Clone(in), nil
}

// Params counts gamma and beta: one per channel each, as they exist.
func (n *BatchNormalization) Params(in []int) int64 {
	if len(in) == 0 {
		return 0
	}
	var k int64
	if n.Scale {
		k++
	}
	if n.Center {
		k++
	}
	return k * int64(in[len(in)-1])
}

// NonTrainableParams counts the moving mean and variance.
func (n *BatchNormalization) NonTrainableParams(in []int) int64 {
	if len(in) == 0 {
		return 0
	}
	return 2 * int64(in[len(in)-1])
}

// Build adds, in Keras's order, "<name>/gamma" (ones, with Scale),
// "<name>/beta" (zeros, with Center), then the non-trainable
// "<name>/moving_mean" (zeros) and "<name>/moving_variance" (ones).
func (n *BatchNormalization) Build(b *Builder, in []int) (Built, error) {
	if _, err := n.OutputShape(in); err != nil {
		return nil, err
	}
	channels := []int64{int64(in[len(in)-1])}
	add := func(name string, initial func(*op.Scope, []int64) tf.Output) (*Variable, error) {
		return b.AddWeight(n.Name()+"/"+name, tf.Float, channels, func(s *op.Scope) tf.Output { return initial(s, channels) })
	}
	built := &batchNormBuilt{
		name: n.Name(), rank: len(in) + 1, channels: in[len(in)-1],
		momentum: float32(n.Momentum), rest: float32(1 - n.Momentum), epsilon: float32(n.Epsilon),
	}
	var err error
	if n.Scale {
		if built.gamma, err = add("gamma", Ones); err != nil {
			return nil, err
		}
	}
	if n.Center {
		if built.beta, err = add("beta", Zeros); err != nil {
			return nil, err
		}
	}
	if built.movingMean, err = add("moving_mean", Zeros); err != nil {
		return nil, err
	}
	if built.movingVariance, err = add("moving_variance", Ones); err != nil {
		return nil, err
	}
	return built, nil
}

type batchNormBuilt struct {
	name     string
	rank     int // of a batch: the example's rank + 1
	channels int
	// momentum and 1-momentum as Keras's float32 tensors hold them.
	momentum, rest, epsilon    float32
	gamma, beta                *Variable // nil without Scale, Center
	movingMean, movingVariance *Variable
}

// Call normalises x by the batch's statistics in training, updating the
// moving statistics (Value.Updates: they read the moving statistics before
// assigning, as Keras's call does), and by the moving statistics in
// inference.
//
// In training x reaches the loss three ways, through x·inv, the mean and
// the variance, and its gradient is the sum of the three. Both gradient
// registries add them in one AddN, whose order Grappler fixes by sorting
// its inputs by name (CanonicalizeNode, AddN being commutative), and AddN
// adds left to right. In Keras's graph the names sort as x·inv
// (batchnorm/mul_1), variance (moments/mul_1), mean (moments/truediv):
// (x·inv + variance) + mean. The C++ registry names its gradients after
// their last operation: Reshape for x·inv and the variance (a binary op's
// gradient ends in one), Div for a Mean's, which would sort first. So the
// mean here is Sum(x)/count, whose gradient ends in the Sum's Tile, which
// sorts last: Keras's order, and the same values (see moments).
func (n *batchNormBuilt) Call(s *op.Scope, x Value, training bool) Value {
	s = sub(s, n.name)
	mean, variance := n.movingMean.Value, n.movingVariance.Value
	var updates []*tf.Operation
	if training {
		mean, variance = n.moments(sub(s, "moments"), x.Out)
		updates = []*tf.Operation{
			n.movingAverage(sub(s, "update_moving_mean"), n.movingMean, mean),
			n.movingAverage(sub(s, "update_moving_variance"), n.movingVariance, variance),
		}
	}
	// tf.nn.batch_normalization, in its order of operations.
	bn := sub(s, "batchnorm")
	inv := op.Rsqrt(sub(bn, "Rsqrt"), op.AddV2(sub(bn, "add"), variance, op.Const(sub(bn, "epsilon"), n.epsilon)))
	if n.gamma != nil {
		inv = op.Mul(sub(bn, "mul"), inv, n.gamma.Value)
	}
	var shift tf.Output
	if n.beta != nil {
		shift = op.Sub(sub(bn, "sub"), n.beta.Value, op.Mul(sub(bn, "mul_mean"), mean, inv))
	} else {
		shift = op.Mul(sub(bn, "mul_mean"), op.Neg(sub(bn, "neg"), mean), inv)
	}
	out := op.AddV2(sub(bn, "add_shift"), op.Mul(sub(bn, "mul_x"), x.Out, inv), shift)
	return Value{Out: out, Updates: updates}
}

// moments is tf.nn.moments(x, axes) over every axis but the last, with
// the mean computed as Sum(x)/count (see Call for why).
func (n *batchNormBuilt) moments(s *op.Scope, x tf.Output) (mean, variance tf.Output) {
	axes := make([]int32, n.rank-1)
	squeeze := make([]int64, n.rank-1)
	for i := range axes {
		axes[i], squeeze[i] = int32(i), int64(i)
	}
	// TensorFlow's Mean kernel is the Sum's reduction divided by the count
	// as a float: Sum(x)/count is the same value. The gradient divides by
	// the count too, as Keras's: the count depends on the batch size, so
	// no rewrite turns the division into a multiplication, here or in
	// Keras's graph.
	count := op.StopGradient(sub(s, "count"), op.Cast(sub(s, "count_float"),
		op.Div(sub(s, "count_int"), op.Size(sub(s, "size"), x), op.Const(sub(s, "channels"), int32(n.channels))), tf.Float))
	m := op.RealDiv(sub(s, "mean"), op.Sum(sub(s, "sum"), x, op.Const(sub(s, "mean_axes"), axes), op.SumKeepDims(true)), count)
	sq := op.SquaredDifference(sub(s, "SquaredDifference"), x, op.StopGradient(sub(s, "StopGradient"), m))
	v := op.Mean(sub(s, "variance"), sq, op.Const(sub(s, "variance_axes"), axes), op.MeanKeepDims(true))
	return op.Squeeze(sub(s, "Squeeze"), m, op.SqueezeAxis(squeeze)), op.Squeeze(sub(s, "Squeeze_1"), v, op.SqueezeAxis(squeeze))
}

// movingAverage assigns v·momentum + batch·(1-momentum) to v.
func (n *batchNormBuilt) movingAverage(s *op.Scope, v *Variable, batch tf.Output) *tf.Operation {
	kept := op.Mul(sub(s, "mul"), v.Value, op.Const(sub(s, "momentum"), n.momentum))
	added := op.Mul(sub(s, "mul_1"), batch, op.Const(sub(s, "rest"), n.rest))
	return op.AssignVariableOp(sub(s, "AssignVariableOp"), v.Handle, op.AddV2(sub(s, "add"), kept, added))
}

func (n *batchNormBuilt) Weights() []*Variable {
	var ws []*Variable
	for _, v := range []*Variable{n.gamma, n.beta} {
		if v != nil {
			ws = append(ws, v)
		}
	}
	return ws
}

func (n *batchNormBuilt) NonTrainable() []*Variable {
	return []*Variable{n.movingMean, n.movingVariance}
}

func (*batchNormBuilt) State() []*Variable { return nil }
