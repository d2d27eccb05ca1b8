package graph

import (
	"fmt"
	"math"
	"slices"

	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// Rescaling is keras.layers.Rescaling(scale, offset): x·scale + offset,
// element by element, with scale and offset rounded to float32 as Keras
// casts them (Rescaling(1/255) maps pixels 0..255 to [0, 1]).
type Rescaling struct {
	named
	Scale, Offset float64
}

// NewRescaling is keras.layers.Rescaling(scale, offset).
func NewRescaling(scale, offset float64) *Rescaling { return &Rescaling{Scale: scale, Offset: offset} }

func (r *Rescaling) ClassName() string { return "Rescaling" }

func (r *Rescaling) Config() map[string]any {
	return map[string]any{"scale": r.Scale, "offset": r.Offset}
}

// OutputShape is in.
func (r *Rescaling) OutputShape(in []int) ([]int, error) {
	for _, v := range []struct {
		name  string
		value float64
	}{{"scale", r.Scale}, {"offset", r.Offset}} {
		if math.IsNaN(v.value) || math.IsInf(v.value, 0) || math.Abs(v.value) > math.MaxFloat32 {
			return nil, fmt.Errorf("rescaling %s: %s %v: want a finite float32 value", r.Name(), v.name, v.value)
		}
	}
	for _, d := range in {
		if d <= 0 {
			return nil, fmt.Errorf("rescaling %s: input shape %v: dimensions must be positive", r.Name(), in)
		}
	}
	return slices.Clone(in), nil
}

func (r *Rescaling) Params([]int) int64 { return 0 }

func (r *Rescaling) Build(_ *Builder, in []int) (Built, error) {
	if _, err := r.OutputShape(in); err != nil {
		return nil, err
	}
	return &rescalingBuilt{name: r.Name(), scale: float32(r.Scale), offset: float32(r.Offset)}, nil
}

type rescalingBuilt struct {
	name          string
	scale, offset float32
}

// Call is Keras's inputs * scale + offset: a Mul and an AddV2, the offset
// added even when it is 0, as Keras adds it.
func (r *rescalingBuilt) Call(s *op.Scope, x Value, _ bool) Value {
	s = sub(s, r.name)
	scaled := op.Mul(sub(s, "Mul"), x.Out, op.Const(sub(s, "scale"), r.scale))
	return Value{Out: op.AddV2(sub(s, "AddV2"), scaled, op.Const(sub(s, "offset"), r.offset))}
}

func (*rescalingBuilt) Weights() []*Variable      { return nil }
func (*rescalingBuilt) State() []*Variable        { return nil }
func (*rescalingBuilt) NonTrainable() []*Variable { return nil }
