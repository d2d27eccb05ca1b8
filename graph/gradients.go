package graph

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// Gradients adds the gradients of y with respect to each of xs, given the
// upstream gradient dy of some loss with respect to y, through the C API's
// TF_AddGradients (the C++ gradient registry). xs are variables' Value
// outputs, the ReadVariableOps the forward pass consumed.
func Gradients(s *op.Scope, y, dy tf.Output, xs []*Variable) ([]tf.Output, error) {
	values := make([]tf.Output, len(xs))
	for i, x := range xs {
		values[i] = x.Value
	}
	grads := op.Gradients(sub(s, "gradients"), []tf.Output{y}, values, dy)
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("gradients: %w", err)
	}
	for i, g := range grads {
		if g.Op == nil {
			return nil, fmt.Errorf("gradients: %s does not influence the loss", xs[i].Name)
		}
	}
	return grads, nil
}
