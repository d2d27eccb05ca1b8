package tfmodel

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	fpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/function_go_proto"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/gokeras/fashion/graph"
	"github.com/gokeras/fashion/internal/tffunc"
)

// trainLoop trains several steps in one session run: the training step
// as the body of a graph While loop over the rows of a fed [K, B] tensor
// of batch indices. A session run costs about 0.5 ms of executor
// scheduling for this model's step, about what its arithmetic costs; the
// loop pays the run once per K steps, and compiled by XLA (jit) it pays
// no per-op scheduling at all.
//
// The body is the step buildTraining adds (addTrainStep), built again in a
// graph of its own from the same layers, loss, metrics and optimizer:
// every variable it touches (weights, the optimizer's state, the running
// means, the layers' state) is a resource argument, so the loop updates
// the model's own variables, and the per-step path, checkpoints and
// exports see what it did.
//
// The run's examples are gathered from the resident data before the loop,
// all K batches at once, by TensorFlow's own Gather kernel (a copy of
// whole rows), and each step slices its batch out of them. XLA's gather
// inside the loop copies element by element: for the tutorial's batch of
// 32 images it took about 30 µs of a 170 µs step. The price is memory:
// the run's K×B examples once more while it runs (as bytes when they
// are resident as bytes, scaledBytes: the gather and the batch's slice
// then move a quarter of the memory).
//
// The loop is built twice, over the resident examples as floats and over
// their bytes (see scaledBytes): a function's arguments have one type.
// Both take the same fed indices; a Fit runs the one its data needs, and
// XLA compiles only what runs.
type trainLoop struct {
	indices       tf.Output // int32 [K, B]: row k is step k's batch
	steps         tf.Output // int32 scalar: how many of the rows to train on
	floats, bytes loopOver  // the loop over dataX, and over dataBytes
	k             int       // steps per run (chunks end on multiples of k)
	jit           bool
}

// loopOver is the loop over one of the resident variables of examples.
type loopOver struct {
	run     *tf.Operation // the loop, or the XLA-compiled call of it
	results []tf.Output   // the running means after the run: the loss, then each metric
}

// over is the loop over the examples as the Fit holds them.
func (l *trainLoop) over(asBytes bool) loopOver {
	if asBytes {
		return l.bytes
	}
	return l.floats
}

// Function and node names of the loop in the model's graph.
const (
	loopScope = "train_loop"
	loopBody  = "train_loop_body"
	loopCond  = "train_loop_cond"
	loopChunk = "train_loop_chunk"
)

// buildTrainLoop adds the training loop of k steps per run to n's graph,
// after build: the graph may already have a session, which picks the new
// operations up on its next run. With jit the loop is a function XLA
// compiles whole (_XlaMustCompile, as tf.function(jit_compile=True)); XLA
// fuses and reorders the arithmetic, so its results differ from the
// step's in the last bits.
func (n *network) buildTrainLoop(m *Sequential, opts CompileOptions, metrics []graph.Metric, k int, jit bool) (*trainLoop, error) {
	if k < 1 {
		return nil, fmt.Errorf("training loop: %d steps per run", k)
	}
	s := op.NewScopeWithGraph(n.graph).SubScope(loopScope)
	l := &trainLoop{k: k, jit: jit}
	l.indices = op.Placeholder(s.SubScope("indices"), tf.Int32, op.PlaceholderShape(tf.MakeShape(-1, -1)))
	l.steps = op.Placeholder(s.SubScope("steps"), tf.Int32, op.PlaceholderShape(tf.ScalarShape()))
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("training loop: %w", err)
	}
	var err error
	if l.floats, err = n.buildLoopOver(m, opts, metrics, l, n.dataX, ""); err != nil {
		return nil, fmt.Errorf("training loop: %w", err)
	}
	if l.bytes, err = n.buildLoopOver(m, opts, metrics, l, n.dataBytes, "_bytes"); err != nil {
		return nil, fmt.Errorf("training loop over bytes: %w", err)
	}
	return l, nil
}

