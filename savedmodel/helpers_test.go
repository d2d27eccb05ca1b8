package savedmodel_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"path/filepath"
	"sync"
	"testing"
	"time"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/internal/pyenv"
	"github.com/gokeras/fashion/loader"
	"github.com/gokeras/fashion/savedmodel"
	"github.com/gokeras/fashion/tensor"
)

const (
	pixels  = 28 * 28
	classes = 10
)

// testSet holds the first n images of a split (raw and scaled to [0, 1])
// and their labels.
type testSet struct {
	n      int
	raw    []uint8
	images []float32
	labels []uint8
}

// batch is the set's images as the [n 28 28] tensor models take.
func (ts testSet) batch() tensor.Float32 {
	return tensor.Float32{Shape: []int{ts.n, 28, 28}, Data: ts.images}
}

// fashionData is the real data set, loaded once for the package's tests.
var fashionData = sync.OnceValues(func() (*loader.Dataset, error) { return loader.Load("") })

func splitSet(t testing.TB, split func(*loader.Dataset) loader.Split, n int) testSet {
	t.Helper()
	d, err := fashionData()
	require.NoError(t, err, "the real Fashion-MNIST is needed: run scripts/libtensorflow-install.sh")
	s := split(d)
	if n <= 0 || n > s.Len() {
		n = s.Len()
	}
	ts := testSet{n: n, raw: s.Images[:n*pixels], labels: s.Labels[:n], images: s.Scaled()[:n*pixels]}
	return ts
}

// loadTestSet is the first n test images (all for n <= 0).
func loadTestSet(t testing.TB, n int) testSet {
	return splitSet(t, func(d *loader.Dataset) loader.Split { return d.Test }, n)
}

// loadTrainSet is the whole training split.
func loadTrainSet(t testing.TB) testSet {
	return splitSet(t, func(d *loader.Dataset) loader.Split { return d.Train }, 0)
}

// layerSizes describes an MLP like the tutorial's: Flatten(h×w) ->
// Dense(hidden, relu) -> Dense(classes, softmax).
type layerSizes struct{ h, w, hidden, classes int }

var fashion = layerSizes{28, 28, 128, 10}

// mlpWeights are the four variables of an MLP, named as Keras names them.
type mlpWeights struct {
	sizes layerSizes
	vars  []savedmodel.Variable // dense/kernel, dense/bias, dense_1/kernel, dense_1/bias
}

func newMLPWeights(t testing.TB, g *tf.Graph, sz layerSizes) mlpWeights {
	t.Helper()
	shapes := []struct {
		name string
		dims []int64
	}{
		{"dense/kernel", []int64{int64(sz.h * sz.w), int64(sz.hidden)}},
		{"dense/bias", []int64{int64(sz.hidden)}},
		{"dense_1/kernel", []int64{int64(sz.hidden), int64(sz.classes)}},
		{"dense_1/bias", []int64{int64(sz.classes)}},
	}
	w := mlpWeights{sizes: sz}
	for _, s := range shapes {
		v, err := savedmodel.NewVariable(g, s.name, tf.Float, tf.MakeShape(s.dims...))
		require.NoError(t, err)
		w.vars = append(w.vars, v)
	}
	return w
}

// apply adds the forward pass of images ([-1 h w] float32) under s and
// returns the probabilities.
func (w mlpWeights) apply(s *op.Scope, images tf.Output) tf.Output {
	f := s.SubScope("flatten")
	flat := op.Reshape(f, images, op.Const(f, []int64{-1, int64(w.sizes.h * w.sizes.w)}))
	dense := func(s *op.Scope, x tf.Output, kernel, bias savedmodel.Variable) tf.Output {
		k := op.ReadVariableOp(s.SubScope("MatMul"), kernel.Handle, tf.Float)
		b := op.ReadVariableOp(s.SubScope("BiasAdd"), bias.Handle, tf.Float)
		return op.BiasAdd(s, op.MatMul(s, x, k), b)
	}
	d := s.SubScope("dense")
	hidden := op.Relu(d, dense(d, flat, w.vars[0], w.vars[1]))
	d1 := s.SubScope("dense_1")
	return op.Softmax(d1, dense(d1, hidden, w.vars[2], w.vars[3]))
}

