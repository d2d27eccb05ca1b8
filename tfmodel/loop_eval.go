package tfmodel

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	fpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/function_go_proto"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/gokeras/fashion/graph"
	"github.com/gokeras/fashion/internal/tffunc"
	"github.com/gokeras/fashion/tensor"
)

// evalLoop evaluates the whole batches of a chunk in one session run: the
// evaluation update of the per-batch path (network.evalUpdate: the
// forward pass in inference, the loss, the metrics, added to the running
// means) as the body of a While loop over the chunk's batches. The body
// updates the model's own running means, so the per-batch path of a last
// partial batch and evalResults carry on from where the loop left them.
type evalLoop struct {
	x, y    tf.Output     // the chunk's examples and targets, [rows, B, ...]
	steps   tf.Output     // int32 scalar: how many of the rows to evaluate
	run     *tf.Operation // the loop, or the XLA-compiled call of it
	results []tf.Output   // the running means after the run: the loss, then each metric
	kind    loopKind
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
	dtypes := append([]tf.DataType{tf.Int32, tf.Int32, tf.Float, targets}, repeat(tffunc.Resource, len(handles))...)
	// addLoop adds the loop to g, with s: the updates of the first steps
	// rows of x and y.
	addLoop := func(s *op.Scope, g *tf.Graph, prefix string, steps, x, y tf.Output, handles []tf.Output, lower bool) (*tf.Operation, error) {
		first := op.Const(s.SubScope("first"), int32(0))
		if err := s.Err(); err != nil {
			return nil, err
		}
		return tffunc.AddWhile(g, tffunc.While{Name: prefix + "/while", Inputs: append([]tf.Output{first, steps, x, y}, handles...), Cond: cond, Body: body, Lowered: lower})
	}

	s := op.NewScopeWithGraph(n.graph).SubScope(name)
	l := &evalLoop{kind: kind}
	l.x = op.Placeholder(s.SubScope("x"), tf.Float, op.PlaceholderShape(tf.MakeShape(chunkDims(m.inputShape)...)))
	l.y = op.Placeholder(s.SubScope("y"), targets, op.PlaceholderShape(tf.MakeShape(chunkDims(m.targetShape(m.compiled.Loss))...)))
	l.steps = op.Placeholder(s.SubScope("steps"), tf.Int32, op.PlaceholderShape(tf.ScalarShape()))
	if !kind.jit {
		l.run, err = addLoop(s, n.graph, name, l.steps, l.x, l.y, handles, true)
	} else {
		l.run, err = tffunc.AddCompiled(n.graph, tffunc.Compiled{
			Call: name + "/call", Name: name + "_chunk",
			Inputs: append([]tf.Output{l.steps, l.x, l.y}, handles...), DTypes: dtypes[1:],
			Body: func(s *op.Scope, fg *tf.Graph, args []tf.Output) ([]tf.Output, error) {
				w, err := addLoop(s, fg, "chunk", args[0], args[1], args[2], args[3:], false)
				if err != nil {
					return nil, err
				}
				return []tf.Output{w.Output(0)}, nil
			},
			Functions: []*fpb.FunctionDef{cond, body},
		})
	}
	if err != nil {
		return nil, fmt.Errorf("evaluation loop: %w", err)
	}
	// The running means, read after the loop as evalResults reads them.
	for _, mean := range n.names {
		h, err := n.handles([]string{meanVar(mean, "total"), meanVar(mean, "count")})
		if err != nil {
			return nil, fmt.Errorf("evaluation loop: %w", err)
		}
		read := &graph.Mean{Total: &graph.Variable{Handle: h[0]}, Count: &graph.Variable{Handle: h[1]}}
		l.results = append(l.results, read.Read(s, l.run))
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("evaluation loop: %w", err)
	}
	return l, nil
}

// meanVar is the name of a variable of the running mean of evaluation
// called name (graph.NewMean's, from build's newMeans with "eval_").
func meanVar(name, part string) string { return "metrics/eval_" + name + "/" + part }

