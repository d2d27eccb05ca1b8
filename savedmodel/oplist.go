package savedmodel

// #cgo LDFLAGS: -ltensorflow
// #include "tensorflow/c/c_api.h"
import "C"

import (
	"fmt"
	"sort"
	"unsafe"

	graphpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/graph_go_proto"
	opdefpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/op_def_go_proto"
	"google.golang.org/protobuf/proto"
)

// strippedOpList returns the OpDefs, without their documentation, of the ops
// graph uses: the MetaInfoDef's stripped_op_list, which tells a consumer
// built against another TensorFlow which attrs the producer knew (Python's
// importer uses it to drop attrs it would not understand). The Go bindings
// do not expose the op registry, so ask the C API.
func strippedOpList(graph *graphpb.GraphDef) (*opdefpb.OpList, error) {
	used := map[string]bool{}
	for _, n := range graph.GetNode() {
		used[n.GetOp()] = true
	}
	for _, f := range graph.GetLibrary().GetFunction() {
		for _, n := range f.GetNodeDef() {
			used[n.GetOp()] = true
		}
	}

	all, err := allOps()
	if err != nil {
		return nil, err
	}

	list := new(opdefpb.OpList)
	for _, def := range all.GetOp() {
		if !used[def.GetName()] {
			continue
		}
		def.Summary, def.Description = "", ""
		for _, a := range append(def.GetInputArg(), def.GetOutputArg()...) {
			a.Description = ""
		}
		for _, a := range def.GetAttr() {
			a.Description = ""
		}
		list.Op = append(list.Op, def)
	}
	sort.Slice(list.Op, func(i, j int) bool { return list.Op[i].GetName() < list.Op[j].GetName() })
	return list, nil
}

// allOps returns the OpDefs of every op libtensorflow registers.
func allOps() (*opdefpb.OpList, error) {
	buf := C.TF_GetAllOpList()
	defer C.TF_DeleteBuffer(buf)
	all := new(opdefpb.OpList)
	if err := proto.Unmarshal(C.GoBytes(unsafe.Pointer(buf.data), C.int(buf.length)), all); err != nil {
		return nil, fmt.Errorf("reading TensorFlow's op registry: %w", err)
	}
	return all, nil
}
