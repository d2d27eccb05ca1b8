package graph

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// Assigner sets variables to values fed from Go in one session run: how a
// model takes weights read from a file (a .keras archive, say) rather than a
// checkpoint.
type Assigner struct {
	Inputs []tf.Output // one placeholder per variable, in Vars' order
	Assign *tf.Operation
	Vars   []*Variable
}

// NewAssigner adds the placeholders and assignments for vars under the
// scope name given.
func NewAssigner(root *op.Scope, name string, vars []*Variable) (*Assigner, error) {
	s := root.SubScope(name)
	a := &Assigner{Vars: vars}
	assigns := make([]*tf.Operation, len(vars))
	for i, v := range vars {
		in := op.Placeholder(sub(s, "value"), v.DType, op.PlaceholderShape(tf.MakeShape(v.Shape...)))
		a.Inputs = append(a.Inputs, in)
		assigns[i] = op.AssignVariableOp(sub(s, "Assign"), v.Handle, in)
	}
	a.Assign = op.NoOp(sub(s.WithControlDependencies(assigns...), "assign_all"))
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("assigner %s: %w", name, err)
	}
	return a, nil
}
