package graph

import (
	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// sub returns a uniquely named child scope. The op wrappers name an operation
// after its type, so two MatMuls in one scope would collide; a fresh child
// scope per operation keeps graph names unique and readable
// ("dense/MatMul/MatMul", "dense/MatMul_1/MatMul").
func sub(s *op.Scope, name string) *op.Scope { return s.SubScope(name) }

// selectV2 is tf.where(condition, x, y) with broadcasting, the SelectV2
// operation that the op package's wrappers (generated before it existed)
// lack.
func selectV2(s *op.Scope, condition, x, y tf.Output) tf.Output {
	if s.Err() != nil {
		return tf.Output{}
	}
	return s.AddOperation(tf.OpSpec{Type: "SelectV2", Input: []tf.Input{condition, x, y}}).Output(0)
}