// placeholder adds a Placeholder called name of shape [-1 h w].
func placeholder(s *op.Scope, name string, dtype tf.DataType, sz layerSizes) tf.Output {
	return s.AddOperation(tf.OpSpec{
		Type:  "Placeholder",
		Name:  name,
		Attrs: map[string]any{"dtype": dtype, "shape": tf.MakeShape(-1, int64(sz.h), int64(sz.w))},
	}).Output(0)
}

// trained is the in-memory model: a session whose variables hold seeded
// random weights (as if trained), with a Saver to write its checkpoint.
type trained struct {
	sizes  layerSizes
	sess   *tf.Session
	images tf.Output
	probs  tf.Output
	saver  *savedmodel.Saver
}

func newTrained(t testing.TB, sz layerSizes, seed int64) *trained {
	t.Helper()
	g := tf.NewGraph()
	s := op.NewScopeWithGraph(g)
	w := newMLPWeights(t, g, sz)
	tr := &trained{sizes: sz, images: placeholder(s, "images", tf.Float, sz)}
	tr.probs = w.apply(s.SubScope("sequential"), tr.images)

	// Glorot-uniform kernels as Keras initializes them, and non-zero biases
	// so that restoring them is tested too.
	rng := rand.New(rand.NewSource(seed))
	init := s.SubScope("init")
	var assigns []*tf.Operation
	for _, v := range w.vars {
		dims, err := v.Shape.ToSlice()
		require.NoError(t, err)
		limit := 0.1
		if len(dims) == 2 {
			limit = math.Sqrt(6 / float64(dims[0]+dims[1]))
		}
		n := int64(1)
		for _, d := range dims {
			n *= d
		}
		vals := make([]float32, n)
		for i := range vals {
			vals[i] = float32((2*rng.Float64() - 1) * limit)
		}
		value, err := tf.NewTensor(vals)
		require.NoError(t, err)
		require.NoError(t, value.Reshape(dims))
		vs := init.SubScope(v.Name)
		assigns = append(assigns, op.AssignVariableOp(vs, v.Handle, op.Const(vs, value)))
	}
	saver, err := savedmodel.NewSaver(s, w.vars)
	require.NoError(t, err)
	tr.saver = saver
	require.NoError(t, s.Err())

	tr.sess, err = tf.NewSession(g, nil)
	require.NoError(t, err)
	t.Cleanup(func() { tr.sess.Close() })
	_, err = tr.sess.Run(nil, nil, assigns)
	require.NoError(t, err)
	return tr
}

// predict runs the in-memory model on n images in one batch.
func (tr *trained) predict(t testing.TB, images []float32, n int) []float32 {
	t.Helper()
	in, err := tf.NewTensor(images)
	require.NoError(t, err)
	require.NoError(t, in.Reshape([]int64{int64(n), int64(tr.sizes.h), int64(tr.sizes.w)}))
	out, err := tr.sess.Run(map[tf.Output]*tf.Tensor{tr.images: in}, []tf.Output{tr.probs}, nil)
	require.NoError(t, err)
	var flat []float32
	for _, row := range out[0].Value().([][]float32) {
		flat = append(flat, row...)
	}
	return flat
}

// exportOf builds the export graph for tr: the same architecture with fresh
// variables, a serving_default signature on float images and, with raw, a
// serving_uint8 signature that scales raw pixels in the graph.
func exportOf(t testing.TB, tr *trained, raw bool) savedmodel.Export {
	t.Helper()
	g := tf.NewGraph()
	s := op.NewScopeWithGraph(g)
	w := newMLPWeights(t, g, tr.sizes)
	images := placeholder(s, "images", tf.Float, tr.sizes)
	e := savedmodel.Export{
		Graph:     g,
		Variables: w.vars,
		Signatures: []savedmodel.Signature{{
			Key:     savedmodel.DefaultSignature,
			Inputs:  map[string]tf.Output{"images": images},
			Outputs: map[string]tf.Output{"probabilities": w.apply(s.SubScope("sequential"), images)},
		}},
		WriteVariables: func(prefix string) error { return tr.saver.Save(tr.sess, prefix) },
	}
	if raw {
		px := placeholder(s, "pixels", tf.Uint8, tr.sizes)
		sc := s.SubScope("scale")
		// Divide, as Go does, so both signatures agree bit for bit. With a
		// Const divisor, grappler's constant folding rewrites x/255 into
		// x*(1/255), which differs in the last bit for half the pixels; a
		// PlaceholderWithDefault is not folded.
		divisor := op.PlaceholderWithDefault(sc, op.Const(sc, float32(255)), tf.ScalarShape())
		scaled := op.RealDiv(sc, op.Cast(sc, px, tf.Float), divisor)
		e.Signatures = append(e.Signatures, savedmodel.Signature{
			Key:     "serving_uint8",
			Inputs:  map[string]tf.Output{"pixels": px},
			Outputs: map[string]tf.Output{"probabilities": w.apply(s.SubScope("sequential"), scaled)},
		})
	}
	require.NoError(t, s.Err())
	return e
}