// buildLoopOver adds l's loop over the resident examples data (dataX or
// dataBytes), its functions' and operations' names ending in suffix.
func (n *network) buildLoopOver(m *Sequential, opts CompileOptions, metrics []graph.Metric, l *trainLoop, data *graph.Variable, suffix string) (loopOver, error) {
	var over loopOver
	body, resources, err := n.loopBody(m, opts, metrics, data.DType, loopBody+suffix)
	if err != nil {
		return over, err
	}
	// The model's handles of the variables the body takes, by name: the
	// body's VarHandleOps have the same names and shared names.
	handles := make([]tf.Output, len(resources))
	for i, name := range resources {
		h := n.graph.Operation(name)
		if h == nil || h.Type() != "VarHandleOp" {
			return over, fmt.Errorf("the step uses %s, which the model does not have", name)
		}
		handles[i] = h.Output(0)
	}
	dtypes := []tf.DataType{tf.Int32, tf.Int32, data.DType, n.dataY.DType}
	if data.DType == tf.Uint8 {
		dtypes = append(dtypes, tf.Float) // the divisor
	}
	dtypes = append(dtypes, repeat(tffunc.Resource, len(resources))...)
	cond, err := loopCondition(loopCond+suffix, dtypes)
	if err != nil {
		return over, err
	}

	s := op.NewScopeWithGraph(n.graph).SubScope(loopScope + suffix)
	// [K, B, example...]: row k is step k's batch.
	examples := op.ResourceGather(s.SubScope("examples"), data.Handle, l.indices, data.DType)
	targets := op.ResourceGather(s.SubScope("targets"), n.dataY.Handle, l.indices, n.dataY.DType)
	inputs := []tf.Output{op.Const(s.SubScope("first"), int32(0)), l.steps, examples, targets}
	if data.DType == tf.Uint8 {
		inputs = append(inputs, byteDivisor(s.SubScope("divisor")))
	}
	inputs = append(inputs, handles...)
	if err := s.Err(); err != nil {
		return over, err
	}
	if !l.jit {
		over.run, err = tffunc.AddWhile(n.graph, tffunc.While{Name: loopScope + suffix + "/while", Inputs: inputs, Cond: cond, Body: body, Lowered: true})
	} else {
		over.run, err = addCompiledWhile(n.graph, loopScope+suffix+"/call", loopChunk+suffix, inputs, dtypes, cond, body)
	}
	if err != nil {
		return over, err
	}
	for _, mean := range n.trainMetrics {
		over.results = append(over.results, mean.Read(s, over.run))
	}
	return over, s.Err()
}

// loopBody is the While loop's body, the function name: (step, steps,
// examples, targets, variables...) → (step+1, steps, examples, targets,
// variables...) after one training step on the batch examples[step],
// targets[step], addTrainStep as buildTraining's. Examples of
// examplesDType uint8 are bytes (scaledBytes), and the divisor
// decodeBytes divides them by comes after targets. resources are the
// names of the variables, in the order of the last arguments.
func (n *network) loopBody(m *Sequential, opts CompileOptions, metrics []graph.Metric, examplesDType tf.DataType, name string) (*fpb.FunctionDef, []string, error) {
	root := op.NewScope()
	step := op.Placeholder(root.SubScope("loop_step"), tf.Int32, op.PlaceholderShape(tf.ScalarShape()))
	steps := op.Placeholder(root.SubScope("loop_steps"), tf.Int32, op.PlaceholderShape(tf.ScalarShape()))
	examples := op.Placeholder(root.SubScope("loop_examples"), examplesDType, op.PlaceholderShape(tf.MakeShape(append([]int64{-1}, n.dataX.Shape...)...)))
	targets := op.Placeholder(root.SubScope("loop_targets"), n.dataY.DType, op.PlaceholderShape(tf.MakeShape(append([]int64{-1}, n.dataY.Shape...)...)))
	variable := func(name string, dtype tf.DataType, shape []int64) (*graph.Variable, error) {
		return graph.NewVariable(root, name, dtype, shape, tf.Output{})
	}
	// The layers again, their variables made as handles of the model's:
	// Build's initial values are not used.
	b := &graph.Builder{Root: root, Seed: opts.Seed, Variable: variable}
	var layers []graph.Built
	var weights []*graph.Variable
	in := m.inputShape
	for i, layer := range m.layers {
		built, err := layer.Build(b, in)
		if err != nil {
			return nil, nil, fmt.Errorf("layer %d: %w", i+1, err)
		}
		layers = append(layers, built)
		weights = append(weights, built.Weights()...)
		in = m.shapes[i]
	}

	// buildTraining's step on the run's batch of this step: a gather of
	// one index, which XLA compiles as a slice.
	s := root.SubScope("train")
	axis := op.Const(s.SubScope("batch_axis"), int32(0))
	x := op.GatherV2(s.SubScope("batch_examples"), examples, step, axis)
	var divisor tf.Output // examples of bytes: byteDivisor's, an argument so that XLA does not see the constant
	if examplesDType == tf.Uint8 {
		divisor = op.Placeholder(root.SubScope("loop_divisor"), tf.Float, op.PlaceholderShape(tf.ScalarShape()))
		x = decodeBytes(s.SubScope("decode"), x, divisor)
	}
	y := op.GatherV2(s.SubScope("batch_targets"), targets, step, axis)
	st, err := addTrainStep(root, s, m, opts, metrics, n.names, stepInputs{layers: layers, weights: weights, x: x, y: y})
	if err != nil {
		return nil, nil, err
	}
	done := st.done

	// Every result waits for the step, so that the next iteration reads
	// the variables after this one updated them: its handles and batch
	// come from these results.
	after := root.SubScope("next").WithControlDependencies(done)
	outputs := []tf.Output{
		op.AddV2(after.SubScope("step"), step, op.Const(root.SubScope("one"), int32(1))),
		op.Identity(after.SubScope("steps"), steps),
		op.Identity(after.SubScope("examples"), examples),
		op.Identity(after.SubScope("targets"), targets),
	}
	inputs := []tf.Output{step, steps, examples, targets}
	if divisor.Op != nil {
		inputs = append(inputs, divisor)
		outputs = append(outputs, op.Identity(after.SubScope("divisor"), divisor))
	}
	var resources []string
	g, err := root.Finalize()
	if err != nil {
		return nil, nil, err
	}
	for _, o := range g.Operations() {
		if o.Type() != "VarHandleOp" {
			continue
		}
		h := o.Output(0)
		inputs = append(inputs, h)
		resources = append(resources, o.Name())
		// Adding to the finalized graph: the scope is done, the graph
		// is not.
		outputs = append(outputs, identityAfter(g, o.Name(), h, done))
	}
	fdef, err := tffunc.Define(g, name, tffunc.Signature{Inputs: inputs, Outputs: outputs, ControlOutputs: []*tf.Operation{done}})
	if err != nil {
		return nil, nil, err
	}
	return fdef, resources, nil
}

