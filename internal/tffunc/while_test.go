package tffunc_test

import (
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	attrpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/attr_value_go_proto"
	fpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/function_go_proto"
	"github.com/galeone/tensorflow/tensorflow/go/op"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/internal/tffunc"
)

func varHandle(s *op.Scope, name string) tf.Output {
	return s.AddOperation(tf.OpSpec{Type: "VarHandleOp", Name: name, Attrs: map[string]interface{}{
		"dtype": tf.Float, "shape": tf.ScalarShape(), "shared_name": name}}).Output(0)
}

// counting is a While loop's functions over (i, acc): the body adds 1 to
// the variable acc and counts i up, the condition is i < 7. The body's
// graph also holds an initialiser the function must leave out.
func counting(t *testing.T) (cond, body *fpb.FunctionDef) {
	s := op.NewScope()
	i := op.Placeholder(s.SubScope("i"), tf.Int32)
	acc := varHandle(s, "acc")
	op.AssignVariableOp(s.SubScope("init"), acc, op.Const(s.SubScope("reset"), float32(100)))
	add := op.AssignAddVariableOp(s.SubScope("add"), acc, op.Const(s.SubScope("one"), float32(1)))
	after := s.WithControlDependencies(add)
	next := op.AddV2(after.SubScope("next"), i, op.Const(s.SubScope("step"), int32(1)))
	accOut := op.Identity(after.SubScope("acc_out"), acc)
	g, err := s.Finalize()
	require.NoError(t, err)
	body, err = tffunc.Define(g, "body", tffunc.Signature{Inputs: []tf.Output{i, acc}, Outputs: []tf.Output{next, accOut}, ControlOutputs: []*tf.Operation{add}})
	require.NoError(t, err)

	s = op.NewScope()
	i = op.Placeholder(s.SubScope("i"), tf.Int32)
	handle := op.Placeholder(s.SubScope("acc"), tffunc.Resource)
	less := op.Less(s.SubScope("less"), i, op.Const(s.SubScope("n"), int32(7)))
	g, err = s.Finalize()
	require.NoError(t, err)
	cond, err = tffunc.Define(g, "cond", tffunc.Signature{Inputs: []tf.Output{i, handle}, Outputs: []tf.Output{less}})
	require.NoError(t, err)
	return cond, body
}

// TestWhileRunsItsBody runs the loop in a session, as the executor runs it
// and compiled by XLA inside a function marked _XlaMustCompile: both add 7
// to the model's variable.
func TestWhileRunsItsBody(t *testing.T) {
	for _, xla := range []bool{false, true} {
		t.Run(map[bool]string{false: "executor", true: "XLA"}[xla], func(t *testing.T) {
			cond, body := counting(t)
			s := op.NewScope()
			acc := varHandle(s, "acc")
			init := op.AssignVariableOp(s.SubScope("init"), acc, op.Const(s.SubScope("zero"), float32(0)))
			first := op.Const(s.SubScope("first"), int32(0))
			g, err := s.Finalize()
			require.NoError(t, err)
			var loop *tf.Operation
			if !xla {
				loop, err = tffunc.AddWhile(g, tffunc.While{Name: "loop", Inputs: []tf.Output{first, acc}, Cond: cond, Body: body, Lowered: true})
				require.NoError(t, err)
			} else {
				fs := op.NewScope()
				i := op.Placeholder(fs.SubScope("i"), tf.Int32)
				handle := op.Placeholder(fs.SubScope("acc"), tffunc.Resource)
				fg, err := fs.Finalize()
				require.NoError(t, err)
				w, err := tffunc.AddWhile(fg, tffunc.While{Name: "loop", Inputs: []tf.Output{i, handle}, Cond: cond, Body: body})
				require.NoError(t, err)
				chunk, err := tffunc.Define(fg, "chunk", tffunc.Signature{Inputs: []tf.Output{i, handle}, Outputs: []tf.Output{w.Output(0)}})
				require.NoError(t, err)
				loop, err = tffunc.Add(g, tffunc.Node{Name: "call", Type: "StatefulPartitionedCall", Inputs: []tf.Output{first, acc},
					Attrs: map[string]*attrpb.AttrValue{
						"Tin": tffunc.Types(tf.Int32, tffunc.Resource), "Tout": tffunc.Types(tf.Int32),
						"f": tffunc.Func("chunk"), "_XlaMustCompile": tffunc.Bool(true),
					},
					Functions: []*fpb.FunctionDef{chunk, cond, body}})
				require.NoError(t, err)
			}
			read := op.ReadVariableOp(op.NewScopeWithGraph(g).SubScope("after").WithControlDependencies(loop), acc, tf.Float)
			sess, err := tf.NewSession(g, nil)
			require.NoError(t, err)
			defer sess.Close()
			_, err = sess.Run(nil, nil, []*tf.Operation{init})
			require.NoError(t, err)
			out, err := sess.Run(nil, []tf.Output{read, loop.Output(0)}, nil)
			require.NoError(t, err)
			assert.Equal(t, float32(7), out[0].Value(), "the body ran 7 times, without the initialiser")
			assert.Equal(t, int32(7), out[1].Value())
		})
	}
}

func TestDefineAndAddRefuse(t *testing.T) {
	s := op.NewScope()
	x := op.Placeholder(s.SubScope("x"), tf.Float)
	stray := op.Placeholder(s.SubScope("stray"), tf.Float)
	sum := op.AddV2(s.SubScope("sum"), x, stray)
	split := op.Unpack(s.SubScope("split"), op.Const(s.SubScope("pair"), []float32{1, 2}), 2)
	g, err := s.Finalize()
	require.NoError(t, err)
	for _, c := range []struct {
		name string
		sig  tffunc.Signature
		want string
	}{
		{"input of an operation with two outputs", tffunc.Signature{Inputs: []tf.Output{split[1]}, Outputs: []tf.Output{sum}}, "only output"},
		{"output names", tffunc.Signature{Inputs: []tf.Output{x, stray}, Outputs: []tf.Output{sum}, OutputNames: []string{"a", "b"}}, "2 output names for 1 outputs"},
		{"a placeholder left in the body", tffunc.Signature{Inputs: []tf.Output{x}, Outputs: []tf.Output{sum}}, "needs the placeholder stray/Placeholder, which is not an input"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := tffunc.Define(g, "f", c.sig)
			assert.ErrorContains(t, err, c.want)
		})
	}

	fdef, err := tffunc.Define(g, "f", tffunc.Signature{Inputs: []tf.Output{x, stray}, Outputs: []tf.Output{sum}})
	require.NoError(t, err)
	node := tffunc.Node{Name: sum.Op.Name(), Type: "f", Inputs: []tf.Output{x, x}, Functions: []*fpb.FunctionDef{fdef}}
	_, err = tffunc.Add(g, node)
	assert.ErrorContains(t, err, "already has an operation of that name")
	node.Name = "call"
	call, err := tffunc.Add(g, node)
	require.NoError(t, err)
	sess, err := tf.NewSession(g, nil)
	require.NoError(t, err)
	defer sess.Close()
	two, err := tf.NewTensor(float32(2))
	require.NoError(t, err)
	out, err := sess.Run(map[tf.Output]*tf.Tensor{x: two}, []tf.Output{call.Output(0)}, nil)
	require.NoError(t, err)
	assert.Equal(t, float32(4), out[0].Value(), "a function called by its name: x + x")
}
