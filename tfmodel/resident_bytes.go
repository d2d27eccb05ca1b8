package tfmodel

import (
	"math"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// Examples that are 8-bit data divided by 255 — images scaled to [0, 1],
// as Keras's image tutorials scale them — are kept in the session as their
// bytes, a quarter of the memory, and divided by 255 again where a step
// takes its batch. Every value comes back bit for bit (float32(b)/255 is
// the one float32 each was found to be), so training computes exactly
// what it computes on the floats; what changes is the memory traffic. An
// epoch gathers its batches out of the resident data (188 MB of floats for
// Fashion-MNIST, 47 MB of bytes) and every step copies its batch out of
// them (100 KB, 25 KB): measured on a 2-core Xeon, the XLA-compiled epoch
// takes 0.27 s instead of 0.30.
const byteScale = 255

// scaledBytes returns the bytes b with float32(b)/255 == x[i] bit for bit
// for every i, or false when some value is not such a quotient (it stops
// at the first). -0 is not +0 here: the bits must come back.
func scaledBytes(x []float32) ([]uint8, bool) {
	var quotients [256]uint32
	for b := range quotients {
		quotients[b] = math.Float32bits(float32(b) / byteScale)
	}
	out := make([]uint8, len(x))
	for i, v := range x {
		if !(v >= 0 && v <= 1) { // NaN too
			return nil, false
		}
		b := int(v*byteScale + 0.5)
		if math.Float32bits(v) != quotients[b] {
			return nil, false
		}
		out[i] = uint8(b)
	}
	return out, true
}

// decodeBytes adds float32(b)/divisor of uint8 b, divisor byteDivisor's:
// the values scaledBytes found, and the tutorial's pixels / 255.0 for
// every byte.
func decodeBytes(s *op.Scope, b, divisor tf.Output) tf.Output {
	return op.RealDiv(s.SubScope("div"), op.Cast(s.SubScope("cast"), b, tf.Float), divisor)
}

// byteDivisor adds the 255 decodeBytes divides by, as a value the
// optimizers do not see: TensorFlow's graph optimizer and XLA both turn
// division by a constant into multiplication by its reciprocal, which is
// 1 ulp off for about half the bytes. A PlaceholderWithDefault keeps it
// from the graph optimizer; XLA's loop takes it as an argument.
func byteDivisor(s *op.Scope) tf.Output {
	return op.PlaceholderWithDefault(s, op.Const(s.SubScope("value"), float32(byteScale)), tf.ScalarShape())
}

// residentExamples adds the gather of the rows indices of the resident
// examples, from whichever variable holds them in this Fit (dataAsBytes):
// a Switch sends the indices to one gather and leaves the other dead, so
// only one runs, and Merge passes on its rows.
func (n *network) residentExamples(s *op.Scope, indices tf.Output) tf.Output {
	floatRows, byteRows := op.Switch(s.SubScope("which"), indices, n.dataAsBytes.Value)
	floats := op.ResourceGather(s.SubScope("floats"), n.dataX.Handle, floatRows, tf.Float)
	bytes := op.ResourceGather(s.SubScope("bytes"), n.dataBytes.Handle, byteRows, tf.Uint8)
	x, _ := op.Merge(s.SubScope("merge"), []tf.Output{floats, decodeBytes(s.SubScope("decode"), bytes, byteDivisor(s.SubScope("divisor")))})
	return x
}
