package tfmodel

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	fpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/function_go_proto"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/gokeras/fashion/internal/tffunc"
	"github.com/gokeras/fashion/internal/tfrelease"
	"github.com/gokeras/fashion/tensor"
)

// variant is DT_VARIANT (TF_VARIANT), which the Go bindings do not name:
// the dtype of a TensorList.
const variant tf.DataType = 21

// predictLoop predicts the whole batches of a chunk in one session run:
// the forward pass of the per-batch path (network.outputs) as the body of
// a While loop over the chunk's batches, each batch's outputs written to a
// TensorList (what tf.TensorArray is in TF 2), stacked after the loop.
type predictLoop struct {
	x       tf.Output // float32 [rows, B, input...]: the chunk's examples
	steps   tf.Output // int32 scalar: how many of the rows to predict
	outputs tf.Output // float32 [steps, B, output...]
	kind    loopKind
}

// predictionLoop returns the model's prediction loop of kind, building it
// on first use.
func (m *Sequential) predictionLoop(kind loopKind) (*predictLoop, error) {
	loops := &m.net.infer
	loops.mu.Lock()
	defer loops.mu.Unlock()
	if l := loops.predict[kind]; l != nil {
		return l, nil
	}
	l, err := m.net.buildPredictLoop(m, loops.nextName("predict"), kind)
	if err != nil {
		return nil, err
	}
	if loops.predict == nil {
		loops.predict = map[loopKind]*predictLoop{}
	}
	loops.predict[kind] = l
	return l, nil
}

// buildPredictLoop adds the prediction loop to n's graph, its operations
// and functions named after name: the graph already has a session, which
// picks them up on its next run. With kind.jit the loop and the
// TensorList around it are a function XLA compiles whole; XLA fuses and
// reorders the arithmetic, so its outputs differ from the per-batch
// path's in the last bits.
func (n *network) buildPredictLoop(m *Sequential, name string, kind loopKind) (*predictLoop, error) {
	if kind.k < 1 {
		return nil, fmt.Errorf("prediction loop: %d steps per run", kind.k)
	}
	body, cond, resources, err := predictBody(m, name)
	if err != nil {
		return nil, fmt.Errorf("prediction loop: %w", err)
	}
	handles, err := n.handles(resources)
	if err != nil {
		return nil, fmt.Errorf("prediction loop: %w", err)
	}
	outDims := m.OutputShape()
	// addChunk adds the loop to g, with s: the outputs of the first
	// steps rows of x.
	addChunk := func(s *op.Scope, g *tf.Graph, prefix string, steps, x tf.Output, handles []tf.Output, lower bool) (tf.Output, error) {
		rows, batch := chunkShape(s, x)
		// Each element is a batch's outputs, [B, output...]: a shape XLA
		// knows when it compiles, so the list is a buffer it allocates.
		dims := make([]int32, len(outDims))
		for i, d := range outDims {
			dims[i] = int32(d)
		}
		element := op.ConcatV2(s.SubScope("element_shape"), []tf.Output{
			op.Reshape(s.SubScope("batch_dim"), batch, op.Const(s.SubScope("one_dim"), []int32{1})),
			op.Const(s.SubScope("output_dims"), dims),
		}, op.Const(s.SubScope("concat_axis"), int32(0)))
		list := op.TensorListReserve(s.SubScope("outputs"), element, rows, tf.Float)
		first := op.Const(s.SubScope("first"), int32(0))
		if err := s.Err(); err != nil {
			return tf.Output{}, err
		}
		loop, err := tffunc.AddWhile(g, tffunc.While{Name: prefix + "/while", Inputs: append([]tf.Output{first, steps, x, list}, handles...), Cond: cond, Body: body, Lowered: lower})
		if err != nil {
			return tf.Output{}, err
		}
		out := op.TensorListStack(s.SubScope("stack"), loop.Output(3), element, tf.Float)
		return out, s.Err()
	}

	s := op.NewScopeWithGraph(n.graph).SubScope(name)
	l := &predictLoop{kind: kind}
	l.x = op.Placeholder(s.SubScope("x"), tf.Float, op.PlaceholderShape(tf.MakeShape(chunkDims(m.inputShape)...)))
	l.steps = op.Placeholder(s.SubScope("steps"), tf.Int32, op.PlaceholderShape(tf.ScalarShape()))
	var stacked tf.Output
	if !kind.jit {
		stacked, err = addChunk(s, n.graph, name, l.steps, l.x, handles, true)
	} else {
		dtypes := append([]tf.DataType{tf.Int32, tf.Float}, repeat(tffunc.Resource, len(handles))...)
		var call *tf.Operation
		call, err = tffunc.AddCompiled(n.graph, tffunc.Compiled{
			Call: name + "/call", Name: name + "_chunk",
			Inputs: append([]tf.Output{l.steps, l.x}, handles...), DTypes: dtypes,
			Body: func(s *op.Scope, fg *tf.Graph, args []tf.Output) ([]tf.Output, error) {
				out, err := addChunk(s, fg, "chunk", args[0], args[1], args[2:], false)
				return []tf.Output{out}, err
			},
			Functions: []*fpb.FunctionDef{cond, body},
		})
		if err == nil {
			stacked = call.Output(0)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("prediction loop: %w", err)
	}
	// The rows predicted: all of them, but for XLA's padding (chunks).
	begin := make([]int32, len(outDims)+2)
	size := op.ConcatV2(s.SubScope("size"), []tf.Output{
		op.Reshape(s.SubScope("steps_dim"), l.steps, op.Const(s.SubScope("one_dim"), []int32{1})),
		op.Const(s.SubScope("whole"), repeat(int32(-1), len(outDims)+1)),
	}, op.Const(s.SubScope("size_axis"), int32(0)))
	l.outputs = op.Slice(s.SubScope("predicted"), stacked, op.Const(s.SubScope("begin"), begin), size)
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("prediction loop: %w", err)
	}
	return l, nil
}

