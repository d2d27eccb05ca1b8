package savedmodel

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// Saver saves variables to, and restores them from, a TensorFlow V2
// checkpoint with TensorFlow's own SaveV2 and RestoreV2 kernels, so the
// files are exactly what Python's savers read and write. Build it once at
// graph build time with NewSaver; run it in any session of that graph.
type Saver struct {
	// Prefix is the string scalar to feed with the checkpoint prefix, e.g.
	// ".../variables/variables"; SaveV2 writes prefix.index and
	// prefix.data-00000-of-00001.
	Prefix tf.Output
	// SaveOp writes the checkpoint.
	SaveOp *tf.Operation
	// RestoreOp assigns every variable its value read from the checkpoint.
	RestoreOp *tf.Operation
}

// saverOps is the subgraph Python's tf.compat.v1 Saver builds: a filename
// placeholder defaulting to "model", SaveV2 of every variable's value, an
// Identity of the filename that runs after SaveV2 (the SaverDef's save
// tensor), and RestoreV2 feeding one AssignVariableOp per variable, grouped
// into a restore_all NoOp.
type saverOps struct {
	filename   tf.Output
	save       *tf.Operation
	saveTensor tf.Output
	restoreAll *tf.Operation
}

// NewSaver adds a saver for vars to the graph of s, under a "save" namespace.
// Checkpoint keys are the variables' names.
func NewSaver(s *op.Scope, vars []Variable) (*Saver, error) {
	if err := validateVariables(vars); err != nil {
		return nil, fmt.Errorf("savedmodel: new saver: %w", err)
	}
	ops, err := buildSaver(scopeBuilder{s.SubScope("save")}, vars)
	if err != nil {
		return nil, fmt.Errorf("savedmodel: new saver: %w", err)
	}
	return &Saver{Prefix: ops.filename, SaveOp: ops.save, RestoreOp: ops.restoreAll}, nil
}

// Save writes the variables' current values in sess to the checkpoint at
// prefix. The directory of prefix must exist.
func (sv *Saver) Save(sess *tf.Session, prefix string) error {
	if err := sv.run(sess, prefix, sv.SaveOp); err != nil {
		return fmt.Errorf("savedmodel: save checkpoint %s: %w", prefix, err)
	}
	return nil
}

// Restore assigns the variables in sess the values of the checkpoint at
// prefix.
func (sv *Saver) Restore(sess *tf.Session, prefix string) error {
	if err := sv.run(sess, prefix, sv.RestoreOp); err != nil {
		return fmt.Errorf("savedmodel: restore checkpoint %s: %w", prefix, err)
	}
	return nil
}

func (sv *Saver) run(sess *tf.Session, prefix string, target *tf.Operation) error {
	p, err := tf.NewTensor(prefix)
	if err != nil {
		return err
	}
	_, err = sess.Run(map[tf.Output]*tf.Tensor{sv.Prefix: p}, nil, []*tf.Operation{target})
	return err
}

// buildSaver adds the saver subgraph for vars through b.
func buildSaver(b builder, vars []Variable) (saverOps, error) {
	var ops saverOps
	names := make([]string, len(vars))
	slices := make([]string, len(vars)) // "" = the whole tensor, not a slice
	dtypes := make([]tf.DataType, len(vars))
	for i, v := range vars {
		names[i], dtypes[i] = v.Name, v.DType
	}

	def, err := constant(b, "filename/input", "model")
	if err != nil {
		return ops, err
	}
	filename, err := b.add(tf.OpSpec{
		Type:  "PlaceholderWithDefault",
		Name:  "Const",
		Input: []tf.Input{def},
		Attrs: map[string]any{"dtype": tf.String, "shape": tf.ScalarShape()},
	})
	if err != nil {
		return ops, err
	}
	ops.filename = filename.Output(0)

	// Save.
	values := make([]tf.Output, len(vars))
	for i, v := range vars {
		read, err := b.add(tf.OpSpec{
			Type:  "ReadVariableOp",
			Name:  fmt.Sprintf("Read_%d/ReadVariableOp", i),
			Input: []tf.Input{v.Handle},
			Attrs: map[string]any{"dtype": v.DType},
		})
		if err != nil {
			return ops, fmt.Errorf("reading %s: %w", v.Name, err)
		}
		values[i] = read.Output(0)
	}
	saveNames, err := constant(b, "SaveV2/tensor_names", names)
	if err != nil {
		return ops, err
	}
	saveSlices, err := constant(b, "SaveV2/shape_and_slices", slices)
	if err != nil {
		return ops, err
	}
	if ops.save, err = b.add(tf.OpSpec{
		Type:  "SaveV2",
		Name:  "SaveV2",
		Input: []tf.Input{ops.filename, saveNames, saveSlices, tf.OutputList(values)},
	}); err != nil {
		return ops, err
	}
	saveTensor, err := b.add(tf.OpSpec{
		Type:                "Identity",
		Name:                "control_dependency",
		Input:               []tf.Input{ops.filename},
		ControlDependencies: []*tf.Operation{ops.save},
	})
	if err != nil {
		return ops, err
	}
	ops.saveTensor = saveTensor.Output(0)

	// Restore.
	restoreNames, err := constant(b, "RestoreV2/tensor_names", names)
	if err != nil {
		return ops, err
	}
	restoreSlices, err := constant(b, "RestoreV2/shape_and_slices", slices)
	if err != nil {
		return ops, err
	}
	restore, err := b.add(tf.OpSpec{
		Type:  "RestoreV2",
		Name:  "RestoreV2",
		Input: []tf.Input{ops.filename, restoreNames, restoreSlices},
		Attrs: map[string]any{"dtypes": dtypes},
	})
	if err != nil {
		return ops, err
	}
	assigns := make([]*tf.Operation, len(vars))
	for i, v := range vars {
		suffix := ""
		if i > 0 {
			suffix = fmt.Sprintf("_%d", i)
		}
		assigns[i], err = b.add(tf.OpSpec{
			Type:  "AssignVariableOp",
			Name:  "AssignVariableOp" + suffix,
			Input: []tf.Input{v.Handle, restore.Output(i)},
			// RestoreV2 has checked the dtypes; like Python's restore this
			// does not check shapes: a checkpoint of another model fails
			// at the first op that uses the value.
			Attrs: map[string]any{"dtype": v.DType},
		})
		if err != nil {
			return ops, fmt.Errorf("restoring %s: %w", v.Name, err)
		}
	}
	if ops.restoreAll, err = b.add(tf.OpSpec{
		Type:                "NoOp",
		Name:                "restore_all",
		ControlDependencies: assigns,
	}); err != nil {
		return ops, err
	}
	return ops, nil
}
