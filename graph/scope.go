package graph

import (
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// sub returns a uniquely named child scope. The op wrappers name an operation
// after its type, so two MatMuls in one scope would collide; a fresh child
// scope per operation keeps graph names unique and readable
// ("dense/MatMul/MatMul", "dense/MatMul_1/MatMul").
func sub(s *op.Scope, name string) *op.Scope { return s.SubScope(name) }