// predictBody is the prediction loop's body, name_body: (step, steps, x,
// list, variables...) → (step+1, steps, x, list', variables...), list'
// being list with item step set to the forward pass of the batch x[step],
// in inference (network.forward's, training false), as the per-batch
// path's forward pass of a fed batch. cond is its condition, name_cond;
// resources are the names of the variables.
func predictBody(m *Sequential, name string) (body, cond *fpb.FunctionDef, resources []string, err error) {
	b, err := newInferenceBody(m)
	if err != nil {
		return nil, nil, nil, err
	}
	x := op.Placeholder(b.root.SubScope("loop_x"), tf.Float, op.PlaceholderShape(tf.MakeShape(chunkDims(m.inputShape)...)))
	list := op.Placeholder(b.root.SubScope("loop_list"), variant, op.PlaceholderShape(tf.ScalarShape()))
	s := b.root.SubScope("predict")
	batch := op.GatherV2(s.SubScope("batch"), x, b.step, op.Const(s.SubScope("batch_axis"), int32(0)))
	pred := forwardPass(s, b.layers, batch, false)
	written := op.TensorListSetItem(s.SubScope("write"), list, b.step, pred.Out)
	if err := s.Err(); err != nil {
		return nil, nil, nil, err
	}
	body, resources, err = b.define(name+"_body", []tf.Output{x, list}, []tf.Output{x, written}, nil)
	if err != nil {
		return nil, nil, nil, err
	}
	dtypes := append([]tf.DataType{tf.Int32, tf.Int32, tf.Float, variant}, repeat(tffunc.Resource, len(resources))...)
	cond, err = loopCondition(name+"_cond", dtypes)
	if err != nil {
		return nil, nil, nil, err
	}
	return body, cond, resources, nil
}

// predictChunks is Predict's loop over x in chunks of whole batches
// (chunkSize), one run of in's session each, into out, in.runs of them at
// a time; a last partial batch takes the per-batch path. Each chunk's
// outputs are computed as in a run alone.
func (m *Sequential) predictChunks(in inference, loop *predictLoop, x tensor.Float32, batchSize int, out []float32) error {
	n := x.Len()
	full := n / batchSize
	chunks := loop.kind.chunks(full, loop.kind.chunkSize(full, 4*batchSize*tensor.Size(x.Example()), in.runs))
	err := in.each(len(chunks), func(i int) error {
		return m.predictChunk(in.session, loop, x, chunks[i], batchSize, out)
	})
	if err != nil {
		return err
	}
	if lo := full * batchSize; lo < n {
		if err := m.predictBatch(in.session, x, lo, n, out); err != nil {
			return fmt.Errorf("tfmodel: predict: batch %d: %w", full+1, err)
		}
	}
	return nil
}

// predictChunk predicts chunk ch of x in one run of session, into its rows
// of out.
func (m *Sequential) predictChunk(session *tf.Session, loop *predictLoop, x tensor.Float32, ch chunk, batchSize int, out []float32) error {
	c := tensor.Size(m.OutputShape())
	xs, err := chunkTensor(x, ch, batchSize)
	if err != nil {
		return fmt.Errorf("tfmodel: predict: batches %d-%d: %w", ch.step+1, ch.next, err)
	}
	steps, err := stepsTensor(ch)
	if err != nil {
		return fmt.Errorf("tfmodel: predict: batches %d-%d: %w", ch.step+1, ch.next, err)
	}
	res, err := session.Run(map[tf.Output]*tf.Tensor{loop.x: xs, loop.steps: steps}, []tf.Output{loop.outputs}, nil)
	tfrelease.Release(xs, steps)
	if err != nil {
		return fmt.Errorf("tfmodel: predict: batches %d-%d: %w", ch.step+1, ch.next, err)
	}
	defer tfrelease.Release(res[0])
	if err := copyFloat32s(out[ch.step*batchSize*c:ch.next*batchSize*c], res[0]); err != nil {
		return fmt.Errorf("tfmodel: predict: batches %d-%d: %w", ch.step+1, ch.next, err)
	}
	return nil
}

// chunkDims is the TensorFlow shape of a chunk of batches of examples of
// shape example: [rows, B, example...].
func chunkDims(example []int) []int64 {
	return append([]int64{-1}, batchDims(example)...)
}
