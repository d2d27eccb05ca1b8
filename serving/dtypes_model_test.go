package serving

import (
	"path/filepath"
	"sync"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/savedmodel"
)

// dtypesModel is a SavedModel with inputs and outputs of several dtypes and
// ranks, written with savedmodel.Write:
//
//	serving_default: x float32 [-1 2], n int64 [-1], s string [-1], flag bool [-1]
//	  -> y = x*scale float32 [-1 2] (scale a variable holding 2),
//	     n_plus = n+1 int64, s_bytes = s string, not_flag = !flag bool
//	total: x float32 [-1 2] -> sum float32 [] (a scalar: no batch dimension)
//	small: b uint8 [-1 3], h int16 [-1], d float64 [-1] -> b2 = b+b, h2 = -h, d2 = d*d
var dtypesModel = sync.OnceValues(func() (string, error) {
	dir := filepath.Join(testRoot, "dtypes")
	return dir, writeDTypesModel(dir)
})

func writeDTypesModel(dir string) error {
	// The training side: where the variable's value lives.
	tg := tf.NewGraph()
	ts := op.NewScopeWithGraph(tg)
	tv, err := savedmodel.NewVariable(tg, "scale", tf.Float, tf.ScalarShape())
	if err != nil {
		return err
	}
	assign := op.AssignVariableOp(ts.SubScope("init"), tv.Handle, op.Const(ts.SubScope("two"), float32(2)))
	saver, err := savedmodel.NewSaver(ts, []savedmodel.Variable{tv})
	if err != nil {
		return err
	}
	if err := ts.Err(); err != nil {
		return err
	}
	sess, err := tf.NewSession(tg, nil)
	if err != nil {
		return err
	}
	defer sess.Close()
	if _, err := sess.Run(nil, nil, []*tf.Operation{assign}); err != nil {
		return err
	}

	g := tf.NewGraph()
	s := op.NewScopeWithGraph(g)
	v, err := savedmodel.NewVariable(g, "scale", tf.Float, tf.ScalarShape())
	if err != nil {
		return err
	}
	ph := func(name string, dt tf.DataType, dims ...int64) tf.Output {
		return op.Placeholder(s.SubScope(name), dt, op.PlaceholderShape(tf.MakeShape(dims...)))
	}
	x := ph("x", tf.Float, -1, 2)
	n := ph("n", tf.Int64, -1)
	str := ph("s", tf.String, -1)
	flag := ph("flag", tf.Bool, -1)
	scale := op.ReadVariableOp(s.SubScope("read"), v.Handle, tf.Float)
	y := op.Mul(s.SubScope("y"), x, scale)
	nPlus := op.AddV2(s.SubScope("n_plus"), n, op.Const(s.SubScope("one"), int64(1)))
	sOut := op.Identity(s.SubScope("s_out"), str)
	notFlag := op.LogicalNot(s.SubScope("not_flag"), flag)

	x2 := ph("x2", tf.Float, -1, 2)
	sum := op.Sum(s.SubScope("sum"), x2, op.Const(s.SubScope("axes"), []int32{0, 1}))

	b := ph("b", tf.Uint8, -1, 3)
	h := ph("h", tf.Int16, -1)
	d := ph("d", tf.Double, -1)
	b2 := op.AddV2(s.SubScope("b2"), b, b)
	h2 := op.Neg(s.SubScope("h2"), h)
	d2 := op.Mul(s.SubScope("d2"), d, d)
	if err := s.Err(); err != nil {
		return err
	}
	return savedmodel.Write(dir, savedmodel.Export{
		Graph:     g,
		Variables: []savedmodel.Variable{v},
		Signatures: []savedmodel.Signature{
			{
				Key:     savedmodel.DefaultSignature,
				Inputs:  map[string]tf.Output{"x": x, "n": n, "s": str, "flag": flag},
				Outputs: map[string]tf.Output{"y": y, "n_plus": nPlus, "s_bytes": sOut, "not_flag": notFlag},
			},
			{Key: "total", Inputs: map[string]tf.Output{"x": x2}, Outputs: map[string]tf.Output{"sum": sum}},
			{Key: "small", Inputs: map[string]tf.Output{"b": b, "h": h, "d": d}, Outputs: map[string]tf.Output{"b2": b2, "h2": h2, "d2": d2}},
		},
		WriteVariables: func(prefix string) error { return saver.Save(sess, prefix) },
	})
}

func dtypesDir(t testing.TB) string {
	t.Helper()
	dir, err := dtypesModel()
	require.NoError(t, err)
	return dir
}

// writeReadFileModel writes a model whose serving_default reads the file
// it is given (ReadFile, off savedmodel's allow-list).
func writeReadFileModel(dir string) error {
	tg := tf.NewGraph()
	ts := op.NewScopeWithGraph(tg)
	tv, err := savedmodel.NewVariable(tg, "unused", tf.Float, tf.ScalarShape())
	if err != nil {
		return err
	}
	assign := op.AssignVariableOp(ts.SubScope("init"), tv.Handle, op.Const(ts.SubScope("zero"), float32(0)))
	saver, err := savedmodel.NewSaver(ts, []savedmodel.Variable{tv})
	if err != nil {
		return err
	}
	sess, err := tf.NewSession(tg, nil)
	if err != nil {
		return err
	}
	defer sess.Close()
	if _, err := sess.Run(nil, nil, []*tf.Operation{assign}); err != nil {
		return err
	}
	g := tf.NewGraph()
	s := op.NewScopeWithGraph(g)
	v, err := savedmodel.NewVariable(g, "unused", tf.Float, tf.ScalarShape())
	if err != nil {
		return err
	}
	path := op.Placeholder(s.SubScope("path"), tf.String, op.PlaceholderShape(tf.ScalarShape()))
	contents := op.ReadFile(s, path)
	if err := s.Err(); err != nil {
		return err
	}
	return savedmodel.Write(dir, savedmodel.Export{
		Graph: g, Variables: []savedmodel.Variable{v},
		Signatures: []savedmodel.Signature{{Key: savedmodel.DefaultSignature,
			Inputs: map[string]tf.Output{"path": path}, Outputs: map[string]tf.Output{"contents": contents}}},
		WriteVariables: func(prefix string) error { return saver.Save(sess, prefix) },
	})
}