// identityAfter adds Identity(h), run after done, to g.
func identityAfter(g *tf.Graph, name string, h tf.Output, done *tf.Operation) tf.Output {
	s := op.NewScopeWithGraph(g).SubScope("next_" + name).WithControlDependencies(done)
	return op.Identity(s, h)
}

// loopCondition is the While loop's condition, the function name, on
// (step, steps, ...): step < steps. The count is a value, not the number
// of the fed batches: XLA would know that number when it compiles, and it
// compiles a loop it knows runs once differently (it inlines the body),
// which changes the last bits. So every chunk computes alike however
// many steps it has, and a run resumed on other chunk boundaries is as
// exact as the uninterrupted one.
func loopCondition(name string, dtypes []tf.DataType) (*fpb.FunctionDef, error) {
	s := op.NewScope()
	inputs := tffunc.Placeholders(s, dtypes)
	less := op.Less(s.SubScope("less"), inputs[0], inputs[1])
	g, err := s.Finalize()
	if err != nil {
		return nil, err
	}
	return tffunc.Define(g, name, tffunc.Signature{Inputs: inputs, Outputs: []tf.Output{less}})
}

// addCompiledWhile adds the While loop of cond and body inside a function
// XLA compiles whole, function, and the call of it, name: the While is
// the function's body (tffunc.AddCompiled). The While is not lowered (XLA
// compiles only the functional While). The function's result is the
// loop's last step: tffunc.Define keeps only what computes a result, and
// the running means' reads wait for the call. Its name, "steps", is part
// of the function's definition in the graph.
func addCompiledWhile(g *tf.Graph, name, function string, inputs []tf.Output, dtypes []tf.DataType, cond, body *fpb.FunctionDef) (*tf.Operation, error) {
	addLoop := func(_ *op.Scope, fg *tf.Graph, args []tf.Output) ([]tf.Output, error) {
		loop, err := tffunc.AddWhile(fg, tffunc.While{Name: "while", Inputs: args, Cond: cond, Body: body})
		if err != nil {
			return nil, err
		}
		return []tf.Output{loop.Output(0)}, nil
	}
	return tffunc.AddCompiled(g, tffunc.Compiled{
		Call: name, Name: function, Inputs: inputs, DTypes: dtypes, Body: addLoop,
		OutputNames: []string{"steps"}, Functions: []*fpb.FunctionDef{cond, body},
	})
}

func repeat[T any](v T, n int) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = v
	}
	return s
}
