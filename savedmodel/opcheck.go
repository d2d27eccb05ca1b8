package savedmodel

import (
	"fmt"
	"strings"

	attrpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/attr_value_go_proto"
	functionpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/function_go_proto"
	nodepb "github.com/galeone/tensorflow/tensorflow/go/core/framework/node_def_go_proto"
	corepb "github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"
)

// OpError reports an op that Load refuses to let TensorFlow run: a
// SavedModel is a program, and an op off the allow-list (AllowedOps) could
// read or write files, reach the network, call Python or stop the process.
// Load returns it wrapped; find it with errors.As to reword the advice for
// a command line.
type OpError struct {
	Op       string // the op type, e.g. "WriteFile"
	Node     string // the node's name
	Function string // the library function holding the node; "" for the main graph
	Root     string // what reaches the node, e.g. `the "serving_default" signature`
	Reason   string // why it is refused, if not simply for being off the allow-list
}

func (e *OpError) Error() string {
	where := fmt.Sprintf("node %q", e.Node)
	if e.Function != "" {
		where += fmt.Sprintf(" of function %q", e.Function)
	}
	why := "is not on the allow-list of pure computation ops"
	if e.Reason != "" {
		why = e.Reason
	}
	return fmt.Sprintf("op %s (%s, reached from %s) %s: a SavedModel is a program, and this one could act "+
		"outside the model; load it only if you trust its author, with savedmodel.LoadTrusted, "+
		"or allow the op with LoadOptions.AllowOps", e.Op, where, e.Root, why)
}

// Keys where the loader finds the op it runs after restoring the variables,
// in the order it looks: the TF2 init signature, then the TF1 collections.
const (
	initOpSignature  = "__saved_model_init_op"
	mainOpCollection = "saved_model_main_op"
	legacyInitOpColl = "legacy_init_op"
)

// checkOps refuses meta if an op Load would have TensorFlow run is off the
// allow-list: what the serving signature sig reaches from its outputs, and
// what the loader runs while loading (the restore op and the init op), which
// may also restore and assign variables. It walks the graph backwards
// through data and control inputs, and checks every node of every library
// function a reached node calls (by its op type or a function-valued
// attribute), transitively. It reads the MetaGraphDef, not a loaded
// tf.Graph: loading already runs the restore and init ops, and the Go
// binding exposes neither an op's inputs nor its control inputs.
func checkOps(meta *corepb.MetaGraphDef, sigKey string, sig *corepb.SignatureDef, extra []string) error {
	c := &opChecker{
		nodes:     map[string]*nodepb.NodeDef{},
		functions: map[string]*functionpb.FunctionDef{},
	}
	for _, n := range meta.GetGraphDef().GetNode() {
		c.nodes[n.GetName()] = n
	}
	for _, f := range meta.GetGraphDef().GetLibrary().GetFunction() {
		c.functions[f.GetSignature().GetName()] = f
	}

	serving := fmt.Sprintf("the %q signature", sigKey)
	var outputs []string
	for _, name := range sortedKeys(sig.GetOutputs()) {
		outputs = append(outputs, sig.GetOutputs()[name].GetName())
	}
	c.reset(opSet(servingOps, extra))
	if err := c.walk(serving, outputs); err != nil {
		return err
	}

	c.reset(opSet(servingOps, loaderOps, extra))
	if restore := meta.GetSaverDef().GetRestoreOpName(); restore != "" {
		if err := c.walk(fmt.Sprintf("the restore op %q", restore), []string{restore}); err != nil {
			return err
		}
	}
	var inits []string
	if s, ok := meta.GetSignatureDef()[initOpSignature]; ok {
		for _, key := range sortedKeys(s.GetOutputs()) {
			inits = append(inits, s.GetOutputs()[key].GetName())
		}
	}
	for _, key := range []string{mainOpCollection, legacyInitOpColl} {
		inits = append(inits, meta.GetCollectionDef()[key].GetNodeList().GetValue()...)
	}
	for _, name := range inits {
		if err := c.walk(fmt.Sprintf("the init op %q", name), []string{name}); err != nil {
			return err
		}
	}
	return nil
}

