package graph

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// Variable is a TensorFlow resource variable, the kind Keras 3 and TF 2
// create. Its Name ("dense/kernel") is both the name of its VarHandleOp in
// the graph and its key in checkpoints, so Python sees the names Keras uses.
type Variable struct {
	Name   string
	DType  tf.DataType
	Shape  []int64
	Handle tf.Output     // the VarHandleOp's resource handle
	Value  tf.Output     // a ReadVariableOp of the handle, for use in the graph
	Init   *tf.Operation // assigns the initial value; run once before use
}

// NewVariable adds a resource variable called name, with the given dtype and
// shape, initialised from initial when Init runs. s must be the root scope:
// the name is absolute, so Python and checkpoints see exactly Keras's names.
// initial may be the zero Output for a variable that is only ever restored.
func NewVariable(s *op.Scope, name string, dtype tf.DataType, shape []int64, initial tf.Output) (*Variable, error) {
	root := s
	handle := root.AddOperation(tf.OpSpec{
		Type: "VarHandleOp",
		Name: name,
		Attrs: map[string]interface{}{
			"dtype":       dtype,
			"shape":       tf.MakeShape(shape...),
			"shared_name": name,
		},
	})
	if err := root.Err(); err != nil {
		return nil, fmt.Errorf("variable %s: %w", name, err)
	}
	if got := handle.Name(); got != name {
		return nil, fmt.Errorf("variable %s: created as %s: NewVariable needs the root scope so that names stay absolute", name, got)
	}
	v := &Variable{Name: name, DType: dtype, Shape: shape, Handle: handle.Output(0)}
	v.Value = root.AddOperation(tf.OpSpec{
		Type:  "ReadVariableOp",
		Name:  name + "/Read/ReadVariableOp",
		Input: []tf.Input{v.Handle},
		Attrs: map[string]interface{}{"dtype": dtype},
	}).Output(0)
	if initial.Op != nil {
		v.Init = root.AddOperation(tf.OpSpec{
			Type:  "AssignVariableOp",
			Name:  name + "/Assign",
			Input: []tf.Input{v.Handle, initial},
			Attrs: map[string]interface{}{"dtype": dtype},
		})
	}
	if err := root.Err(); err != nil {
		return nil, fmt.Errorf("variable %s: %w", name, err)
	}
	return v, nil
}

// Size is the number of elements the variable holds.
func (v *Variable) Size() int64 {
	n := int64(1)
	for _, d := range v.Shape {
		n *= d
	}
	return n
}
