package tfmodel

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/gokeras/fashion/graph"
)

// snapshot holds values of the variables training changes (network.saved()),
// by variable: what a checkpoint stores, what early stopping keeps of the
// best epoch, what a .keras file is converted to.
type snapshot map[*graph.Variable]*tf.Tensor

// readVariables fetches vars' values from the model's session in one run,
// in vars' order.
func (m *Sequential) readVariables(vars []*graph.Variable) ([]*tf.Tensor, error) {
	fetches := make([]tf.Output, len(vars))
	for i, v := range vars {
		fetches[i] = v.Value
	}
	out, err := m.session.Run(nil, fetches, nil)
	if err != nil {
		return nil, fmt.Errorf("read variables: %w", err)
	}
	return out, nil
}

// takeSnapshot fetches every saved variable in one session run.
func (m *Sequential) takeSnapshot() (snapshot, error) {
	vars := m.net.saved()
	out, err := m.readVariables(vars)
	if err != nil {
		return nil, err
	}
	s := make(snapshot, len(vars))
	for i, v := range vars {
		s[v] = out[i]
	}
	return s, nil
}

// restoreSnapshot assigns every saved variable in one session run, after
// checking each value's dtype and shape against its variable: values from a
// file may belong to another model.
func (m *Sequential) restoreSnapshot(s snapshot) error {
	if err := m.checkSnapshot(s); err != nil {
		return err
	}
	a := m.net.assigner
	feeds := make(map[tf.Output]*tf.Tensor, len(a.Vars))
	for i, v := range a.Vars {
		feeds[a.Inputs[i]] = s[v]
	}
	_, err := m.session.Run(feeds, nil, []*tf.Operation{a.Assign})
	m.weightsWritten()
	if err != nil {
		return fmt.Errorf("assign variables: %w", err)
	}
	return nil
}

// floats reads a float32 tensor of a snapshot into a new slice.
func (s snapshot) floats(v *graph.Variable) ([]float32, error) {
	out := make([]float32, v.Size())
	if err := copyFloat32s(out, s[v]); err != nil {
		return nil, fmt.Errorf("%s: %w", v.Name, err)
	}
	return out, nil
}

// setFloats puts Go values for a float32 variable into the snapshot.
func (s snapshot) setFloats(v *graph.Variable, data []float32) error {
	if int64(len(data)) != v.Size() {
		return fmt.Errorf("%s: %d values, want %d (shape %v)", v.Name, len(data), v.Size(), v.Shape)
	}
	t, err := float32Tensor(data, v.Shape...)
	if err != nil {
		return fmt.Errorf("%s: %w", v.Name, err)
	}
	s[v] = t
	return nil
}

// setScalar puts a Go scalar (int64 or float32) into the snapshot.
func (s snapshot) setScalar(v *graph.Variable, value any) error {
	t, err := tf.NewTensor(value)
	if err != nil {
		return fmt.Errorf("%s: %w", v.Name, err)
	}
	s[v] = t
	return nil
}

// dtypeName names the dtypes a model's variables use, as Python does.
func dtypeName(d tf.DataType) string {
	switch d {
	case tf.Float:
		return "float32"
	case tf.Int64:
		return "int64"
	case tf.Int32:
		return "int32"
	}
	return fmt.Sprintf("dtype %d", d)
}
