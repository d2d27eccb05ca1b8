package savedmodel

import (
	"errors"
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
)

// Variable is a resource variable of a graph, as saved in a checkpoint and
// described to loaders in a SavedModel.
type Variable struct {
	// Name is the variable's checkpoint key, e.g. "dense/kernel". The export
	// graph's VarHandleOp should carry the same name: Python names the
	// weights it exposes after that op.
	Name string
	// Handle is the variable's VarHandleOp output.
	Handle tf.Output
	// DType and Shape are the VarHandleOp's dtype and shape attributes. The
	// Go API cannot read attributes back from an operation, so they travel
	// here. DType is required (the saver's ops need it); Write checks both
	// against the graph and fills in a Shape left unset.
	DType tf.DataType
	Shape tf.Shape
	// Trainable puts the variable in the trainable_variables collection,
	// which is what Keras's TFSMLayer fine-tunes.
	Trainable bool
}

// NewVariable adds to g a trainable resource variable called name with the
// given dtype and shape, the way Python's tf.Variable does in a graph: one
// VarHandleOp whose op name and shared_name are both name. A Keras-style name
// such as "dense/kernel" is then the op name, the checkpoint key and the name
// Python gives the weight. It takes the graph rather than an op.Scope because
// a scope prefixes its namespace to op names and does not tell it; build the
// rest of the graph with op.NewScopeWithGraph(g).
func NewVariable(g *tf.Graph, name string, dtype tf.DataType, shape tf.Shape) (Variable, error) {
	if g.Operation(name) != nil {
		return Variable{}, fmt.Errorf("savedmodel: variable %q: the graph already has an operation of that name", name)
	}
	handle, err := g.AddOperation(tf.OpSpec{
		Type: "VarHandleOp",
		Name: name,
		Attrs: map[string]any{
			"dtype":       dtype,
			"shape":       shape,
			"shared_name": name,
		},
	})
	if err != nil {
		return Variable{}, fmt.Errorf("savedmodel: variable %q: %w", name, err)
	}
	return Variable{Name: name, Handle: handle.Output(0), DType: dtype, Shape: shape, Trainable: true}, nil
}

// validateVariables checks the variables are usable for saving.
func validateVariables(vars []Variable) error {
	seen := make(map[string]bool, len(vars))
	for i, v := range vars {
		switch {
		case v.Name == "":
			return fmt.Errorf("variable %d has no name", i)
		case seen[v.Name]:
			return fmt.Errorf("variable %q listed twice", v.Name)
		case v.Handle.Op == nil:
			return fmt.Errorf("variable %q has no handle", v.Name)
		case v.Handle.Op.Type() != "VarHandleOp":
			return fmt.Errorf("variable %q: handle is a %s, want a VarHandleOp", v.Name, v.Handle.Op.Type())
		case v.DType == 0:
			return fmt.Errorf("variable %q has no dtype", v.Name)
		}
		seen[v.Name] = true
	}
	if len(vars) == 0 {
		return errors.New("no variables")
	}
	return nil
}
