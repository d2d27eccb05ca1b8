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
//
// Restoring does not assign: Restored gives the checkpoint's tensors so that
// the caller can check their shapes before they reach a variable (a resource
// variable's assignment does not check shapes, and a checkpoint of another
// model would otherwise fail only later, deep in a kernel).
type Saver struct {
	Prefix   tf.Output     // string scalar to feed: the checkpoint's path prefix
	Save     *tf.Operation // writes every variable and every extra
	Extras   []tf.Output   // placeholders whose fed values Save writes too
	Restored []tf.Output   // the checkpoint's values: Vars, then Extras
	Vars     []*Variable
}

// Extra is a value stored in a checkpoint beside the variables, fed when
// saving: a training position, say.
type Extra struct {
	Name  string
	DType tf.DataType
}

// NewSaver adds save and restore operations for vars and extras under the
// scope name given ("save"). It is built once with the graph; saving is
// then one session run.
func NewSaver(root *op.Scope, name string, vars []*Variable, extras ...Extra) (*Saver, error) {
	s := root.SubScope(name)
	n := len(vars) + len(extras)
	names := make([]string, 0, n)
	values := make([]tf.Output, 0, n)
	dtypes := make([]tf.DataType, 0, n)
	for _, v := range vars {
		names, values, dtypes = append(names, v.Name), append(values, v.Value), append(dtypes, v.DType)
	}
	var fed []tf.Output
	for _, e := range extras {
		in := op.Placeholder(sub(s, "extra"), e.DType, op.PlaceholderShape(tf.ScalarShape()))
		fed = append(fed, in)
		names, values, dtypes = append(names, e.Name), append(values, in), append(dtypes, e.DType)
	}
	prefix := op.Placeholder(sub(s, "prefix"), tf.String, op.PlaceholderShape(tf.ScalarShape()))
	tensorNames := op.Const(sub(s, "tensor_names"), names)
	shapesAndSlices := op.Const(sub(s, "shape_and_slices"), make([]string, n))
	save := op.SaveV2(sub(s, "SaveV2"), prefix, tensorNames, shapesAndSlices, values)
	restored := op.RestoreV2(sub(s, "RestoreV2"), prefix, tensorNames, shapesAndSlices, dtypes)
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("saver %s: %w", name, err)
	}
	return &Saver{Prefix: prefix, Save: save, Extras: fed, Restored: restored, Vars: vars}, nil
}
