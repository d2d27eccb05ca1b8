package tffunc

// The C side works on a graph of its own, imported from the Go graph's
// GraphDef: the Go bindings keep their TF_Graph* unexported, and a copy
// costs milliseconds once per model. Everything it allocates is freed
// before it returns; the FunctionDef comes back in a TF_Buffer the Go side
// copies and deletes.

/*
#cgo LDFLAGS: -ltensorflow
#include <stdlib.h>
#include <string.h>
#include "tensorflow/c/c_api.h"

// tffunc_body marks in body the operations that the outputs and control
// outputs need, walking inputs and control inputs back from them and
// stopping at the operations listed in inputs. ops is every operation of
// the graph, body[i] says whether ops[i] belongs to the function.
static int tffunc_index(TF_Operation** ops, int nops, TF_Operation* op) {
	for (int i = 0; i < nops; i++) {
		if (ops[i] == op) return i;
	}
	return -1;
}

static void tffunc_mark(TF_Operation** ops, int nops, char* body, char* stop, TF_Operation* op, int* stack, int* depth) {
	int i = tffunc_index(ops, nops, op);
	if (i < 0 || body[i] || stop[i]) return;
	body[i] = 1;
	stack[(*depth)++] = i;
}

// tffunc_define imports graph_def into a new graph and converts the part
// of it that computes the outputs and runs the control outputs into a
// function called name, whose arguments are the inputs: operations of one
// output each (placeholders, or VarHandleOps for resources), named after
// them. It returns the FunctionDef, serialized, or NULL with status set;
// *stray names (in memory the caller frees) a placeholder the body needs
// that is not an input.
static TF_Buffer* tffunc_define(const void* graph_def, size_t graph_def_len, const char* name,
		int ninputs, const char* const* input_ops,
		int noutputs, const char* const* output_ops, const int* output_indices, const char* const* output_names,
		int ncontrol, const char* const* control_ops, char** stray, TF_Status* status) {
	TF_Buffer* result = NULL;
	TF_Operation** ops = NULL;
	TF_Operation** members = NULL;
	TF_Output* ins = NULL;
	TF_Output* outs = NULL;
	TF_Operation** controls = NULL;
	char* body = NULL;
	char* stop = NULL;
	int* stack = NULL;
	TF_Function* fn = NULL;
	TF_Graph* g = TF_NewGraph();
	TF_Buffer* def = TF_NewBufferFromString(graph_def, graph_def_len);
	TF_ImportGraphDefOptions* opts = TF_NewImportGraphDefOptions();
	TF_GraphImportGraphDef(g, def, opts, status);
	TF_DeleteImportGraphDefOptions(opts);
	TF_DeleteBuffer(def);
	if (TF_GetCode(status) != TF_OK) goto done;

	int nops = 0;
	size_t pos = 0;
	while (TF_GraphNextOperation(g, &pos) != NULL) nops++;
	ops = calloc(nops + 1, sizeof(TF_Operation*));
	members = calloc(nops + 1, sizeof(TF_Operation*));
	body = calloc(nops + 1, 1);
	stop = calloc(nops + 1, 1);
	stack = calloc(nops + 1, sizeof(int));
	ins = calloc(ninputs + 1, sizeof(TF_Output));
	outs = calloc(noutputs + 1, sizeof(TF_Output));
	controls = calloc(ncontrol + 1, sizeof(TF_Operation*));
	if (!ops || !members || !body || !stop || !stack || !ins || !outs || !controls) {
		TF_SetStatus(status, TF_RESOURCE_EXHAUSTED, "tffunc: out of memory");
		goto done;
	}
	pos = 0;
	for (int i = 0; i < nops; i++) ops[i] = TF_GraphNextOperation(g, &pos);

	for (int i = 0; i < ninputs; i++) {
		TF_Operation* op = TF_GraphOperationByName(g, input_ops[i]);
		if (op == NULL) {
			TF_SetStatus(status, TF_NOT_FOUND, input_ops[i]);
			goto done;
		}
		ins[i].oper = op;
		ins[i].index = 0;
		stop[tffunc_index(ops, nops, op)] = 1;
	}
	int depth = 0;
	for (int i = 0; i < noutputs; i++) {
		TF_Operation* op = TF_GraphOperationByName(g, output_ops[i]);
		if (op == NULL) {
			TF_SetStatus(status, TF_NOT_FOUND, output_ops[i]);
			goto done;
		}
		outs[i].oper = op;
		outs[i].index = output_indices[i];
		tffunc_mark(ops, nops, body, stop, op, stack, &depth);
	}
	for (int i = 0; i < ncontrol; i++) {
		TF_Operation* op = TF_GraphOperationByName(g, control_ops[i]);
		if (op == NULL) {
			TF_SetStatus(status, TF_NOT_FOUND, control_ops[i]);
			goto done;
		}
		controls[i] = op;
		tffunc_mark(ops, nops, body, stop, op, stack, &depth);
	}
	while (depth > 0) {
		TF_Operation* op = ops[stack[--depth]];
		int n = TF_OperationNumInputs(op);
		for (int k = 0; k < n; k++) {
			TF_Input in = {op, k};
			tffunc_mark(ops, nops, body, stop, TF_OperationInput(in).oper, stack, &depth);
		}
		int nc = TF_OperationNumControlInputs(op);
		if (nc > 0) {
			TF_Operation** cs = calloc(nc, sizeof(TF_Operation*));
			if (!cs) {
				TF_SetStatus(status, TF_RESOURCE_EXHAUSTED, "tffunc: out of memory");
				goto done;
			}
			TF_OperationGetControlInputs(op, cs, nc);
			for (int k = 0; k < nc; k++) tffunc_mark(ops, nops, body, stop, cs[k], stack, &depth);
			free(cs);
		}
	}
	int nmembers = 0;
	for (int i = 0; i < nops; i++) {
		if (!body[i]) continue;
		// A placeholder in the body is an input left out: the function
		// would only fail when it runs.
		if (strcmp(TF_OperationOpType(ops[i]), "Placeholder") == 0) {
			*stray = strdup(TF_OperationName(ops[i]));
			TF_SetStatus(status, TF_INVALID_ARGUMENT, "a placeholder is not an input");
			goto done;
		}
		members[nmembers++] = ops[i];
	}

	fn = TF_GraphToFunctionWithControlOutputs(g, name, 0, nmembers, (const TF_Operation* const*)members,
		ninputs, ins, noutputs, outs, output_names, ncontrol, (const TF_Operation* const*)controls, NULL,
		NULL, NULL, status);
	if (TF_GetCode(status) != TF_OK) goto done;
	result = TF_NewBuffer();
	TF_FunctionToFunctionDef(fn, result, status);
	if (TF_GetCode(status) != TF_OK) {
		TF_DeleteBuffer(result);
		result = NULL;
	}
done:
	if (fn) TF_DeleteFunction(fn);
	free(ops);
	free(members);
	free(body);
	free(stop);
	free(stack);
	free(ins);
	free(outs);
	free(controls);
	TF_DeleteGraph(g);
	return result;
}
*/
import "C"

