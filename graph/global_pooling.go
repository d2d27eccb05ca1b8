package graph

import (
	"fmt"

	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// GlobalAveragePooling2D is keras.layers.GlobalAveragePooling2D, channels
// last: the mean of each channel over the image, [channels] per example
// ([1, 1, channels] with KeepDims). It is the Mean over axes 1 and 2 that
// Keras's ops.mean runs, with the gradient Keras's graph computes (see
// Call).
type GlobalAveragePooling2D struct {
	named
	KeepDims bool
}

// NewGlobalAveragePooling2D is keras.layers.GlobalAveragePooling2D().
func NewGlobalAveragePooling2D() *GlobalAveragePooling2D { return &GlobalAveragePooling2D{} }

func (g *GlobalAveragePooling2D) ClassName() string { return "GlobalAveragePooling2D" }

func (g *GlobalAveragePooling2D) Config() map[string]any {
	return map[string]any{"data_format": "channels_last", "keepdims": g.KeepDims}
}

// OutputShape is [channels], or [1, 1, channels] with KeepDims.
func (g *GlobalAveragePooling2D) OutputShape(in []int) ([]int, error) {
	if err := checkImage(in); err != nil {
		return nil, fmt.Errorf("global_average_pooling2d %s: %w", g.Name(), err)
	}
	if g.KeepDims {
		return []int{1, 1, in[2]}, nil
	}
	return []int{in[2]}, nil
}

func (g *GlobalAveragePooling2D) Params([]int) int64 { return 0 }

func (g *GlobalAveragePooling2D) Build(_ *Builder, in []int) (Built, error) {
	if _, err := g.OutputShape(in); err != nil {
		return nil, err
	}
	return &globalAverageBuilt{name: g.Name(), keepDims: g.KeepDims, h: in[0], w: in[1]}, nil
}

type globalAverageBuilt struct {
	name     string
	keepDims bool
	h, w     int // the image's
}

// Call is Mean(x, [1, 2]), whose gradient Go steers to Keras's.
//
// Both gradient registries differentiate a Mean as its Sum's gradient (dy
// broadcast over the image) divided by the number of values averaged,
// computed from the shapes at run time. In Keras's graph that number is
// h·w, which Grappler's constant folding finds (the image's size is
// static) and then turns the division into a multiplication by the float32
// reciprocal (ReduceDivToReciprocalMul); the C++ registry divides by
// Prod(shape(x)) / Prod(shape(mean)), which involves the batch size, so
// the division stays, and x/(h·w) and x·(1/(h·w)) differ in the last bit
// unless h·w is a power of two. So Go computes
//
//	out = StopGradient(Mean(x)) + (S - StopGradient(S)),  S = Sum(x)·(1/(h·w))
//
// whose value is the Mean's, exactly, for finite inputs (S - S is 0; an
// infinite S makes it NaN), and whose gradient is the Sum's gradient of
// dy·(1/(h·w)): each element dy·(1/(h·w)), Keras's product. Inference
// has no gradient and computes the Mean alone.
func (g *globalAverageBuilt) Call(s *op.Scope, x Value, training bool) Value {
	s = sub(s, g.name)
	axes := op.Const(sub(s, "axes"), []int32{1, 2})
	mean := op.Mean(sub(s, "Mean"), x.Out, axes, op.MeanKeepDims(g.keepDims))
	if !training {
		return Value{Out: mean}
	}
	inverse := op.Const(sub(s, "inverse_size"), float32(1)/float32(g.h*g.w))
	scaled := op.Mul(sub(s, "scaled_sum"), op.Sum(sub(s, "Sum"), x.Out, axes, op.SumKeepDims(g.keepDims)), inverse)
	zero := op.Sub(sub(s, "gradient_path"), scaled, op.StopGradient(sub(s, "StopGradient_sum"), scaled))
	return Value{Out: op.AddV2(sub(s, "with_gradient"), op.StopGradient(sub(s, "StopGradient_mean"), mean), zero)}
}

func (*globalAverageBuilt) Weights() []*Variable      { return nil }
func (*globalAverageBuilt) State() []*Variable        { return nil }
func (*globalAverageBuilt) NonTrainable() []*Variable { return nil }
