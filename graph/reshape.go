package graph

import (
	"fmt"
	"slices"
)

// Reshape is keras.layers.Reshape(target_shape): each example takes the
// target shape, which holds as many values as the input; one dimension may
// be -1, inferred as Keras infers it.
type Reshape struct {
	named
	TargetShape []int
}

// NewReshape is keras.layers.Reshape(target_shape).
func NewReshape(target ...int) *Reshape { return &Reshape{TargetShape: target} }

func (r *Reshape) ClassName() string { return "Reshape" }

func (r *Reshape) Config() map[string]any {
	return map[string]any{"target_shape": slices.Clone(r.TargetShape)}
}

// OutputShape is the target shape with -1 resolved, or an error when it
// cannot hold the input's values.
func (r *Reshape) OutputShape(in []int) ([]int, error) {
	if len(r.TargetShape) == 0 {
		return nil, fmt.Errorf("reshape %s: no target shape", r.Name())
	}
	out := slices.Clone(r.TargetShape)
	unknown, known := -1, int64(1)
	for i, d := range out {
		switch {
		case d == -1 && unknown < 0:
			unknown = i
		case d <= 0:
			return nil, fmt.Errorf("reshape %s: target shape %v: dimensions must be positive (one may be -1)", r.Name(), r.TargetShape)
		default:
			known *= int64(d)
		}
	}
	total := size(in)
	if unknown >= 0 {
		if total%known != 0 {
			return nil, fmt.Errorf("reshape %s: input shape %v (%d values) does not fit target shape %v", r.Name(), in, total, r.TargetShape)
		}
		out[unknown] = int(total / known)
	} else if known != total {
		return nil, fmt.Errorf("reshape %s: input shape %v (%d values) does not fit target shape %v (%d values)", r.Name(), in, total, r.TargetShape, known)
	}
	return out, nil
}

func (r *Reshape) Params([]int) int64 { return 0 }

func (r *Reshape) Build(_ *Builder, in []int) (Built, error) {
	out, err := r.OutputShape(in)
	if err != nil {
		return nil, err
	}
	return &reshapeBuilt{name: r.Name(), shape: out}, nil
}
