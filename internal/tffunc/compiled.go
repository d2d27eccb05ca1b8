package tffunc

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	attrpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/attr_value_go_proto"
	fpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/function_go_proto"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// Compiled is a function that XLA compiles whole, as
// tf.function(jit_compile=True) does, and the call of it: XLA compiles a
// function, not part of a graph, so what is to be compiled (a training
// loop, say) goes in a function of its own that the graph calls.
type Compiled struct {
	Call string // the call's operation name in the graph
	Name string // the function's name
	// Inputs are the call's inputs, DTypes their dtypes: the function's
	// arguments.
	Inputs []tf.Output
	DTypes []tf.DataType
	// Body builds the function in fg, a graph of its own, from its
	// arguments (s adds to fg, under "body") and returns its results.
	Body func(s *op.Scope, fg *tf.Graph, args []tf.Output) ([]tf.Output, error)
	// OutputNames name the results (nil: named automatically).
	OutputNames []string
	// Functions are those Body's operations call (a While's cond and
	// body): the graph needs them too.
	Functions []*fpb.FunctionDef
}

// AddCompiled adds c's function and its call to g, and returns the call.
// It sets XLA's options first (PreferXLAOptions): XLA compiles the function
// when a session first runs the call.
func AddCompiled(g *tf.Graph, c Compiled) (*tf.Operation, error) {
	if err := PreferXLAOptions(); err != nil {
		return nil, err
	}
	s := op.NewScope()
	args := Placeholders(s, c.DTypes)
	// Finalized, the scope adds no more, but Body may still add to the
	// graph: through a scope of its own, or directly (Add).
	fg, err := s.Finalize()
	if err != nil {
		return nil, err
	}
	results, err := c.Body(op.NewScopeWithGraph(fg).SubScope("body"), fg, args)
	if err != nil {
		return nil, err
	}
	fdef, err := Define(fg, c.Name, Signature{Inputs: args, Outputs: results, OutputNames: c.OutputNames})
	if err != nil {
		return nil, err
	}
	// StatefulPartitionedCall, not PartitionedCall: a training function
	// updates variables through its resource arguments.
	return Add(g, Node{
		Name: c.Call, Type: "StatefulPartitionedCall", Inputs: c.Inputs,
		Attrs: map[string]*attrpb.AttrValue{
			"Tin": Types(c.DTypes...), "Tout": Types(DTypes(results)...), "f": Func(c.Name),
			"_XlaMustCompile": Bool(true),
		},
		Functions: append([]*fpb.FunctionDef{fdef}, c.Functions...),
	})
}

// Placeholders are a function's arguments of dtypes, "arg0", "arg1"...
// under s: Define turns placeholders into the function's inputs.
func Placeholders(s *op.Scope, dtypes []tf.DataType) []tf.Output {
	args := make([]tf.Output, len(dtypes))
	for i, d := range dtypes {
		args[i] = op.Placeholder(s.SubScope(fmt.Sprintf("arg%d", i)), d)
	}
	return args
}
