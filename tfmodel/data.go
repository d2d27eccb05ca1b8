package tfmodel

import (
	"fmt"
	"slices"

	"github.com/gokeras/fashion/tensor"
)

// checkData validates examples x (and targets y, unless nil) against the
// model before anything reaches TensorFlow, so bad input is an error that
// names both shapes rather than a failure deep inside a kernel.
func (m *Sequential) checkData(what string, x tensor.Float32, y tensor.Tensor) (n int, err error) {
	if err := x.Validate(); err != nil {
		return 0, fmt.Errorf("%s: x: %w", what, err)
	}
	if len(x.Shape) == 0 || x.Len() == 0 {
		return 0, fmt.Errorf("%s: no examples (x has shape %v)", what, x.Shape)
	}
	if !slices.Equal(x.Example(), m.inputShape) {
		return 0, fmt.Errorf("%s: x has shape %v, examples of shape %v; the model takes %s", what, x.Shape, x.Example(), shapeString(m.inputShape))
	}
	n = x.Len()
	if y == nil {
		return n, nil
	}
	if err := y.Validate(); err != nil {
		return 0, fmt.Errorf("%s: y: %w", what, err)
	}
	if y.Len() != n {
		return 0, fmt.Errorf("%s: %d examples but %d targets", what, n, y.Len())
	}
	loss := m.compiled.Loss
	want := m.targetShape(loss)
	switch t := y.(type) {
	case tensor.Int32:
		if !loss.Sparse() {
			return 0, fmt.Errorf("%s: integer labels, but the loss %s takes float32 targets of shape %s", what, loss.Name(), shapeString(want))
		}
		if !slices.Equal(t.Example(), want) {
			return 0, fmt.Errorf("%s: labels of shape %v, want one class index per example (shape [%d])", what, t.Shape, n)
		}
		classes := int32(m.Classes())
		for i, l := range t.Data {
			if l < 0 || l >= classes {
				return 0, fmt.Errorf("%s: label %d at index %d is out of range: want 0..%d", what, l, i, classes-1)
			}
		}
	case tensor.Float32:
		if loss.Sparse() {
			return 0, fmt.Errorf("%s: float32 targets, but the loss %s takes integer class labels (tensor.Int32)", what, loss.Name())
		}
		if !slices.Equal(t.Example(), want) {
			return 0, fmt.Errorf("%s: targets of shape %v, examples of shape %v; the model's output is %s", what, t.Shape, t.Example(), shapeString(want))
		}
	default:
		return 0, fmt.Errorf("%s: targets of type %T: want tensor.Int32 or tensor.Float32", what, y)
	}
	return n, nil
}

// shapeString is a shape as Keras prints a batch of it: (None, 28, 28).
func shapeString(example []int) string { return tensor.Format(example, true) }
