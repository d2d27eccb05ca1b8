package graph

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// Saver writes and reads a set of variables as a TensorFlow checkpoint
// (prefix.index + prefix.data-00000-of-00001) with TensorFlow's own SaveV2
// and RestoreV2 kernels, keyed by the variables' names. Python reads the
// result with tf.train.load_checkpoint.
type Saver struct {
	Prefix  tf.Output     // string scalar to feed: the checkpoint's path prefix
	Save    *tf.Operation // writes every variable
	Restore *tf.Operation // assigns every variable from the checkpoint
	Vars    []*Variable
}

// NewSaver adds save and restore operations for vars under the given scope
// name ("save"). It is built once with the graph; saving is then one
// session run.
func NewSaver(root *op.Scope, name string, vars []*Variable) (*Saver, error) {
	s := root.SubScope(name)
	names := make([]string, len(vars))
	slices := make([]string, len(vars))
	values := make([]tf.Output, len(vars))
	dtypes := make([]tf.DataType, len(vars))
	for i, v := range vars {
		names[i], values[i], dtypes[i] = v.Name, v.Value, v.DType
	}
	prefix := op.Placeholder(sub(s, "prefix"), tf.String, op.PlaceholderShape(tf.ScalarShape()))
	tensorNames := op.Const(sub(s, "tensor_names"), names)
	shapesAndSlices := op.Const(sub(s, "shape_and_slices"), slices)
	save := op.SaveV2(sub(s, "SaveV2"), prefix, tensorNames, shapesAndSlices, values)
	restored := op.RestoreV2(sub(s, "RestoreV2"), prefix, tensorNames, shapesAndSlices, dtypes)
	assigns := make([]*tf.Operation, len(vars))
	for i, v := range vars {
		assigns[i] = op.AssignVariableOp(sub(s, "Assign"), v.Handle, restored[i])
	}
	restore := op.NoOp(sub(s.WithControlDependencies(assigns...), "restore_all"))
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("saver %s: %w", name, err)
	}
	return &Saver{Prefix: prefix, Save: save, Restore: restore, Vars: vars}, nil
}