import (
	"bytes"
	"errors"
	"fmt"
	"unsafe"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	fpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/function_go_proto"
	"google.golang.org/protobuf/proto"
)

// Signature says which part of a graph becomes a function.
type Signature struct {
	// Inputs are the function's arguments, in order: outputs of
	// operations with exactly one output (Placeholder, or VarHandleOp for
	// a resource argument), which do not become part of the function.
	// Their operations' names, lower-cased with every other character
	// turned into '_', name the arguments.
	Inputs []tf.Output
	// Outputs are the function's results, in order.
	Outputs []tf.Output
	// OutputNames name the results ([a-z][a-z0-9_]*); nil names them
	// automatically.
	OutputNames []string
	// ControlOutputs are operations the function must run even though no
	// result depends on them: its side effects.
	ControlOutputs []*tf.Operation
}

// Define converts the operations of g that compute sig's outputs and run
// its control outputs, back to its inputs, into a function called name
// (TF_GraphToFunction). Operations of g that neither need are left out, so
// a graph may hold variables' initialisers and other parts beside the
// function's body.
func Define(g *tf.Graph, name string, sig Signature) (*fpb.FunctionDef, error) {
	if sig.OutputNames != nil && len(sig.OutputNames) != len(sig.Outputs) {
		return nil, fmt.Errorf("tffunc: define %s: %d output names for %d outputs", name, len(sig.OutputNames), len(sig.Outputs))
	}
	for i, in := range sig.Inputs {
		if in.Op == nil || in.Op.NumOutputs() != 1 || in.Index != 0 {
			return nil, fmt.Errorf("tffunc: define %s: input %d must be the only output of its operation", name, i)
		}
	}
	var def bytes.Buffer
	if _, err := g.WriteTo(&def); err != nil {
		return nil, fmt.Errorf("tffunc: define %s: serialize graph: %w", name, err)
	}
	if def.Len() == 0 {
		return nil, fmt.Errorf("tffunc: define %s: empty graph", name)
	}

	var a cAlloc
	defer a.free()
	inputs := make([]*C.char, len(sig.Inputs))
	for i, in := range sig.Inputs {
		inputs[i] = a.str(in.Op.Name())
	}
	outputs := make([]*C.char, len(sig.Outputs))
	indices := make([]C.int, len(sig.Outputs))
	for i, out := range sig.Outputs {
		if out.Op == nil {
			return nil, fmt.Errorf("tffunc: define %s: output %d is empty", name, i)
		}
		outputs[i], indices[i] = a.str(out.Op.Name()), C.int(out.Index)
	}
	var names []*C.char
	for _, n := range sig.OutputNames {
		names = append(names, a.str(n))
	}
	controls := make([]*C.char, len(sig.ControlOutputs))
	for i, op := range sig.ControlOutputs {
		controls[i] = a.str(op.Name())
	}

	status := C.TF_NewStatus()
	defer C.TF_DeleteStatus(status)
	cdef := C.CBytes(def.Bytes())
	defer C.free(cdef)
	cname := a.str(name)
	var stray *C.char
	buf := C.tffunc_define(cdef, C.size_t(def.Len()), cname,
		C.int(len(inputs)), a.strs(inputs),
		C.int(len(outputs)), a.strs(outputs), a.ints(indices), a.strs(names),
		C.int(len(controls)), a.strs(controls), &stray, status)
	if stray != nil {
		defer C.free(unsafe.Pointer(stray))
		return nil, fmt.Errorf("tffunc: define %s: the body needs the placeholder %s, which is not an input", name, C.GoString(stray))
	}
	if C.TF_GetCode(status) != C.TF_OK {
		return nil, fmt.Errorf("tffunc: define %s: %s", name, C.GoString(C.TF_Message(status)))
	}
	if buf == nil {
		return nil, errors.New("tffunc: define " + name + ": no function")
	}
	defer C.TF_DeleteBuffer(buf)
	fdef := new(fpb.FunctionDef)
	if err := proto.Unmarshal(C.GoBytes(buf.data, C.int(buf.length)), fdef); err != nil {
		return nil, fmt.Errorf("tffunc: define %s: read FunctionDef: %w", name, err)
	}
	return fdef, nil
}

