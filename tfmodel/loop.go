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
// the run's K×B examples once more while it runs.
type trainLoop struct {
	indices tf.Output     // int32 [K, B]: row k is step k's batch
	steps   tf.Output     // int32 scalar: how many of the rows to train on
	run     *tf.Operation // the loop, or the XLA-compiled call of it
	results []tf.Output   // the running means after the run: the loss, then each metric
	k       int           // steps per run (chunks end on multiples of k)
	jit     bool
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
	body, resources, err := n.loopBody(m, opts, metrics)
	if err != nil {
		return nil, fmt.Errorf("training loop: %w", err)
	}
	// The model's handles of the variables the body takes, by name: the
	// body's VarHandleOps have the same names and shared names.
	handles := make([]tf.Output, len(resources))
	for i, name := range resources {
		h := n.graph.Operation(name)
		if h == nil || h.Type() != "VarHandleOp" {
			return nil, fmt.Errorf("training loop: the step uses %s, which the model does not have", name)
		}
		handles[i] = h.Output(0)
	}
	dtypes := append([]tf.DataType{tf.Int32, tf.Int32, tf.Float, n.dataY.DType}, repeat(tffunc.Resource, len(resources))...)
	cond, err := loopCondition(loopCond, dtypes)
	if err != nil {
		return nil, fmt.Errorf("training loop: %w", err)
	}

	s := op.NewScopeWithGraph(n.graph).SubScope(loopScope)
	l := &trainLoop{k: k, jit: jit}
	l.indices = op.Placeholder(s.SubScope("indices"), tf.Int32, op.PlaceholderShape(tf.MakeShape(-1, -1)))
	l.steps = op.Placeholder(s.SubScope("steps"), tf.Int32, op.PlaceholderShape(tf.ScalarShape()))
	// [K, B, example...]: row k is step k's batch.
	examples := op.ResourceGather(s.SubScope("examples"), n.dataX.Handle, l.indices, tf.Float)
	targets := op.ResourceGather(s.SubScope("targets"), n.dataY.Handle, l.indices, n.dataY.DType)
	inputs := append([]tf.Output{op.Const(s.SubScope("first"), int32(0)), l.steps, examples, targets}, handles...)
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("training loop: %w", err)
	}
	if !jit {
		l.run, err = tffunc.AddWhile(n.graph, tffunc.While{Name: loopScope + "/while", Inputs: inputs, Cond: cond, Body: body, Lowered: true})
	} else {
		l.run, err = addCompiledWhile(n.graph, loopScope+"/call", inputs, dtypes, cond, body)
	}
	if err != nil {
		return nil, fmt.Errorf("training loop: %w", err)
	}
	for _, mean := range n.trainMetrics {
		l.results = append(l.results, mean.Read(s, l.run))
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("training loop: %w", err)
	}
	return l, nil
}

// loopBody is the While loop's body: (step, steps, examples, targets,
// variables...) → (step+1, steps, examples, targets, variables...) after
// one training step on the batch examples[step], targets[step],
// addTrainStep as buildTraining's. resources are the names of the
// variables, in the order of the arguments after targets.
func (n *network) loopBody(m *Sequential, opts CompileOptions, metrics []graph.Metric) (*fpb.FunctionDef, []string, error) {
	root := op.NewScope()
	step := op.Placeholder(root.SubScope("loop_step"), tf.Int32, op.PlaceholderShape(tf.ScalarShape()))
	steps := op.Placeholder(root.SubScope("loop_steps"), tf.Int32, op.PlaceholderShape(tf.ScalarShape()))
	examples := op.Placeholder(root.SubScope("loop_examples"), tf.Float, op.PlaceholderShape(tf.MakeShape(append([]int64{-1}, n.dataX.Shape...)...)))
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
	fdef, err := tffunc.Define(g, loopBody, tffunc.Signature{Inputs: inputs, Outputs: outputs, ControlOutputs: []*tf.Operation{done}})
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
// XLA compiles whole, loopChunk, and the call of it, name: the While is
// the function's body (tffunc.AddCompiled). The While is not lowered (XLA
// compiles only the functional While). The function's result is the
// loop's last step: tffunc.Define keeps only what computes a result, and
// the running means' reads wait for the call. Its name, "steps", is part
// of the function's definition in the graph.
func addCompiledWhile(g *tf.Graph, name string, inputs []tf.Output, dtypes []tf.DataType, cond, body *fpb.FunctionDef) (*tf.Operation, error) {
	addLoop := func(_ *op.Scope, fg *tf.Graph, args []tf.Output) ([]tf.Output, error) {
		loop, err := tffunc.AddWhile(fg, tffunc.While{Name: "while", Inputs: args, Cond: cond, Body: body})
		if err != nil {
			return nil, err
		}
		return []tf.Output{loop.Output(0)}, nil
	}
	return tffunc.AddCompiled(g, tffunc.Compiled{
		Call: name, Name: loopChunk, Inputs: inputs, DTypes: dtypes, Body: addLoop,
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
