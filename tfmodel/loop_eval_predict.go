package tfmodel

import (
	"bytes"
	"fmt"
	"io"
	"math/bits"
	"sync"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	fpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/function_go_proto"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/gokeras/fashion/graph"
	"github.com/gokeras/fashion/internal/tffunc"
	"github.com/gokeras/fashion/tensor"
)

// Evaluate and Predict honour StepsPerExecution and JITCompile as Fit
// does: the whole batches of a chunk of up to K are one session run, the
// inference step as the body of a graph While loop (XLA-compiled with
// JITCompile), and the last partial batch takes the per-batch path. A
// chunk's examples (and targets) are fed as one [rows, B, example...]
// tensor that the body indexes by step, rather than through the resident
// variables Fit trains from: those hold the training data while Fit
// evaluates the validation data, and uploading costs the same copy as the
// feed.

// inferenceLoops are a model's evaluation and prediction loops, built on
// first use rather than at Compile: a model compiled for Fit's loop may
// never predict in chunks, and building a loop costs a copy of the graph
// (tffunc). They belong to the network, and go with its graph.
type inferenceLoops struct {
	mu      sync.Mutex // so that concurrent Predict calls build a loop once
	eval    map[loopKind]*evalLoop
	predict map[loopKind]*predictLoop
	built   int // numbers the loops, whose names must be unique in the graph
}

// loopKind is how a loop runs: k batches per run, compiled by XLA or not.
type loopKind struct {
	k   int
	jit bool
}

// inferenceKind is how Evaluate and Predict run, as compiled: ok is false
// for one batch per session run, today's path.
func (m *Sequential) inferenceKind() (kind loopKind, ok bool) {
	o := m.compiled
	return loopKind{k: max(o.StepsPerExecution, 1), jit: o.JITCompile}, o.StepsPerExecution > 1 || o.JITCompile
}

// nextName is a fresh name for a loop's operations and functions, under
// the lock.
func (l *inferenceLoops) nextName(what string) string {
	l.built++
	return fmt.Sprintf("%s_loop_%d", what, l.built)
}

// inferenceBody is a loop body's graph in the making: the layers built
// again in inference form (as the SavedModel export builds them, without
// Dropout's seed state), their variables handles that name the model's,
// and the loop's step and count.
type inferenceBody struct {
	root        *op.Scope
	step, steps tf.Output // int32 scalars: this iteration, the chunk's count
	layers      []graph.Built
}

func newInferenceBody(m *Sequential) (*inferenceBody, error) {
	root := op.NewScope()
	b := &inferenceBody{
		root:  root,
		step:  op.Placeholder(root.SubScope("loop_step"), tf.Int32, op.PlaceholderShape(tf.ScalarShape())),
		steps: op.Placeholder(root.SubScope("loop_steps"), tf.Int32, op.PlaceholderShape(tf.ScalarShape())),
	}
	builder := &graph.Builder{Root: root, Seed: m.compiled.Seed, Inference: true, Variable: b.variable}
	in := m.inputShape
	for i, layer := range m.layers {
		built, err := layer.Build(builder, in)
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i+1, err)
		}
		b.layers = append(b.layers, built)
		in = m.shapes[i]
	}
	return b, root.Err()
}

// variable is a handle of the model's variable called name: the body
// takes it as an argument, so the loop reads (and, evaluating, updates)
// the model's own variables.
func (b *inferenceBody) variable(name string, dtype tf.DataType, shape []int64) (*graph.Variable, error) {
	return graph.NewVariable(b.root, name, dtype, shape, tf.Output{})
}

// define makes the body the function called name: (step, steps, args...,
// variables...) → (step+1, steps, next..., variables...), next being
// args' values for the next iteration. With done, every result waits for
// it, so that the next iteration's updates follow this one's. resources
// are the names of the variables, in the order of their arguments.
func (b *inferenceBody) define(name string, args, next []tf.Output, done *tf.Operation) (*fpb.FunctionDef, []string, error) {
	after := b.root.SubScope("next")
	if done != nil {
		after = after.WithControlDependencies(done)
	}
	outputs := []tf.Output{
		op.AddV2(after.SubScope("step"), b.step, op.Const(b.root.SubScope("one"), int32(1))),
		op.Identity(after.SubScope("steps"), b.steps),
	}
	for i, o := range next {
		outputs = append(outputs, op.Identity(after.SubScope(fmt.Sprintf("arg%d", i)), o))
	}
	inputs := append([]tf.Output{b.step, b.steps}, args...)
	g, err := b.root.Finalize()
	if err != nil {
		return nil, nil, err
	}
	var resources []string
	for _, o := range g.Operations() {
		if o.Type() != "VarHandleOp" {
			continue
		}
		h := o.Output(0)
		inputs = append(inputs, h)
		resources = append(resources, o.Name())
		// The scope is finalized, the graph is not.
		s := op.NewScopeWithGraph(g).SubScope("next_" + o.Name())
		if done != nil {
			s = s.WithControlDependencies(done)
		}
		outputs = append(outputs, op.Identity(s, h))
	}
	sig := tffunc.Signature{Inputs: inputs, Outputs: outputs}
	if done != nil {
		sig.ControlOutputs = []*tf.Operation{done}
	}
	fdef, err := tffunc.Define(g, name, sig)
	if err != nil {
		return nil, nil, err
	}
	return fdef, resources, nil
}

