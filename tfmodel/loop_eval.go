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

// evalLoop evaluates the whole batches of a chunk in one session run: the
// evaluation of the per-batch path (network.evalTerms: the forward pass in
// inference, the loss, the metrics) as the body of a While loop over the
// chunk's batches, each batch's terms, what it adds to the running means,
// written to a TensorList and stacked after the loop. Nothing in the model
// changes, so several chunks run at once, and Evaluate adds their terms up
// in the batches' order, as it does the per-batch path's.
type evalLoop struct {
	x, y  tf.Output // the chunk's examples and targets, [rows, B, ...]
	steps tf.Output // int32 scalar: how many of the rows to evaluate
	terms tf.Output // float32 [rows, len(evalTerms)]: each batch's terms, the rows after steps zero
	kind  loopKind
}

// evaluationLoop returns the model's evaluation loop of kind, building it
// on first use.
func (m *Sequential) evaluationLoop(kind loopKind) (*evalLoop, error) {
	loops := &m.net.infer
	loops.mu.Lock()
	defer loops.mu.Unlock()
	if l := loops.eval[kind]; l != nil {
		return l, nil
	}
	l, err := m.net.buildEvalLoop(m, loops.nextName("evaluate"), kind)
	if err != nil {
		return nil, err
	}
	if loops.eval == nil {
		loops.eval = map[loopKind]*evalLoop{}
	}
	loops.eval[kind] = l
	return l, nil
}

