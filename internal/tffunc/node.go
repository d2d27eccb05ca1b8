package tffunc

import (
	"bytes"
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	attrpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/attr_value_go_proto"
	fpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/function_go_proto"
	graphpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/graph_go_proto"
	nodepb "github.com/galeone/tensorflow/tensorflow/go/core/framework/node_def_go_proto"
	typespb "github.com/galeone/tensorflow/tensorflow/go/core/framework/types_go_proto"
	"google.golang.org/protobuf/proto"
)

// Node is an operation whose attributes the Go bindings cannot set: those
// that name functions (While's cond and body, a call's f).
type Node struct {
	Name   string // absolute, unique in the graph
	Type   string // "While", "StatefulPartitionedCall", ...
	Inputs []tf.Output
	// ControlInputs run before the node.
	ControlInputs []*tf.Operation
	Attrs         map[string]*attrpb.AttrValue
	// Functions are added to the graph's library with the node: those its
	// attributes name and those they call.
	Functions []*fpb.FunctionDef
}

// Add adds node to g with its functions and returns it. The Go bindings
// keep the graph's C handle to themselves, so the node and its library
// arrive as a GraphDef that g imports, its inputs mapped onto g's outputs
// (TF_GraphImportGraphDef copies the library as TF_GraphCopyFunction
// would). A function already in g with the same definition is kept; one
// with another definition under the same name is an error.
func Add(g *tf.Graph, node Node) (*tf.Operation, error) {
	if g.Operation(node.Name) != nil {
		return nil, fmt.Errorf("tffunc: add %s: the graph already has an operation of that name", node.Name)
	}
	var versions bytes.Buffer
	if _, err := g.WriteTo(&versions); err != nil {
		return nil, fmt.Errorf("tffunc: add %s: %w", node.Name, err)
	}
	current := new(graphpb.GraphDef)
	if err := proto.Unmarshal(versions.Bytes(), current); err != nil {
		return nil, fmt.Errorf("tffunc: add %s: read graph: %w", node.Name, err)
	}
	def := &graphpb.GraphDef{
		Versions: current.GetVersions(),
		Library:  &fpb.FunctionDefLibrary{Function: node.Functions},
	}
	nd := &nodepb.NodeDef{Name: node.Name, Op: node.Type, Attr: node.Attrs}
	var opts tf.GraphImportOptions
	for i, in := range node.Inputs {
		if in.Op == nil {
			return nil, fmt.Errorf("tffunc: add %s: input %d is empty", node.Name, i)
		}
		// Placeholder names of the imported GraphDef, mapped onto g's
		// outputs: absent from the GraphDef, so nothing else is imported.
		src := fmt.Sprintf("%s/__input_%d", node.Name, i)
		nd.Input = append(nd.Input, fmt.Sprintf("%s:0", src))
		opts.AddInputMapping(src, 0, in)
	}
	for _, c := range node.ControlInputs {
		nd.Input = append(nd.Input, "^"+c.Name())
	}
	def.Node = []*nodepb.NodeDef{nd}
	b, err := proto.Marshal(def)
	if err != nil {
		return nil, fmt.Errorf("tffunc: add %s: %w", node.Name, err)
	}
	if err := g.ImportWithOptions(b, opts); err != nil {
		return nil, fmt.Errorf("tffunc: add %s: %w", node.Name, err)
	}
	op := g.Operation(node.Name)
	if op == nil {
		return nil, fmt.Errorf("tffunc: add %s: not in the graph after the import", node.Name)
	}
	return op, nil
}

// Func is an attribute value naming the function name.
func Func(name string) *attrpb.AttrValue {
	return &attrpb.AttrValue{Value: &attrpb.AttrValue_Func{Func: &attrpb.NameAttrList{Name: name}}}
}

// Types is a list(type) attribute value.
func Types(dtypes ...tf.DataType) *attrpb.AttrValue {
	list := &attrpb.AttrValue_ListValue{}
	for _, d := range dtypes {
		list.Type = append(list.Type, typespb.DataType(d))
	}
	return &attrpb.AttrValue{Value: &attrpb.AttrValue_List{List: list}}
}

// Int is an int attribute value.
func Int(v int64) *attrpb.AttrValue { return &attrpb.AttrValue{Value: &attrpb.AttrValue_I{I: v}} }

// Bool is a bool attribute value.
func Bool(v bool) *attrpb.AttrValue { return &attrpb.AttrValue{Value: &attrpb.AttrValue_B{B: v}} }

// String is a string attribute value.
func String(v string) *attrpb.AttrValue {
	return &attrpb.AttrValue{Value: &attrpb.AttrValue_S{S: []byte(v)}}
}

// DTypes are the dtypes of outputs, for a list(type) attribute.
func DTypes(outputs []tf.Output) []tf.DataType {
	ds := make([]tf.DataType, len(outputs))
	for i, o := range outputs {
		ds[i] = o.DataType()
	}
	return ds
}

// Resource is DT_RESOURCE (TF_RESOURCE), which the Go bindings do not
// name: the dtype of a variable's handle.
const Resource tf.DataType = 20