// handles are the model's handles of the variables called names: the
// body's VarHandleOps have the same names and shared names.
func (n *network) handles(names []string) ([]tf.Output, error) {
	hs := make([]tf.Output, len(names))
	for i, name := range names {
		h := n.graph.Operation(name)
		if h == nil || h.Type() != "VarHandleOp" {
			return nil, fmt.Errorf("the loop uses %s, which the model does not have", name)
		}
		hs[i] = h.Output(0)
	}
	return hs, nil
}

// chunkShape adds the number of rows of x, a chunk [rows, B, ...], and
// of the batches' size: int32 scalars, values at run time and constants
// to XLA, which compiles for the shapes it is given.
func chunkShape(s *op.Scope, x tf.Output) (rows, batch tf.Output) {
	shape := op.Shape(s.SubScope("shape"), x, op.ShapeOutType(tf.Int32))
	at := func(name string, i int32) tf.Output {
		return op.StridedSlice(s.SubScope(name), shape, op.Const(s.SubScope(name+"_begin"), []int32{i}),
			op.Const(s.SubScope(name+"_end"), []int32{i + 1}), op.Const(s.SubScope(name+"_stride"), []int32{1}),
			op.StridedSliceShrinkAxisMask(1))
	}
	return at("rows", 0), at("batch", 1)
}

// chunk is a session run's share of the whole batches: batches [step,
// next), fed as rows batches, the rows after next-step zero.
type chunk struct{ step, next, rows int }

// chunks divides full whole batches into runs of size (chunkSize), the
// last one shorter. XLA compiles a program for each shape it is fed, a few
// hundred milliseconds each for the tutorial's model, several times the
// work of predicting 10,000 images: so that calls of many sizes do not
// each pay one, with jit a shorter chunk is fed as more batches, zero
// after its own, rounded up to three significant bits (at most size): at
// most four shapes per doubling of the size, for at most a quarter of
// zeros (and typically a few per cent: 312 batches are fed as 320). The
// loop runs on the chunk's own batches alone: its count is fed, not taken
// from the rows.
func (kind loopKind) chunks(full, size int) []chunk {
	var cs []chunk
	for step := 0; step < full; {
		next := min(step+size, full)
		rows := next - step
		if kind.jit && rows < size {
			rows = min(roundUpBits(rows, 3), size)
		}
		cs = append(cs, chunk{step: step, next: next, rows: rows})
		step = next
	}
	return cs
}

// maxChunkBytes bounds a chunk's examples, which a run's feed copies: with
// K an epoch's steps (1875 for the tutorial), predicting the 60,000
// training images would otherwise copy all 188 MB at once. Past a few
// megabytes a bigger chunk saves nothing: a run costs tens of
// microseconds, a chunk of 8 MiB of the tutorial's images milliseconds
// (measured: evaluation of the test set took the same time in chunks of
// 1, 2 and 8 MiB).
const maxChunkBytes = 8 << 20

// chunkSize is how many of full whole batches, of batchBytes bytes of
// examples each, a session run takes: at most K; about maxChunkBytes of
// examples; and, so that parallel runs at a time share the work, at most
// a parallel-th of the batches. With jit the size is rounded up to three
// significant bits (at most K), as chunks rounds a shorter chunk, so that
// XLA compiles few shapes whatever the data's size.
func (kind loopKind) chunkSize(full, batchBytes, parallel int) int {
	size := min(kind.k, max(maxChunkBytes/max(batchBytes, 1), 1), ceilDiv(max(full, 1), max(parallel, 1)))
	if kind.jit {
		size = min(roundUpBits(size, 3), kind.k)
	}
	return size
}

// roundUpBits is the least number ≥ n (n > 0) written with the given
// number of significant bits: 1..8, 10, 12, 14, 16, 20, 24, ... for 3.
func roundUpBits(n, significant int) int {
	shift := max(bits.Len(uint(n))-significant, 0)
	return (n + 1<<shift - 1) >> shift << shift
}

// chunkTensor is the examples of c's batches of t, batches of batch
// examples, as [c.rows, batch, example...]: one copy of them, then zeros.
func chunkTensor(t tensor.Tensor, c chunk, batch int) (*tf.Tensor, error) {
	lo, hi := c.step*batch, c.next*batch
	var (
		data  []byte
		dtype tf.DataType
	)
	switch v := t.(type) {
	case tensor.Float32:
		data, dtype = bytesOf(v.Slice(lo, hi).Data), tf.Float
	case tensor.Int32:
		data, dtype = bytesOf(v.Slice(lo, hi).Data), tf.Int32
	default:
		return nil, fmt.Errorf("data of type %T: want tensor.Int32 or tensor.Float32", t)
	}
	var r io.Reader = bytes.NewReader(data)
	if pad := len(data) / (c.next - c.step) * (c.rows - (c.next - c.step)); pad > 0 {
		r = io.MultiReader(r, &zeroReader{n: pad})
	}
	dims := append([]int64{int64(c.rows), int64(batch)}, dims64(t.Example())...)
	return tf.ReadTensor(dtype, dims, r)
}

// zeroReader reads n zero bytes.
type zeroReader struct{ n int }

func (z *zeroReader) Read(p []byte) (int, error) {
	if z.n == 0 {
		return 0, io.EOF
	}
	k := min(len(p), z.n)
	clear(p[:k])
	z.n -= k
	return k, nil
}

// stepsTensor is a chunk's count of batches, the loop's steps.
func stepsTensor(c chunk) (*tf.Tensor, error) { return tf.NewTensor(int32(c.next - c.step)) }
