package savedmodel_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	attrpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/attr_value_go_proto"
	functionpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/function_go_proto"
	graphpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/graph_go_proto"
	nodepb "github.com/galeone/tensorflow/tensorflow/go/core/framework/node_def_go_proto"
	opdefpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/op_def_go_proto"
	corepb "github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/savedmodel"
)

// writeHostileModels writes the SavedModels of testdata/hostile_models.py
// into models/<kind>; side is where their file-writing ops would write
// <kind>.txt.
func writeHostileModels(t *testing.T) (models, side string) {
	t.Helper()
	root := t.TempDir()
	models, side = filepath.Join(root, "models"), filepath.Join(root, "side")
	require.NoError(t, os.Mkdir(side, 0o755))
	var got struct {
		Kinds []string `json:"kinds"`
	}
	runPython(t, &got, "hostile_models.py", models, side)
	require.Len(t, got.Kinds, 11)
	return models, side
}

// TestLoadRefusesUntrustedOps: Load refuses a model whose serving signature
// (or, for main_op, whose init op, which the C loader runs while loading)
// reaches an op off the allow-list, before TensorFlow runs anything: the
// file the model would write is not there afterwards. Models that only
// compute, or print to stderr, load.
func TestLoadRefusesUntrustedOps(t *testing.T) {
	models, side := writeHostileModels(t)

	tests := []struct {
		kind     string
		wantOp   string // "" for a model that must load
		wantNode string
		reason   string
	}{
		{kind: "write_file", wantOp: "WriteFile", wantNode: "WriteFile"},
		{kind: "read_file", wantOp: "ReadFile", wantNode: "ReadFile"},
		{kind: "print_to_file", wantOp: "PrintV2", wantNode: "PrintV2", reason: `prints to "file://`},
		{kind: "assert", wantOp: "Assert", wantNode: "Assert/AssertGuard/Assert"},
		{kind: "abort", wantOp: "Abort", wantNode: "Abort"},
		{kind: "py_function", wantOp: "EagerPyFunc", wantNode: "EagerPyFunc"},
		{kind: "write_file_in_cond", wantOp: "WriteFile", wantNode: "cond/WriteFile"},
		{kind: "control_dependency", wantOp: "WriteFile", wantNode: "WriteFile"},
		{kind: "main_op", wantOp: "WriteFile", wantNode: "WriteFile"},
		{kind: "plain"},
		{kind: "print_to_stderr"},
	}
	for _, tc := range tests {
		t.Run(tc.kind, func(t *testing.T) {
			dir := filepath.Join(models, tc.kind)
			m, err := savedmodel.Load(dir)
			if tc.wantOp == "" {
				require.NoError(t, err)
				require.NoError(t, m.Close())
				return
			}
			require.Error(t, err)
			t.Log(err)
			var opErr *savedmodel.OpError
			require.True(t, errors.As(err, &opErr), "an *OpError")
			assert.Equal(t, tc.wantOp, opErr.Op)
			assert.Equal(t, tc.wantNode, opErr.Node)
			assert.Contains(t, err.Error(), "savedmodel: load "+dir+": op "+tc.wantOp+" (node ")
			assert.Contains(t, err.Error(), "savedmodel.LoadTrusted", "the error says how to trust the model")
			if tc.reason != "" {
				assert.Contains(t, opErr.Reason, tc.reason)
			}
			assert.NoFileExists(t, filepath.Join(side, tc.kind+".txt"), "nothing of the model may have run")
		})
	}

	// The refusals matter: trusted, these models do act. The C loader runs
	// the main op while loading; the serving function writes on Predict.
	t.Run("trusted main_op writes while loading", func(t *testing.T) {
		m, err := savedmodel.LoadTrusted(filepath.Join(models, "main_op"))
		require.NoError(t, err)
		require.NoError(t, m.Close())
		assert.FileExists(t, filepath.Join(side, "main_op.txt"))
	})
	t.Run("allowing WriteFile lets write_file write on Predict", func(t *testing.T) {
		m, err := savedmodel.LoadWithOptions(filepath.Join(models, "write_file"), savedmodel.LoadOptions{AllowOps: []string{"WriteFile"}})
		require.NoError(t, err)
		defer m.Close()
		_, err = predictImages(m, make([]float32, pixels), 1)
		require.NoError(t, err)
		assert.FileExists(t, filepath.Join(side, "write_file.txt"))
	})
}

// Builders of small MetaGraphDefs for TestCheckOpsWalk.
func node(name, op string, inputs ...string) *nodepb.NodeDef {
	return &nodepb.NodeDef{Name: name, Op: op, Input: inputs}
}

func withAttr(n *nodepb.NodeDef, key string, v *attrpb.AttrValue) *nodepb.NodeDef {
	if n.Attr == nil {
		n.Attr = map[string]*attrpb.AttrValue{}
	}
	n.Attr[key] = v
	return n
}

func funcAttr(name string) *attrpb.AttrValue {
	return &attrpb.AttrValue{Value: &attrpb.AttrValue_Func{Func: &attrpb.NameAttrList{Name: name}}}
}

