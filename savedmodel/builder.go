package savedmodel

import (
	"fmt"
	"strings"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// builder adds operations with chosen names to a graph. The saver subgraph is
// built the same way into a caller's op.Scope (NewSaver) and into an export
// graph (Write), where names must not collide with the caller's.
type builder interface {
	// add adds spec; spec.Name is relative to the builder's namespace.
	add(spec tf.OpSpec) (*tf.Operation, error)
}

// scopeBuilder adds through an op.Scope, which prefixes its namespace and
// reports errors through Scope.Err.
type scopeBuilder struct{ s *op.Scope }

func (b scopeBuilder) add(spec tf.OpSpec) (*tf.Operation, error) {
	o := b.s.AddOperation(spec)
	if err := b.s.Err(); err != nil {
		return nil, err
	}
	return o, nil
}

// graphBuilder adds to a graph directly under namespace, appending _1, _2 ...
// to a name already taken, as Python does, so the caller's graph may hold
// anything.
type graphBuilder struct {
	g         *tf.Graph
	namespace string
}

func (b graphBuilder) add(spec tf.OpSpec) (*tf.Operation, error) {
	name := spec.Name
	if b.namespace != "" {
		name = b.namespace + "/" + name
	}
	spec.Name = uniqueOpName(b.g, name)
	return b.g.AddOperation(spec)
}

// uniqueOpName returns name, or name_N for the smallest N ≥ 1 that no
// operation of g is called.
func uniqueOpName(g *tf.Graph, name string) string {
	if g.Operation(name) == nil {
		return name
	}
	for i := 1; ; i++ {
		if n := fmt.Sprintf("%s_%d", name, i); g.Operation(n) == nil {
			return n
		}
	}
}

// uniqueNamespace returns base, or base_N, such that no operation of g lives
// under it, so that a whole subgraph can be named freely inside it.
func uniqueNamespace(g *tf.Graph, base string) string {
	used := map[string]bool{}
	for _, o := range g.Operations() {
		name := o.Name()
		if i := strings.IndexByte(name, '/'); i >= 0 {
			name = name[:i]
		}
		used[name] = true
	}
	if !used[base] {
		return base
	}
	for i := 1; ; i++ {
		if n := fmt.Sprintf("%s_%d", base, i); !used[n] {
			return n
		}
	}
}

// constant adds a Const holding value.
func constant(b builder, name string, value any) (tf.Output, error) {
	t, ok := value.(*tf.Tensor)
	if !ok {
		var err error
		if t, err = tf.NewTensor(value); err != nil {
			return tf.Output{}, fmt.Errorf("constant %s: %w", name, err)
		}
	}
	o, err := b.add(tf.OpSpec{
		Type:  "Const",
		Name:  name,
		Attrs: map[string]any{"dtype": t.DataType(), "value": t},
	})
	if err != nil {
		return tf.Output{}, err
	}
	return o.Output(0), nil
}
