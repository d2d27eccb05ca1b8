package tensor

import (
	"errors"
	"fmt"
	"slices"
)

// Float32 is float32 values with their shape, row-major: the value at
// (i, j, k) of a [N, H, W] tensor is Data[(i*H+j)*W+k].
type Float32 struct {
	Shape []int
	Data  []float32
}

// Int32 is int32 values with their shape, row-major, typically class
// indices.
type Int32 struct {
	Shape []int
	Data  []int32
}

// ErrShape is wrapped by every error about a shape that does not fit its
// data or its use.
var ErrShape = errors.New("shape mismatch")

// NewFloat32 returns data with the given shape, or an error when the shape
// does not hold exactly len(data) values.
func NewFloat32(data []float32, shape ...int) (Float32, error) {
	if err := check(len(data), shape); err != nil {
		return Float32{}, err
	}
	return Float32{Shape: slices.Clone(shape), Data: data}, nil
}

// NewInt32 returns data with the given shape, or an error when the shape
// does not hold exactly len(data) values.
func NewInt32(data []int32, shape ...int) (Int32, error) {
	if err := check(len(data), shape); err != nil {
		return Int32{}, err
	}
	return Int32{Shape: slices.Clone(shape), Data: data}, nil
}

// Labels returns class indices as an [N] Int32, the form integer labels
// take for sparse losses.
func Labels(y []uint8) Int32 {
	out := make([]int32, len(y))
	for i, l := range y {
		out[i] = int32(l)
	}
	return Int32{Shape: []int{len(y)}, Data: out}
}

// Len is the number of examples: the first dimension (1 for a scalar).
func (t Float32) Len() int { return first(t.Shape) }

// Len is the number of examples: the first dimension (1 for a scalar).
func (t Int32) Len() int { return first(t.Shape) }

// Example is the shape of one example: Shape without its first dimension.
func (t Float32) Example() []int { return example(t.Shape) }

// Example is the shape of one example: Shape without its first dimension.
func (t Int32) Example() []int { return example(t.Shape) }

// Slice returns examples [lo, hi) sharing t's storage.
func (t Float32) Slice(lo, hi int) Float32 {
	n := Size(t.Example())
	return Float32{Shape: withFirst(t.Shape, hi-lo), Data: t.Data[lo*n : hi*n]}
}

// Slice returns examples [lo, hi) sharing t's storage.
func (t Int32) Slice(lo, hi int) Int32 {
	n := Size(t.Example())
	return Int32{Shape: withFirst(t.Shape, hi-lo), Data: t.Data[lo*n : hi*n]}
}

// Validate reports whether Shape holds exactly len(Data) values.
func (t Float32) Validate() error { return check(len(t.Data), t.Shape) }

// Validate reports whether Shape holds exactly len(Data) values.
func (t Int32) Validate() error { return check(len(t.Data), t.Shape) }

// Size is the number of values a shape holds: the product of its
// dimensions (1 for the empty shape of a scalar).
func Size(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Format writes a shape the way Keras prints one, with None for the batch
// dimension when batch is true: (None, 28, 28).
func Format(shape []int, batch bool) string {
	s := "("
	if batch {
		s += "None"
	}
	for i, d := range shape {
		if i > 0 || batch {
			s += ", "
		}
		s += fmt.Sprint(d)
	}
	if len(shape) == 1 && !batch {
		s += ","
	}
	return s + ")"
}

func check(n int, shape []int) error {
	size := 1
	for _, d := range shape {
		if d < 0 {
			return fmt.Errorf("%w: shape %v has a negative dimension", ErrShape, shape)
		}
		if d > 0 && size > (1<<62)/d {
			return fmt.Errorf("%w: shape %v is too large", ErrShape, shape)
		}
		size *= d
	}
	if size != n {
		return fmt.Errorf("%w: shape %v holds %d values, the data has %d", ErrShape, shape, size, n)
	}
	return nil
}

func first(shape []int) int {
	if len(shape) == 0 {
		return 1
	}
	return shape[0]
}

func example(shape []int) []int {
	if len(shape) == 0 {
		return nil
	}
	return slices.Clone(shape[1:])
}

func withFirst(shape []int, n int) []int {
	s := slices.Clone(shape)
	if len(s) > 0 {
		s[0] = n
	}
	return s
}

// Tensor is Float32 or Int32: what a model takes as targets, class indices
// or values.
type Tensor interface {
	Len() int
	Example() []int
	Validate() error
}