// cAlloc owns the C memory of one call's arguments: cgo forbids passing Go
// arrays of pointers to C.
type cAlloc struct{ ptrs []unsafe.Pointer }

func (a *cAlloc) keep(p unsafe.Pointer) unsafe.Pointer {
	a.ptrs = append(a.ptrs, p)
	return p
}

func (a *cAlloc) str(s string) *C.char { return (*C.char)(a.keep(unsafe.Pointer(C.CString(s)))) }

// strs copies an array of C strings into C memory; nil for none.
func (a *cAlloc) strs(ss []*C.char) **C.char {
	if len(ss) == 0 {
		return nil
	}
	p := (**C.char)(a.keep(C.calloc(C.size_t(len(ss)), C.size_t(unsafe.Sizeof((*C.char)(nil))))))
	copy(unsafe.Slice(p, len(ss)), ss)
	return p
}

func (a *cAlloc) ints(is []C.int) *C.int {
	if len(is) == 0 {
		return nil
	}
	p := (*C.int)(a.keep(C.calloc(C.size_t(len(is)), C.size_t(unsafe.Sizeof(C.int(0))))))
	copy(unsafe.Slice(p, len(is)), is)
	return p
}

func (a *cAlloc) free() {
	for _, p := range a.ptrs {
		C.free(p)
	}
	a.ptrs = nil
}
