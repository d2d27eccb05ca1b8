package graph

import (
	"fmt"

	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// Flatten is keras.layers.Flatten: each example becomes one vector. It is a
// Reshape to [-1, features], free in TensorFlow (no copy).
type Flatten struct{ named }

// NewFlatten is keras.layers.Flatten().
func NewFlatten() *Flatten { return &Flatten{} }

func (f *Flatten) ClassName() string { return "Flatten" }

func (f *Flatten) Config() map[string]any { return map[string]any{"data_format": "channels_last"} }

// OutputShape is [product of in].
func (f *Flatten) OutputShape(in []int) ([]int, error) {
	for _, d := range in {
		if d <= 0 {
			return nil, fmt.Errorf("flatten %s: input shape %v: dimensions must be positive", f.Name(), in)
		}
	}
	return []int{int(size(in))}, nil
}

func (f *Flatten) Params([]int) int64 { return 0 }

func (f *Flatten) Build(_ *Builder, in []int) (Built, error) {
	out, err := f.OutputShape(in)
	if err != nil {
		return nil, err
	}
	return &reshapeBuilt{name: f.Name(), shape: out}, nil
}

// reshapeBuilt reshapes each example to shape: Flatten and Reshape.
type reshapeBuilt struct {
	name  string
	shape []int
}

func (r *reshapeBuilt) Call(s *op.Scope, x Value, _ bool) Value {
	s = sub(s, r.name)
	return Value{Out: op.Reshape(sub(s, "Reshape"), x.Out, op.Const(sub(s, "shape"), batchShape(r.shape)))}
}

func (r *reshapeBuilt) Weights() []*Variable { return nil }
func (r *reshapeBuilt) State() []*Variable   { return nil }

func (*reshapeBuilt) NonTrainable() []*Variable { return nil }
