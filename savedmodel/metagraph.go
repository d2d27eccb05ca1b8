package savedmodel

import (
	"bytes"
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	graphpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/graph_go_proto"
	typespb "github.com/galeone/tensorflow/tensorflow/go/core/framework/types_go_proto"
	variablepb "github.com/galeone/tensorflow/tensorflow/go/core/framework/variable_go_proto"
	corepb "github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"
	"google.golang.org/protobuf/proto"
)

// Collection keys Python's tf.compat.v1.GraphKeys gives the variable lists.
const (
	globalVariables    = "variables"
	trainableVariables = "trainable_variables"
)

// metaGraph adds the saver subgraph and the per-variable ops to e.Graph and
// describes the result as one MetaGraphDef.
func metaGraph(e Export) (*corepb.MetaGraphDef, error) {
	if e.Graph == nil {
		return nil, fmt.Errorf("no graph")
	}
	if err := validateVariables(e.Variables); err != nil {
		return nil, err
	}
	if len(e.Signatures) == 0 {
		return nil, fmt.Errorf("no signatures")
	}
	before, err := graphDef(e.Graph)
	if err != nil {
		return nil, err
	}
	nodes := make(map[string]bool, len(before.GetNode()))
	for _, n := range before.GetNode() {
		nodes[n.GetName()] = true
	}
	vars, err := resolveVariables(before, e.Variables)
	if err != nil {
		return nil, err
	}
	// Signatures only name tensors of the graph as the caller built it.
	signatures := make(map[string]*corepb.SignatureDef, len(e.Signatures))
	for _, s := range e.Signatures {
		if s.Key == "" {
			return nil, fmt.Errorf("a signature has no key")
		}
		if signatures[s.Key] != nil {
			return nil, fmt.Errorf("signature %q given twice", s.Key)
		}
		if signatures[s.Key], err = signatureDef(s, nodes); err != nil {
			return nil, err
		}
	}

	saver, err := buildSaver(graphBuilder{e.Graph, uniqueNamespace(e.Graph, "save")}, vars)
	if err != nil {
		return nil, fmt.Errorf("adding the saver: %w", err)
	}
	var all, trainable [][]byte
	for _, v := range vars {
		def, err := addVariableOps(graphBuilder{g: e.Graph}, v)
		if err != nil {
			return nil, fmt.Errorf("variable %q: %w", v.Name, err)
		}
		b, err := proto.Marshal(def)
		if err != nil {
			return nil, fmt.Errorf("variable %q: %w", v.Name, err)
		}
		all = append(all, b)
		if v.Trainable {
			trainable = append(trainable, b)
		}
	}

	graph, err := graphDef(e.Graph)
	if err != nil {
		return nil, err
	}
	ops, err := strippedOpList(graph)
	if err != nil {
		return nil, err
	}
	tags := e.Tags
	if len(tags) == 0 {
		tags = []string{ServeTag}
	}
	meta := &corepb.MetaGraphDef{
		MetaInfoDef: &corepb.MetaGraphDef_MetaInfoDef{
			Tags:              tags,
			TensorflowVersion: tf.Version(),
			StrippedOpList:    ops,
		},
		GraphDef: graph,
		SaverDef: &corepb.SaverDef{
			FilenameTensorName:        tensorName(saver.filename),
			SaveTensorName:            tensorName(saver.saveTensor),
			RestoreOpName:             saver.restoreAll.Name(),
			MaxToKeep:                 5,     // Python's default; unused by loaders
			KeepCheckpointEveryNHours: 10000, // likewise
			Sharded:                   false, // one SaveV2 writes one data shard
			Version:                   corepb.SaverDef_V2,
		},
		CollectionDef: map[string]*corepb.CollectionDef{
			globalVariables: bytesList(all),
		},
		SignatureDef: signatures,
	}
	if len(trainable) > 0 {
		meta.CollectionDef[trainableVariables] = bytesList(trainable)
	}
	return meta, nil
}

func bytesList(values [][]byte) *corepb.CollectionDef {
	return &corepb.CollectionDef{Kind: &corepb.CollectionDef_BytesList_{
		BytesList: &corepb.CollectionDef_BytesList{Value: values},
	}}
}

// graphDef serializes g.
func graphDef(g *tf.Graph) (*graphpb.GraphDef, error) {
	var buf bytes.Buffer
	if _, err := g.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("serializing the graph: %w", err)
	}
	def := new(graphpb.GraphDef)
	if err := proto.Unmarshal(buf.Bytes(), def); err != nil {
		return nil, fmt.Errorf("parsing the serialized graph: %w", err)
	}
	return def, nil
}

