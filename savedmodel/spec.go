package savedmodel

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	typespb "github.com/galeone/tensorflow/tensorflow/go/core/framework/types_go_proto"
	corepb "github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"
)

// TensorSpec describes one named input or output of a signature, as its
// SignatureDef declares it.
type TensorSpec struct {
	// Name is the alias users see, e.g. "images".
	Name string
	// Tensor is the graph tensor it maps to, "op:index".
	Tensor string
	// DType is the declared element type.
	DType tf.DataType
	// Shape holds the declared dimensions, -1 for unknown ones; nil with
	// UnknownRank when not even the rank is declared.
	Shape       []int64
	UnknownRank bool
}

// Fits reports whether a tensor of the given shape matches the declared
// one: same rank and the same size in every known dimension (an unknown
// dimension, -1, takes any size; an unknown rank takes any shape).
func (t TensorSpec) Fits(shape []int64) bool {
	if t.UnknownRank {
		return true
	}
	if len(shape) != len(t.Shape) {
		return false
	}
	for i, d := range t.Shape {
		if d >= 0 && d != shape[i] {
			return false
		}
	}
	return true
}

// ShapeString is the declared shape as errors show it: [-1 28 28], or
// "unknown" when not even the rank is declared.
func (t TensorSpec) ShapeString() string {
	if t.UnknownRank {
		return "unknown"
	}
	return fmt.Sprint(t.Shape)
}

// dtypeName is TensorFlow's name of a dtype, DT_FLOAT: the bindings' type
// has no String method.
func dtypeName(d tf.DataType) string { return typespb.DataType(d).String() }

// SignatureSpec is one SignatureDef of a loaded SavedModel that Model can
// run: dense inputs and outputs, sorted by name.
type SignatureSpec struct {
	Key        string
	MethodName string
	Inputs     []TensorSpec
	Outputs    []TensorSpec
}

// Input returns the input called name.
func (s SignatureSpec) Input(name string) (TensorSpec, bool) { return findSpec(s.Inputs, name) }

// Output returns the output called name.
func (s SignatureSpec) Output(name string) (TensorSpec, bool) { return findSpec(s.Outputs, name) }

func findSpec(specs []TensorSpec, name string) (TensorSpec, bool) {
	for _, t := range specs {
		if t.Name == name {
			return t, true
		}
	}
	return TensorSpec{}, false
}

func specNames(specs []TensorSpec) []string {
	names := make([]string, len(specs))
	for i, t := range specs {
		names[i] = t.Name
	}
	return names
}

// signatureSpec describes sig, or reports false if one of its tensors is not
// dense (sparse and composite tensors cannot be fed by name) or it has no
// outputs (nothing to run).
func signatureSpec(key string, sig *corepb.SignatureDef) (SignatureSpec, bool) {
	spec := SignatureSpec{Key: key, MethodName: sig.GetMethodName()}
	for _, side := range []struct {
		infos map[string]*corepb.TensorInfo
		into  *[]TensorSpec
	}{{sig.GetInputs(), &spec.Inputs}, {sig.GetOutputs(), &spec.Outputs}} {
		for _, name := range sortedKeys(side.infos) {
			info := side.infos[name]
			if info.GetName() == "" {
				return SignatureSpec{}, false
			}
			dims, known := shapeDims(info.GetTensorShape())
			*side.into = append(*side.into, TensorSpec{
				Name: name, Tensor: info.GetName(), DType: tf.DataType(info.GetDtype()),
				Shape: dims, UnknownRank: !known,
			})
		}
	}
	if len(spec.Outputs) == 0 {
		return SignatureSpec{}, false
	}
	return spec, true
}

// SortedSignatureKeys returns the keys of m sorted, for callers that render
// SignatureDef maps deterministically.
func SortedSignatureKeys(m map[string]*corepb.SignatureDef) []string {
	return sortedKeys(m)
}