type opChecker struct {
	nodes     map[string]*nodepb.NodeDef
	functions map[string]*functionpb.FunctionDef

	// Per walk: the allow-list, and the nodes of the main graph and the
	// functions already checked against it.
	allowed                    map[string]bool
	checkedNodes, checkedFuncs map[string]bool
}

func (c *opChecker) reset(allowed map[string]bool) {
	c.allowed, c.checkedNodes, c.checkedFuncs = allowed, map[string]bool{}, map[string]bool{}
}

// walk checks the main-graph nodes that produce tensors (or are the ops)
// named in from, and everything they depend on.
func (c *opChecker) walk(root string, from []string) error {
	stack := make([]string, 0, len(from))
	for _, name := range from {
		stack = append(stack, nodeName(name))
	}
	for len(stack) > 0 {
		name := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if c.checkedNodes[name] {
			continue
		}
		c.checkedNodes[name] = true
		n, ok := c.nodes[name]
		if !ok {
			return fmt.Errorf("%s names node %q, which the graph lacks", root, name)
		}
		if err := c.node(root, "", n); err != nil {
			return err
		}
		for _, in := range n.GetInput() {
			stack = append(stack, nodeName(in))
		}
	}
	return nil
}

// nodeName is the node of a tensor name "node:1", a control input "^node"
// or a node name.
func nodeName(s string) string {
	s = strings.TrimPrefix(s, "^")
	if i := strings.IndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	return s
}

// node checks one node of the main graph (fn == "") or of function fn.
func (c *opChecker) node(root, fn string, n *nodepb.NodeDef) error {
	refuse := func(op, reason string) error {
		return &OpError{Op: op, Node: n.GetName(), Function: fn, Root: root, Reason: reason}
	}
	switch op := n.GetOp(); {
	case c.functions[op] != nil:
		// A function called directly by name.
		if err := c.function(root, op, refuse); err != nil {
			return err
		}
	case op == "PrintV2":
		stream := "stderr" // the op's default
		if a, ok := n.GetAttr()["output_stream"]; ok {
			stream = string(a.GetS())
		}
		if !printStreams[stream] && !c.allowed[op] {
			return refuse(op, fmt.Sprintf("prints to %q rather than stderr, stdout or the log", stream))
		}
	case !c.allowed[op]:
		return refuse(op, "")
	}
	for _, key := range sortedKeys(n.GetAttr()) {
		if err := c.attrFunctions(root, n.GetAttr()[key], refuse); err != nil {
			return err
		}
	}
	return nil
}

// attrFunctions checks the functions an attribute names (the f of a
// StatefulPartitionedCall, the branches of an If or a Case, the cond and
// body of a While), including those passed on in their own attributes.
// refuse makes the error for the node that holds the attribute.
func (c *opChecker) attrFunctions(root string, a *attrpb.AttrValue, refuse func(op, reason string) error) error {
	funcs := a.GetList().GetFunc()
	if f := a.GetFunc(); f != nil {
		funcs = append(funcs, f)
	}
	for _, f := range funcs {
		if err := c.function(root, f.GetName(), refuse); err != nil {
			return err
		}
		for _, key := range sortedKeys(f.GetAttr()) {
			if err := c.attrFunctions(root, f.GetAttr()[key], refuse); err != nil {
				return err
			}
		}
	}
	return nil
}

// function checks every node of the library function name: once called, a
// function's stateful ops run whether or not its outputs are used. A name
// the library lacks is a registered op, which TensorFlow's function runtime
// calls as a function of one node: it must be on the allow-list, and refuse
// makes the error, naming the calling node.
func (c *opChecker) function(root, name string, refuse func(op, reason string) error) error {
	if c.checkedFuncs[name] {
		return nil
	}
	c.checkedFuncs[name] = true
	f, ok := c.functions[name]
	if !ok {
		if c.allowed[name] {
			return nil
		}
		return refuse(name, "is called as a function, and is not on the allow-list of pure computation ops")
	}
	for _, n := range f.GetNodeDef() {
		if err := c.node(root, name, n); err != nil {
			return err
		}
	}
	return nil
}