// resolveVariables checks each variable's handle is a VarHandleOp of graph
// whose dtype and shape agree with the Variable, and fills in those the
// caller left unset.
func resolveVariables(graph *graphpb.GraphDef, vars []Variable) ([]Variable, error) {
	byName := make(map[string]int, len(graph.GetNode()))
	for i, n := range graph.GetNode() {
		byName[n.GetName()] = i
	}
	out := make([]Variable, len(vars))
	for i, v := range vars {
		idx, ok := byName[v.Handle.Op.Name()]
		if !ok {
			return nil, fmt.Errorf("variable %q: handle %s is not in the export graph", v.Name, v.Handle.Op.Name())
		}
		attrs := graph.GetNode()[idx].GetAttr()
		dtype := tf.DataType(attrs["dtype"].GetType())
		dims, known := shapeDims(attrs["shape"].GetShape())
		if !known {
			return nil, fmt.Errorf("variable %q has no known shape", v.Name)
		}
		for _, d := range dims {
			if d < 0 {
				return nil, fmt.Errorf("variable %q: shape %v is not fully defined", v.Name, dims)
			}
		}
		if v.DType != dtype {
			return nil, fmt.Errorf("variable %q: dtype %v given, but the graph's VarHandleOp has %v", v.Name, v.DType, dtype)
		}
		if given, err := v.Shape.ToSlice(); err == nil && !equalDims(given, dims) {
			return nil, fmt.Errorf("variable %q: shape %v given, but the graph's VarHandleOp has %v", v.Name, given, dims)
		}
		v.Shape = tf.MakeShape(dims...)
		out[i] = v
	}
	return out, nil
}

func equalDims(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// addVariableOps adds the ops a VariableDef names, next to v's handle as
// Python names them: an initializer that assigns zeros (loaders restore the
// checkpoint instead of running it, but Python's Variable insists on one) and
// the snapshot read Python uses as the variable's value.
func addVariableOps(b builder, v Variable) (*variablepb.VariableDef, error) {
	base := v.Handle.Op.Name()
	dims, _ := v.Shape.ToSlice()
	zero, err := zeroScalar(v.DType)
	if err != nil {
		return nil, err
	}
	shape, err := constant(b, base+"/Initializer/zeros/shape_as_tensor", dims)
	if err != nil {
		return nil, err
	}
	value, err := constant(b, base+"/Initializer/zeros/Const", zero)
	if err != nil {
		return nil, err
	}
	zeros, err := b.add(tf.OpSpec{
		Type:  "Fill",
		Name:  base + "/Initializer/zeros",
		Input: []tf.Input{shape, value},
	})
	if err != nil {
		return nil, err
	}
	assign, err := b.add(tf.OpSpec{
		Type:  "AssignVariableOp",
		Name:  base + "/Assign",
		Input: []tf.Input{v.Handle, zeros.Output(0)},
		Attrs: map[string]any{"dtype": v.DType},
	})
	if err != nil {
		return nil, err
	}
	read, err := b.add(tf.OpSpec{
		Type:  "ReadVariableOp",
		Name:  base + "/Read/ReadVariableOp",
		Input: []tf.Input{v.Handle},
		Attrs: map[string]any{"dtype": v.DType},
	})
	if err != nil {
		return nil, err
	}
	return &variablepb.VariableDef{
		VariableName:     tensorName(v.Handle),
		InitialValueName: tensorName(zeros.Output(0)),
		InitializerName:  assign.Name(),
		SnapshotName:     tensorName(read.Output(0)),
		IsResource:       true,
		Trainable:        v.Trainable,
	}, nil
}

// zeroScalar returns a Go zero of dtype for a Const.
func zeroScalar(dtype tf.DataType) (any, error) {
	switch typespb.DataType(dtype) {
	case typespb.DataType_DT_FLOAT:
		return float32(0), nil
	case typespb.DataType_DT_DOUBLE:
		return float64(0), nil
	case typespb.DataType_DT_INT32:
		return int32(0), nil
	case typespb.DataType_DT_INT64:
		return int64(0), nil
	case typespb.DataType_DT_INT8:
		return int8(0), nil
	case typespb.DataType_DT_UINT8:
		return uint8(0), nil
	case typespb.DataType_DT_BOOL:
		return false, nil
	}
	return nil, fmt.Errorf("variables of dtype %v are not supported", dtype)
}