func funcListAttr(names ...string) *attrpb.AttrValue {
	l := &attrpb.AttrValue_ListValue{}
	for _, n := range names {
		l.Func = append(l.Func, &attrpb.NameAttrList{Name: n})
	}
	return &attrpb.AttrValue{Value: &attrpb.AttrValue_List{List: l}}
}

func stringAttr(s string) *attrpb.AttrValue {
	return &attrpb.AttrValue{Value: &attrpb.AttrValue_S{S: []byte(s)}}
}

func function(name string, nodes ...*nodepb.NodeDef) *functionpb.FunctionDef {
	return &functionpb.FunctionDef{Signature: &opdefpb.OpDef{Name: name}, NodeDef: nodes}
}

// TestCheckOpsWalk checks the walk itself on hand-made graphs: what the
// serving signature, the restore op and the init op reach is checked,
// through data and control inputs and into called functions however they
// are called, and what none of them reaches (the save path) is not.
func TestCheckOpsWalk(t *testing.T) {
	// The serving graph: images -> MatMul -> Softmax -> output; weights
	// restored by restore_all; a save path with SaveV2 that nothing run
	// reaches.
	base := func() *corepb.MetaGraphDef {
		return &corepb.MetaGraphDef{
			GraphDef: &graphpb.GraphDef{
				Node: []*nodepb.NodeDef{
					node("images", "Placeholder"),
					node("w", "VarHandleOp"),
					node("w/read", "ReadVariableOp", "w"),
					node("MatMul", "MatMul", "images", "w/read"),
					node("output", "Softmax", "MatMul"),
					node("save/Const", "PlaceholderWithDefault", "save/filename"),
					node("save/filename", "Const"),
					node("save/SaveV2", "SaveV2", "save/Const", "w/read"),
					node("save/MergeV2Checkpoints", "MergeV2Checkpoints", "save/Const", "^save/SaveV2"),
					node("save/RestoreV2", "RestoreV2", "save/Const"),
					node("save/Assign", "AssignVariableOp", "w", "save/RestoreV2"),
					node("save/restore_all", "NoOp", "^save/Assign"),
				},
				Library: &functionpb.FunctionDefLibrary{},
			},
			SaverDef: &corepb.SaverDef{RestoreOpName: "save/restore_all"},
			SignatureDef: map[string]*corepb.SignatureDef{
				"serving_default": {Outputs: map[string]*corepb.TensorInfo{
					"probabilities": {Encoding: &corepb.TensorInfo_Name{Name: "output:0"}},
				}},
			},
		}
	}
	// reroute makes the output depend on n, by data (or, with control,
	// control) input, and adds n and fns to the graph.
	reroute := func(m *corepb.MetaGraphDef, control bool, n *nodepb.NodeDef, fns ...*functionpb.FunctionDef) {
		in := n.GetName()
		if control {
			in = "^" + in
		}
		g := m.GetGraphDef()
		for _, old := range g.GetNode() {
			if old.GetName() == "output" {
				old.Input = append(old.Input, in)
			}
		}
		g.Node = append(g.Node, n)
		g.Library.Function = append(g.Library.Function, fns...)
	}
	writeFile := func() *nodepb.NodeDef { return node("evil", "WriteFile") }

	tests := []struct {
		name     string
		modify   func(m *corepb.MetaGraphDef)
		allow    []string
		wantOp   string // "" when the graph passes
		wantNode string
		wantFn   string
		wantRoot string
	}{
		{name: "pure graph with a save path", modify: func(*corepb.MetaGraphDef) {}},
		{name: "data input", modify: func(m *corepb.MetaGraphDef) { reroute(m, false, writeFile()) },
			wantOp: "WriteFile", wantNode: "evil", wantRoot: `the "serving_default" signature`},
		{name: "control input", modify: func(m *corepb.MetaGraphDef) { reroute(m, true, writeFile()) },
			wantOp: "WriteFile", wantNode: "evil", wantRoot: `the "serving_default" signature`},
		{name: "allowed by the caller", modify: func(m *corepb.MetaGraphDef) { reroute(m, true, writeFile()) },
			allow: []string{"WriteFile"}},
		{name: "two levels of StatefulPartitionedCall", modify: func(m *corepb.MetaGraphDef) {
			reroute(m, false, withAttr(node("call", "StatefulPartitionedCall"), "f", funcAttr("outer")),
				function("outer", withAttr(node("inner_call", "PartitionedCall"), "f", funcAttr("inner"))),
				function("inner", node("Identity", "Identity"), node("rm", "DeleteSessionTensor")))
		}, wantOp: "DeleteSessionTensor", wantNode: "rm", wantFn: "inner"},
		{name: "function called by op name", modify: func(m *corepb.MetaGraphDef) {
			reroute(m, false, node("call", "my_function"), function("my_function", node("ls", "MatchingFiles")))
		}, wantOp: "MatchingFiles", wantNode: "ls", wantFn: "my_function"},
		{name: "a Case branch", modify: func(m *corepb.MetaGraphDef) {
			reroute(m, false, withAttr(node("case", "Case"), "branches", funcListAttr("ok", "bad")),
				function("ok", node("x", "Relu")), function("bad", node("dbg", "DebugIdentity")))
		}, wantOp: "DebugIdentity", wantNode: "dbg", wantFn: "bad"},
		{name: "a function passed on in a function's attribute", modify: func(m *corepb.MetaGraphDef) {
			f := &attrpb.NameAttrList{Name: "wrapper", Attr: map[string]*attrpb.AttrValue{"then": funcAttr("payload")}}
			reroute(m, false, withAttr(node("call", "PartitionedCall"), "f", &attrpb.AttrValue{Value: &attrpb.AttrValue_Func{Func: f}}),
				function("wrapper", node("id", "Identity")), function("payload", node("save", "SaveV2")))
		}, wantOp: "SaveV2", wantNode: "save", wantFn: "payload"},
		{name: "a registered op called as a function", modify: func(m *corepb.MetaGraphDef) {
			reroute(m, false, withAttr(node("call", "StatefulPartitionedCall"), "f", funcAttr("WriteFile")))
		}, wantOp: "WriteFile", wantNode: "call"},
		{name: "PrintV2 to stderr", modify: func(m *corepb.MetaGraphDef) {
			reroute(m, true, withAttr(node("print", "PrintV2"), "output_stream", stringAttr("stderr")))
		}},
		{name: "PrintV2 to a file", modify: func(m *corepb.MetaGraphDef) {
			reroute(m, true, withAttr(node("print", "PrintV2"), "output_stream", stringAttr("file:///tmp/leak")))
		}, wantOp: "PrintV2", wantNode: "print"},
		{name: "the restore op may restore, the serving path may not", modify: func(m *corepb.MetaGraphDef) {
			reroute(m, true, node("again", "RestoreV2", "save/Const"))
		}, wantOp: "RestoreV2", wantNode: "again"},
		{name: "the restore op may not write", modify: func(m *corepb.MetaGraphDef) {
			g := m.GetGraphDef()
			g.Node = append(g.Node, node("save/restore_all_2", "NoOp", "^save/restore_all", "^save/SaveV2"))
			m.SaverDef.RestoreOpName = "save/restore_all_2"
		}, wantOp: "SaveV2", wantNode: "save/SaveV2", wantRoot: `the restore op "save/restore_all_2"`},
		{name: "TF2 init op signature", modify: func(m *corepb.MetaGraphDef) {
			m.GetGraphDef().Node = append(m.GetGraphDef().Node, node("init", "MergeV2Checkpoints"))
			m.SignatureDef["__saved_model_init_op"] = &corepb.SignatureDef{Outputs: map[string]*corepb.TensorInfo{
				"__saved_model_init_op": {Encoding: &corepb.TensorInfo_Name{Name: "init"}},
			}}
		}, wantOp: "MergeV2Checkpoints", wantNode: "init", wantRoot: `the init op "init"`},
		{name: "TF1 legacy_init_op collection", modify: func(m *corepb.MetaGraphDef) {
			m.GetGraphDef().Node = append(m.GetGraphDef().Node, node("legacy", "NoOp", "^sh"), node("sh", "ReadFile"))
			m.CollectionDef = map[string]*corepb.CollectionDef{"legacy_init_op": {Kind: &corepb.CollectionDef_NodeList_{
				NodeList: &corepb.CollectionDef_NodeList{Value: []string{"legacy"}},
			}}}
		}, wantOp: "ReadFile", wantNode: "sh", wantRoot: `the init op "legacy"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := base()
			tc.modify(m)
			err := savedmodel.CheckOps(m, "serving_default", m.GetSignatureDef()["serving_default"], tc.allow)
			if tc.wantOp == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			t.Log(err)
			var opErr *savedmodel.OpError
			require.True(t, errors.As(err, &opErr), "an *OpError: %v", err)
			assert.Equal(t, tc.wantOp, opErr.Op)
			assert.Equal(t, tc.wantNode, opErr.Node)
			assert.Equal(t, tc.wantFn, opErr.Function)
			if tc.wantRoot != "" {
				assert.Equal(t, tc.wantRoot, opErr.Root)
			}
		})
	}
}

// TestAllowedOpsAreRegistered: every op type on the allow-list is one
// TensorFlow knows, so a typo cannot hide a gap.
func TestAllowedOpsAreRegistered(t *testing.T) {
	registered := savedmodel.RegisteredOps()
	for _, op := range savedmodel.AllowedOps() {
		assert.True(t, registered[op], "%s is not a registered TensorFlow op", op)
	}
	for _, op := range []string{"WriteFile", "ReadFile", "SaveV2", "MergeV2Checkpoints", "EagerPyFunc", "PyFunc",
		"Abort", "Assert", "DebugIdentity", "MatchingFiles", "ImmutableConst", "PrintV2"} {
		assert.NotContains(t, savedmodel.AllowedOps(), op)
	}
}