// evalBody is the evaluation loop's body, name_body: (step, steps, x, y,
// variables...) → (step+1, steps, x, y, variables...) after the
// evaluation update of the batch x[step], y[step], build's: the forward
// pass in inference, the loss and metrics added to the running means.
// cond is its condition, name_cond; resources are the names of the
// variables, the layers' and the running means'.
func (n *network) evalBody(m *Sequential, name string) (body, cond *fpb.FunctionDef, resources []string, err error) {
	b, err := newInferenceBody(m)
	if err != nil {
		return nil, nil, nil, err
	}
	loss := m.compiled.Loss
	targetShape := m.targetShape(loss)
	x := op.Placeholder(b.root.SubScope("loop_x"), tf.Float, op.PlaceholderShape(tf.MakeShape(chunkDims(m.inputShape)...)))
	y := op.Placeholder(b.root.SubScope("loop_y"), n.dataY.DType, op.PlaceholderShape(tf.MakeShape(chunkDims(targetShape)...)))
	// The means' variables are made, initial values and all, as build
	// makes them; the function keeps only their handles.
	means, err := newMeans(b.root, "eval_", n.names)
	if err != nil {
		return nil, nil, nil, err
	}
	s := b.root.SubScope("evaluate")
	axis := op.Const(s.SubScope("batch_axis"), int32(0))
	xb := op.GatherV2(s.SubScope("batch_x"), x, b.step, axis)
	yb := op.GatherV2(s.SubScope("batch_y"), y, b.step, axis)
	pred := forwardPass(b.root.SubScope("predict"), b.layers, xb, false)
	batchLoss := loss.Compute(s, yb, pred)
	updates, _ := updateMetrics(s, means, batchLoss.Mean, m.metrics, pred.Out, yb, tensor.Size(targetShape))
	done := op.NoOp(s.WithControlDependencies(updates...).SubScope("update"))
	if err := b.root.Err(); err != nil {
		return nil, nil, nil, err
	}
	body, resources, err = b.define(name+"_body", []tf.Output{x, y}, []tf.Output{x, y}, done)
	if err != nil {
		return nil, nil, nil, err
	}
	dtypes := append([]tf.DataType{tf.Int32, tf.Int32, tf.Float, n.dataY.DType}, repeat(tffunc.Resource, len(resources))...)
	cond, err = loopCondition(name+"_cond", dtypes)
	if err != nil {
		return nil, nil, nil, err
	}
	return body, cond, resources, nil
}

// evaluateChunks is Evaluate's loop over x and y in chunks of whole
// batches (chunkSize), one session run each; a last partial batch
// takes the per-batch path. The running means must have been reset. The
// progress bar hears of each chunk's last batch, as Fit's does.
func (m *Sequential) evaluateChunks(loop *evalLoop, x tensor.Float32, y tensor.Tensor, batchSize int, bar *progbar) (Logs, error) {
	n := x.Len()
	full, steps := n/batchSize, ceilDiv(n, batchSize)
	var logs Logs
	// One run at a time: every run updates the running means.
	size := loop.kind.chunkSize(full, 4*batchSize*tensor.Size(x.Example()), 1)
	for _, ch := range loop.kind.chunks(full, size) {
		feeds, err := loop.feeds(x, y, ch, batchSize)
		if err != nil {
			return nil, fmt.Errorf("tfmodel: evaluate: batches %d-%d: %w", ch.step+1, ch.next, err)
		}
		// The means are read in the same run, when they are wanted.
		var out []*tf.Tensor
		if bar.wants(ch.next) || ch.next == steps {
			out, err = m.session.Run(feeds, loop.results, nil)
		} else {
			_, err = m.session.Run(feeds, nil, []*tf.Operation{loop.run})
		}
		releaseFeeds(feeds)
		if err != nil {
			return nil, fmt.Errorf("tfmodel: evaluate: batches %d-%d: %w", ch.step+1, ch.next, err)
		}
		if out != nil {
			logs = m.net.logs(out)
			bar.update(ch.next, logs)
		}
	}
	if lo := full * batchSize; lo < n {
		if err := m.evalBatch(x, y, lo, n); err != nil {
			return nil, fmt.Errorf("tfmodel: evaluate: batch %d: %w", steps, err)
		}
		var err error
		if logs, err = m.evalResult(); err != nil {
			return nil, err
		}
		bar.update(steps, logs)
	}
	return logs, nil
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
