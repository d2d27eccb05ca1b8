package savedmodel

import (
	"fmt"
	"sort"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	shapepb "github.com/galeone/tensorflow/tensorflow/go/core/framework/tensor_shape_go_proto"
	typespb "github.com/galeone/tensorflow/tensorflow/go/core/framework/types_go_proto"
	corepb "github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"
)

const (
	// DefaultSignature is the key TensorFlow Serving, saved_model_cli,
	// TFSMLayer and Load use when none is named.
	DefaultSignature = "serving_default"
	// PredictMethod is the method name of a signature that maps inputs to
	// outputs, the one TensorFlow Serving's Predict API expects.
	PredictMethod = "tensorflow/serving/predict"
)

// Signature is one function the SavedModel offers its users: named inputs
// fed to, and named outputs fetched from, tensors of the export graph.
type Signature struct {
	// Key names the signature, e.g. DefaultSignature.
	Key string
	// Inputs and Outputs map the names users see (e.g. "images",
	// "probabilities") to tensors of the graph.
	Inputs, Outputs map[string]tf.Output
	// MethodName defaults to PredictMethod.
	MethodName string
}

// signatureDef describes s for the MetaGraphDef; ops lists the names of the
// graph's operations, so a tensor of another graph is caught here rather
// than by a loader.
func signatureDef(s Signature, ops map[string]bool) (*corepb.SignatureDef, error) {
	if len(s.Outputs) == 0 {
		return nil, fmt.Errorf("signature %q has no outputs", s.Key)
	}
	def := &corepb.SignatureDef{
		Inputs:     map[string]*corepb.TensorInfo{},
		Outputs:    map[string]*corepb.TensorInfo{},
		MethodName: s.MethodName,
	}
	if def.MethodName == "" {
		def.MethodName = PredictMethod
	}
	for _, side := range []struct {
		kind    string
		tensors map[string]tf.Output
		infos   map[string]*corepb.TensorInfo
	}{{"input", s.Inputs, def.Inputs}, {"output", s.Outputs, def.Outputs}} {
		for _, name := range sortedKeys(side.tensors) {
			o := side.tensors[name]
			if o.Op == nil || !ops[o.Op.Name()] {
				return nil, fmt.Errorf("signature %q: %s %q is not a tensor of the export graph", s.Key, side.kind, name)
			}
			side.infos[name] = tensorInfo(o)
		}
	}
	return def, nil
}

// tensorInfo describes o by name, dtype and the static shape the graph's
// shape inference gives it.
func tensorInfo(o tf.Output) *corepb.TensorInfo {
	return &corepb.TensorInfo{
		Encoding:    &corepb.TensorInfo_Name{Name: tensorName(o)},
		Dtype:       typespb.DataType(o.DataType()),
		TensorShape: shapeProto(o.Shape()),
	}
}

// tensorName is TensorFlow's "op:index" name of o.
func tensorName(o tf.Output) string {
	return fmt.Sprintf("%s:%d", o.Op.Name(), o.Index)
}

func shapeProto(s tf.Shape) *shapepb.TensorShapeProto {
	dims, err := s.ToSlice()
	if err != nil {
		return &shapepb.TensorShapeProto{UnknownRank: true}
	}
	p := &shapepb.TensorShapeProto{Dim: make([]*shapepb.TensorShapeProto_Dim, len(dims))}
	for i, d := range dims {
		p.Dim[i] = &shapepb.TensorShapeProto_Dim{Size: d}
	}
	return p
}

// shapeDims returns p's dimensions (-1 for unknown ones), or nil and false
// if even the rank is unknown.
func shapeDims(p *shapepb.TensorShapeProto) ([]int64, bool) {
	if p == nil || p.GetUnknownRank() {
		return nil, false
	}
	dims := make([]int64, len(p.GetDim()))
	for i, d := range p.GetDim() {
		dims[i] = d.GetSize()
	}
	return dims, true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