// buildEvalLoop adds the evaluation loop to n's graph, its operations and
// functions named after name: the graph already has a session, which
// picks them up on its next run. With kind.jit the loop is a function XLA
// compiles whole; XLA fuses and reorders the arithmetic, so the loss and
// metrics differ from the per-batch path's in the last bits.
func (n *network) buildEvalLoop(m *Sequential, name string, kind loopKind) (*evalLoop, error) {
	if kind.k < 1 {
		return nil, fmt.Errorf("evaluation loop: %d steps per run", kind.k)
	}
	body, cond, resources, err := n.evalBody(m, name)
	if err != nil {
		return nil, fmt.Errorf("evaluation loop: %w", err)
	}
	handles, err := n.handles(resources)
	if err != nil {
		return nil, fmt.Errorf("evaluation loop: %w", err)
	}
	targets := n.dataY.DType
	nTerms := int32(len(n.evalTerms))
	// The compiled function's arguments: steps, x, y, the variables.
	dtypes := append([]tf.DataType{tf.Int32, tf.Float, targets}, repeat(tffunc.Resource, len(handles))...)
	// addLoop adds the loop to g, with s: the terms of the first steps
	// rows of x and y, stacked.
	addLoop := func(s *op.Scope, g *tf.Graph, prefix string, steps, x, y tf.Output, handles []tf.Output, lower bool) (tf.Output, error) {
		rows, _ := chunkShape(s, x)
		element := op.Const(s.SubScope("element_shape"), []int32{nTerms})
		list := op.TensorListReserve(s.SubScope("terms"), element, rows, tf.Float)
		first := op.Const(s.SubScope("first"), int32(0))
		if err := s.Err(); err != nil {
			return tf.Output{}, err
		}
		loop, err := tffunc.AddWhile(g, tffunc.While{Name: prefix + "/while", Inputs: append([]tf.Output{first, steps, x, y, list}, handles...), Cond: cond, Body: body, Lowered: lower})
		if err != nil {
			return tf.Output{}, err
		}
		out := op.TensorListStack(s.SubScope("stack"), loop.Output(4), element, tf.Float)
		return out, s.Err()
	}

	s := op.NewScopeWithGraph(n.graph).SubScope(name)
	l := &evalLoop{kind: kind}
	l.x = op.Placeholder(s.SubScope("x"), tf.Float, op.PlaceholderShape(tf.MakeShape(chunkDims(m.inputShape)...)))
	l.y = op.Placeholder(s.SubScope("y"), targets, op.PlaceholderShape(tf.MakeShape(chunkDims(m.targetShape(m.compiled.Loss))...)))
	l.steps = op.Placeholder(s.SubScope("steps"), tf.Int32, op.PlaceholderShape(tf.ScalarShape()))
	if !kind.jit {
		l.terms, err = addLoop(s, n.graph, name, l.steps, l.x, l.y, handles, true)
	} else {
		var call *tf.Operation
		call, err = tffunc.AddCompiled(n.graph, tffunc.Compiled{
			Call: name + "/call", Name: name + "_chunk",
			Inputs: append([]tf.Output{l.steps, l.x, l.y}, handles...), DTypes: dtypes,
			Body: func(s *op.Scope, fg *tf.Graph, args []tf.Output) ([]tf.Output, error) {
				out, err := addLoop(s, fg, "chunk", args[0], args[1], args[2], args[3:], false)
				return []tf.Output{out}, err
			},
			Functions: []*fpb.FunctionDef{cond, body},
		})
		if err == nil {
			l.terms = call.Output(0)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("evaluation loop: %w", err)
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("evaluation loop: %w", err)
	}
	return l, nil
}

// evalBody is the evaluation loop's body, name_body: (step, steps, x, y,
// list, variables...) → (step+1, steps, x, y, list', variables...), list'
// being list with item step set to the terms of the batch x[step],
// y[step] (network.evalTerms'): the forward pass in inference, the loss's
// and each metric's sum, then N. cond is its condition, name_cond;
// resources are the names of the variables.
func (n *network) evalBody(m *Sequential, name string) (body, cond *fpb.FunctionDef, resources []string, err error) {
	b, err := newInferenceBody(m)
	if err != nil {
		return nil, nil, nil, err
	}
	loss := m.compiled.Loss
	targetShape := m.targetShape(loss)
	x := op.Placeholder(b.root.SubScope("loop_x"), tf.Float, op.PlaceholderShape(tf.MakeShape(chunkDims(m.inputShape)...)))
	y := op.Placeholder(b.root.SubScope("loop_y"), n.dataY.DType, op.PlaceholderShape(tf.MakeShape(chunkDims(targetShape)...)))
	list := op.Placeholder(b.root.SubScope("loop_list"), variant, op.PlaceholderShape(tf.ScalarShape()))
	s := b.root.SubScope("evaluate")
	axis := op.Const(s.SubScope("batch_axis"), int32(0))
	xb := op.GatherV2(s.SubScope("batch_x"), x, b.step, axis)
	yb := op.GatherV2(s.SubScope("batch_y"), y, b.step, axis)
	pred := forwardPass(b.root.SubScope("predict"), b.layers, xb, false)
	batchLoss := loss.Compute(s, yb, pred)
	terms := metricTerms(s, batchLoss.Mean, m.metrics, pred.Out, yb, tensor.Size(targetShape))
	written := op.TensorListSetItem(s.SubScope("write"), list, b.step, op.Pack(s.SubScope("terms"), terms))
	if err := b.root.Err(); err != nil {
		return nil, nil, nil, err
	}
	body, resources, err = b.define(name+"_body", []tf.Output{x, y, list}, []tf.Output{x, y, written}, nil)
	if err != nil {
		return nil, nil, nil, err
	}
	dtypes := append([]tf.DataType{tf.Int32, tf.Int32, tf.Float, n.dataY.DType, variant}, repeat(tffunc.Resource, len(resources))...)
	cond, err = loopCondition(name+"_cond", dtypes)
	if err != nil {
		return nil, nil, nil, err
	}
	return body, cond, resources, nil
}

// evaluateChunks is Evaluate's loop over x and y in chunks of whole
// batches (chunkSize), in.runs runs of in's session at a time; a last
// partial batch takes the per-batch path. The batches' terms are added up
// in the batches' order, in float32, as evaluateBatches adds them: with
// the loop run by the executor, the bits of the per-batch path. The
// progress bar hears of each chunk's last batch, as Fit's does.
func (m *Sequential) evaluateChunks(in inference, loop *evalLoop, x tensor.Float32, y tensor.Tensor, batchSize int, bar *progbar) (Logs, error) {
	n := x.Len()
	full, steps := n/batchSize, ceilDiv(n, batchSize)
	parallel := in.runs
	chunks := loop.kind.chunks(full, loop.kind.chunkSize(full, 4*batchSize*tensor.Size(x.Example()), parallel))
	sums := make([]float32, len(m.net.evalTerms)) // each mean's total, then the count
	var logs Logs
	for first := 0; first < len(chunks); first += parallel {
		group := chunks[first:min(first+parallel, len(chunks))]
		terms := make([][]float32, len(group))
		err := in.each(len(group), func(i int) error {
			t, err := m.evaluateChunk(in.session, loop, x, y, group[i], batchSize, len(sums))
			terms[i] = t
			return err
		})
		if err != nil {
			return nil, err
		}
		for i, t := range terms {
			ch := group[i]
			for row := range ch.next - ch.step {
				addTerms(sums, t[row*len(sums):])
			}
			if bar.wants(ch.next) || ch.next == steps {
				logs = m.net.meanLogs(sums)
				bar.update(ch.next, logs)
			}
		}
	}
	if lo := full * batchSize; lo < n {
		t, err := m.evalBatchTerms(in.session, x, y, lo, n)
		if err != nil {
			return nil, fmt.Errorf("tfmodel: evaluate: batch %d: %w", steps, err)
		}
		addTerms(sums, t)
		logs = m.net.meanLogs(sums)
		bar.update(steps, logs)
	}
	return logs, nil
}

// evaluateChunk evaluates chunk ch of x and y in one run of session and
// returns its batches' terms, nTerms a batch, batch after batch.
func (m *Sequential) evaluateChunk(session *tf.Session, loop *evalLoop, x tensor.Float32, y tensor.Tensor, ch chunk, batchSize, nTerms int) ([]float32, error) {
	fail := func(err error) ([]float32, error) {
		return nil, fmt.Errorf("tfmodel: evaluate: batches %d-%d: %w", ch.step+1, ch.next, err)
	}
	feeds, err := loop.feeds(x, y, ch, batchSize)
	if err != nil {
		return fail(err)
	}
	out, err := session.Run(feeds, []tf.Output{loop.terms}, nil)
	releaseFeeds(feeds)
	if err != nil {
		return fail(err)
	}
	defer tfrelease.Release(out[0])
	t := make([]float32, ch.rows*nTerms)
	if err := copyFloat32s(t, out[0]); err != nil {
		return fail(err)
	}
	return t, nil
}

// feeds are the loop's feeds for chunk c of x and y.
func (l *evalLoop) feeds(x tensor.Float32, y tensor.Tensor, c chunk, batchSize int) (map[tf.Output]*tf.Tensor, error) {
	xs, err := chunkTensor(x, c, batchSize)
	if err != nil {
		return nil, err
	}
	ys, err := chunkTensor(y, c, batchSize)
	if err != nil {
		return nil, err
	}
	steps, err := stepsTensor(c)
	if err != nil {
		return nil, err
	}
	return map[tf.Output]*tf.Tensor{l.x: xs, l.y: ys, l.steps: steps}, nil
}
