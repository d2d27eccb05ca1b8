package tffunc

import (
	tf "github.com/galeone/tensorflow/tensorflow/go"
	attrpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/attr_value_go_proto"
	fpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/function_go_proto"
)

// While is a functional While loop: its state starts as Inputs, and Body
// maps it to the next state for as long as Cond, on the state, is true.
// The loop's outputs are the last state.
type While struct {
	Name   string // the loop's operation name
	Inputs []tf.Output
	// Cond and Body are the functions, by their own names: the graph
	// gets them with the loop.
	Cond, Body *fpb.FunctionDef
	// Lowered turns the loop into the executor's own frames (Enter,
	// Merge, Switch, NextIteration) rather than one function call per
	// iteration. XLA compiles only the functional While, so a loop inside
	// a compiled function stays unlowered.
	Lowered bool
}

// AddWhile adds w to g and returns the loop. Its iterations run one after
// another (parallel_iterations 1): a training step reads the variables
// the previous one wrote.
func AddWhile(g *tf.Graph, w While) (*tf.Operation, error) {
	return Add(g, Node{
		Name: w.Name, Type: "While", Inputs: w.Inputs,
		Attrs: map[string]*attrpb.AttrValue{
			"T":    Types(DTypes(w.Inputs)...),
			"cond": Func(w.Cond.GetSignature().GetName()), "body": Func(w.Body.GetSignature().GetName()),
			"parallel_iterations":       Int(1),
			"_lower_using_switch_merge": Bool(w.Lowered),
		},
		Functions: []*fpb.FunctionDef{w.Cond, w.Body},
	})
}
