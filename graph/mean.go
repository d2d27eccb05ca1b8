package graph

import (
	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// Mean is a running mean kept in two variables, total and count, as Keras's
// metrics keep it: each update adds a batch, Result is total / count, Reset
// starts over. Keeping it in the graph lets a training step update its
// metrics in the same session run that trains.
type Mean struct {
	Total, Count *Variable
	Result       tf.Output
	Reset        *tf.Operation
}

// NewMean adds a running mean called name ("loss", "accuracy").
func NewMean(root *op.Scope, name string) (*Mean, error) {
	init := root.SubScope(name + "_init")
	total, err := NewVariable(root, "metrics/"+name+"/total", tf.Float, []int64{}, op.Const(sub(init, "zero"), float32(0)))
	if err != nil {
		return nil, err
	}
	count, err := NewVariable(root, "metrics/"+name+"/count", tf.Float, []int64{}, op.Const(sub(init, "zero"), float32(0)))
	if err != nil {
		return nil, err
	}
	s := root.SubScope("metrics_" + name)
	return &Mean{
		Total:  total,
		Count:  count,
		Result: op.DivNoNan(sub(s, "result"), total.Value, count.Value),
		Reset:  op.NoOp(sub(s.WithControlDependencies(total.Init, count.Init), "reset")),
	}, nil
}

// Update adds sum over count examples to the mean. Keras weights a batch's
// mean loss by its size and an accuracy by its number of examples; callers
// pass (mean*N, N) or (sum of matches, N) accordingly.
func (m *Mean) Update(s *op.Scope, sum, count tf.Output) *tf.Operation {
	s = sub(s, "update")
	addTotal := op.AssignAddVariableOp(sub(s, "total"), m.Total.Handle, sum)
	addCount := op.AssignAddVariableOp(sub(s, "count"), m.Count.Handle, count)
	return op.NoOp(sub(s.WithControlDependencies(addTotal, addCount), "done"))
}

// Read returns the running mean's current value, read after deps ran: a
// step that updates and reports the metric in one run must read the updated
// variables, not a value read before the update.
func (m *Mean) Read(s *op.Scope, deps ...*tf.Operation) tf.Output {
	s = sub(s, "read").WithControlDependencies(deps...)
	total := op.ReadVariableOp(sub(s, "total"), m.Total.Handle, tf.Float)
	count := op.ReadVariableOp(sub(s, "count"), m.Count.Handle, tf.Float)
	return op.DivNoNan(sub(s, "result"), total, count)
}