// writeModel writes tr as a SavedModel at dir.
func writeModel(t testing.TB, tr *trained, dir string, raw bool) {
	t.Helper()
	require.NoError(t, savedmodel.Write(dir, exportOf(t, tr, raw)))
}

// predictImages runs m's Predict on n images of 28×28 pixels, as an
// [n 28 28] tensor, and returns the n×10 probabilities after checking
// their shape.
func predictImages(m *savedmodel.Model, images []float32, n int) ([]float32, error) {
	x, err := tensor.NewFloat32(images, n, 28, 28)
	if err != nil {
		return nil, err
	}
	y, err := m.Predict(x)
	if err != nil {
		return nil, err
	}
	if len(y.Shape) != 2 || y.Shape[0] != n || y.Shape[1] != classes {
		return nil, fmt.Errorf("output shape %v, want [%d %d]", y.Shape, n, classes)
	}
	return y.Data, nil
}

// argmax returns each row's largest column.
func argmax(probs []float32) []int {
	out := make([]int, len(probs)/classes)
	for i := range out {
		row := probs[i*classes : (i+1)*classes]
		for j, p := range row {
			if p > row[out[i]] {
				out[i] = j
			}
		}
	}
	return out
}

func accuracy(probs []float32, labels []uint8) float64 {
	right := 0
	for i, c := range argmax(probs) {
		if c == int(labels[i]) {
			right++
		}
	}
	return float64(right) / float64(len(labels))
}

// assertSameFloats asserts bit-for-bit equality of two long slices without
// printing them whole.
func assertSameFloats(t testing.TB, want, got []float32, msg string) bool {
	t.Helper()
	if len(want) != len(got) {
		return assert.Fail(t, fmt.Sprintf("%s: %d values, want %d", msg, len(got), len(want)))
	}
	differ, first := 0, -1
	for i := range want {
		if math.Float32bits(want[i]) != math.Float32bits(got[i]) {
			if first < 0 {
				first = i
			}
			differ++
		}
	}
	if differ == 0 {
		return true
	}
	return assert.Fail(t, fmt.Sprintf("%s: %d of %d values differ (first at %d: %v, want %v; max abs diff %g)",
		msg, differ, len(want), first, got[first], want[first], maxAbsDiff(want, got)))
}

func maxAbsDiff(a, b []float32) float64 {
	m := 0.0
	for i := range a {
		m = math.Max(m, math.Abs(float64(a[i])-float64(b[i])))
	}
	return m
}

// runPython runs a script of testdata with the .venv Python and decodes the
// JSON it prints on its "RESULT " line into v. A missing .venv fails the
// test: these checks are the point of the package.
func runPython(t testing.TB, v any, script string, args ...string) {
	t.Helper()
	_, err := pyenv.Python()
	require.NoError(t, err, "the Python checks need the .venv; run scripts/libtensorflow-install.sh")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	path, err := filepath.Abs(filepath.Join("testdata", script))
	require.NoError(t, err)
	out, err := pyenv.Run(ctx, append([]string{path}, args...)...)
	require.NoError(t, err, "python %s failed; stdout:\n%s", script, out)
	for _, line := range bytes.Split(out, []byte("\n")) {
		if rest, ok := bytes.CutPrefix(line, []byte("RESULT ")); ok {
			require.NoError(t, json.Unmarshal(rest, v), "decoding %s", rest)
			return
		}
	}
	require.Fail(t, fmt.Sprintf("python %s printed no RESULT line; stdout:\n%s", script, out))
}
