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
// means, the layers' state, the resident data) is a resource argument, so
// the loop updates the model's own variables, and the per-step path,
// checkpoints and exports see what it did.
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
	dtypes := append([]tf.DataType{tf.Int32, tf.Int32, tf.Int32}, repeat(tffunc.Resource, len(resources))...)
	cond, err := loopCondition(loopCond, dtypes)
	if err != nil {
		return nil, fmt.Errorf("training loop: %w", err)
	}

	s := op.NewScopeWithGraph(n.graph).SubScope(loopScope)
	l := &trainLoop{k: k, jit: jit}
	l.indices = op.Placeholder(s.SubScope("indices"), tf.Int32, op.PlaceholderShape(tf.MakeShape(-1, -1)))
	l.steps = op.Placeholder(s.SubScope("steps"), tf.Int32, op.PlaceholderShape(tf.ScalarShape()))
	inputs := append([]tf.Output{op.Const(s.SubScope("first"), int32(0)), l.steps, l.indices}, handles...)
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

// loopBody is the While loop's body: (step, steps, indices, variables...)
// → (step+1, steps, indices, variables...) after one training step on the
// batch indices[step], addTrainStep as buildTraining's. resources are the
// names of the variables, in the order of the arguments after indices.
func (n *network) loopBody(m *Sequential, opts CompileOptions, metrics []graph.Metric) (*fpb.FunctionDef, []string, error) {
	root := op.NewScope()
	step := op.Placeholder(root.SubScope("loop_step"), tf.Int32, op.PlaceholderShape(tf.ScalarShape()))
	steps := op.Placeholder(root.SubScope("loop_steps"), tf.Int32, op.PlaceholderShape(tf.ScalarShape()))
	indices := op.Placeholder(root.SubScope("loop_indices"), tf.Int32, op.PlaceholderShape(tf.MakeShape(-1, -1)))
	variable := func(name string, dtype tf.DataType, shape []int64) (*graph.Variable, error) {
		return graph.NewVariable(root, name, dtype, shape, tf.Output{})
	}
	targetDType := n.dataY.DType
	dataX, err := variable(n.dataX.Name, tf.Float, n.dataX.Shape)
	if err != nil {
		return nil, nil, err
	}
	dataY, err := variable(n.dataY.Name, targetDType, n.dataY.Shape)
	if err != nil {
		return nil, nil, err
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

	// buildTraining's step, the batch taken from indices.
	s := root.SubScope("train")
	batch := op.GatherV2(s.SubScope("batch"), indices, step, op.Const(s.SubScope("batch_axis"), int32(0)))
	st, err := addTrainStep(root, s, m, opts, metrics, n.names, stepInputs{layers: layers, weights: weights, dataX: dataX, dataY: dataY, batch: batch})
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
		op.Identity(after.SubScope("indices"), indices),
	}
	inputs := []tf.Output{step, steps, indices}
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
// (step, steps, indices, variables...): step < steps. The count is a
// value, not the number of indices' rows: XLA would know that number when it compiles, and it
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
