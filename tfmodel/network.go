package tfmodel

import (
	"fmt"
	"slices"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
	tg "github.com/galeone/tfgo"

	"github.com/gokeras/fashion/graph"
	"github.com/gokeras/fashion/tensor"
)

// network is a compiled model: its graph, built once, and the handles into
// it that Fit, Evaluate, Predict and the savers feed and fetch.
type network struct {
	graph *tf.Graph

	layers       []graph.Built
	weights      []*graph.Variable     // trainable, every layer's in Keras's order
	nonTrainable []*graph.Variable     // part of the model, not trained (BatchNormalization's moving statistics)
	layerVars    [][]*graph.Variable   // each layer's weights then non-trainable variables: a .keras file's vars
	layerState   []*graph.Variable     // state training updates, not part of the model (Dropout's seeds)
	opt          graph.Optimizer       // as compiled
	optState     *graph.OptimizerState // its variables, in Keras's order
	init         *tf.Operation         // initialises weights, optimizer state and metrics

	// Inference and evaluation on fed batches.
	x, y      tf.Output   // the examples, float32 [-1, input...]; the targets
	outputs   tf.Output   // float32 [-1, output...]
	evalTerms []tf.Output // what a batch adds to the running means: the loss's and each metric's sum, then N
	// The graph's own running means of an evaluation, as Keras keeps
	// them: Evaluate adds evalTerms up in Go instead (addTerms), so that
	// batches run at once; the tests hold its sums to these.
	evalUpdate  *tf.Operation
	evalResults []tf.Output // running means since evalReset: the loss, then each metric
	evalReset   *tf.Operation

	// Training on data resident in the session (dataX, dataY): a step
	// feeds only the batch's indices. Examples that are bytes over 255
	// are held as their bytes instead (dataBytes; see scaledBytes), and
	// dataAsBytes says which of the two holds this Fit's.
	dataX, dataY           *graph.Variable
	dataBytes, dataAsBytes *graph.Variable
	loadX, loadY           tf.Output // placeholders for the one upload per Fit
	loadBytes, loadAsBytes tf.Output
	load                   *tf.Operation
	unload                 *tf.Operation // frees the resident data
	batch                  tf.Output     // int32 [-1]: indices into the data
	trainResults           []tf.Output   // running means, read after the step: the loss, then each metric
	trainReset             *tf.Operation
	// loop trains several steps per session run (StepsPerExecution,
	// JITCompile); nil: one step per run.
	loop *trainLoop
	// infer are Evaluate's and Predict's loops, built on first use.
	infer inferenceLoops

	// names are the logs' keys of the results: "loss", then each metric.
	names        []string
	trainMetrics []*graph.Mean   // the running means of an epoch, as names
	saver        *graph.Saver    // saved(), the training position and settings: a checkpoint
	weightsSaver *graph.Saver    // weights only: a SavedModel's variables
	assigner     *graph.Assigner // saved() from Go values
	// modelAssigner is modelVars() from values fed: how the inference
	// session takes the model session's weights.
	modelAssigner *graph.Assigner

	// Readers of a checkpoint's training values alone, without the
	// variables, so that they are checked before anything is restored:
	// header reads checkpointKeys(), adamHeader the keys of format 2
	// (written when Adam was the only optimizer, which is not recorded)
	// and legacyHeader those of format 1, written before the settings were
	// recorded, to tell those apart.
	header, adamHeader, legacyHeader checkpointReader
	// variables reads saved() alone, whichever the format: the saver's
	// own restore reads the keys of the current format too.
	variables checkpointReader
}

// checkpointKeys are the values a checkpoint stores beside the variables, as
// extras of the saver in this order. The first three are the training
// position: the epoch and the step within it to run next, and the seed of
// the shuffling (whose order depends on nothing else); checkpoints of
// format 1 hold only those. Format 2 adds what makes a step do what it did
// (the settings a resumed run must share), and where the optimizer's step
// count stood when the run began, so that the count can be checked against
// the position. Format 3 adds the optimizer, its Keras class and config as
// SerializeOptimizer writes them (format 2 was always Adam's).
func checkpointKeys() []graph.Extra {
	return []graph.Extra{
		{Name: "training/epoch", DType: tf.Int64},
		{Name: "training/step", DType: tf.Int64},
		{Name: "training/shuffle_seed", DType: tf.Int64},
		{Name: "training/format", DType: tf.Int64},
		{Name: "training/batch_size", DType: tf.Int64},
		{Name: "training/shuffle", DType: tf.Int64},
		{Name: "training/validation_split", DType: tf.Double},
		{Name: "training/examples", DType: tf.Int64},
		{Name: "training/initial_epoch", DType: tf.Int64},
		{Name: "training/base_iteration", DType: tf.Int64},
		{Name: "training/optimizer", DType: tf.String},
	}
}

// positionKeys are the keys of checkpoint format 1.
func positionKeys() []graph.Extra { return checkpointKeys()[:3] }

// adamKeys are the keys of checkpoint format 2, whose optimizer is Adam.
func adamKeys() []graph.Extra { return checkpointKeys()[:10] }

// checkpointFormat is the format SaveCheckpoint writes, stored under
// "training/format". Format 2, Adam's without the optimizer recorded, is
// still read.
const (
	checkpointFormat     = 3
	adamCheckpointFormat = 2
)

// checkpointReader restores some keys of a checkpoint.
type checkpointReader struct {
	prefix tf.Output   // string scalar to feed
	values []tf.Output // one per key
}

func newCheckpointReader(root *op.Scope, name string, keys []graph.Extra) checkpointReader {
	s := root.SubScope(name)
	names := make([]string, len(keys))
	dtypes := make([]tf.DataType, len(keys))
	for i, k := range keys {
		names[i], dtypes[i] = k.Name, k.DType
	}
	prefix := op.Placeholder(s.SubScope("prefix"), tf.String, op.PlaceholderShape(tf.ScalarShape()))
	values := op.RestoreV2(s.SubScope("RestoreV2"), prefix,
		op.Const(s.SubScope("tensor_names"), names), op.Const(s.SubScope("shape_and_slices"), make([]string, len(keys))), dtypes)
	return checkpointReader{prefix: prefix, values: values}
}

// build adds the whole model to a new graph: variables and their
// initialisers, the inference path, the evaluation path and the training
// step, and the checkpoint saver.
func build(m *Sequential, opts CompileOptions, metrics []graph.Metric) (*network, error) {
	root := tg.NewRoot()
	n := &network{names: []string{"loss"}}
	for _, mt := range metrics {
		n.names = append(n.names, mt.Name())
	}
	b := &graph.Builder{Root: root, Seed: opts.Seed}
	in := m.inputShape
	for i, l := range m.layers {
		built, err := l.Build(b, in)
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i+1, err)
		}
		n.layers = append(n.layers, built)
		n.weights = append(n.weights, built.Weights()...)
		n.nonTrainable = append(n.nonTrainable, built.NonTrainable()...)
		n.layerVars = append(n.layerVars, append(slices.Clone(built.Weights()), built.NonTrainable()...))
		n.layerState = append(n.layerState, built.State()...)
		in = m.shapes[i]
	}
	if len(n.weights) == 0 {
		return nil, fmt.Errorf("the model has no weights to train")
	}

	// Inference and evaluation.
	loss := opts.Loss
	targetDType := tf.Float
	if loss.Sparse() {
		targetDType = tf.Int32
	}
	n.x = op.Placeholder(root.SubScope("images"), tf.Float, op.PlaceholderShape(tf.MakeShape(batchDims(m.inputShape)...)))
	n.y = op.Placeholder(root.SubScope("labels"), targetDType, op.PlaceholderShape(tf.MakeShape(batchDims(m.targetShape(loss))...)))
	pred := n.forward(root.SubScope("predict"), n.x, false)
	n.outputs = op.Identity(root.SubScope("probabilities"), pred.Out)
	es := root.SubScope("evaluate")
	evalMeans, err := newMeans(root, "eval_", n.names)
	if err != nil {
		return nil, err
	}
	batchLoss := loss.Compute(es, n.y, pred)
	evalUpdates, evalTerms := updateMetrics(es, evalMeans, batchLoss.Mean, metrics, pred.Out, n.y, tensor.Size(m.targetShape(loss)))
	n.evalTerms = evalTerms
	n.evalUpdate = op.NoOp(es.WithControlDependencies(evalUpdates...).SubScope("update"))
	var resets []*tf.Operation
	for _, mean := range evalMeans {
		n.evalResults = append(n.evalResults, mean.Read(es))
		resets = append(resets, mean.Reset)
	}
	n.evalReset = op.NoOp(es.WithControlDependencies(resets...).SubScope("reset"))

	// Training.
	if err := n.buildTraining(root, m, opts, metrics, targetDType); err != nil {
		return nil, err
	}

	var inits []*tf.Operation
	for _, v := range n.state() {
		inits = append(inits, v.Init)
	}
	n.init = op.NoOp(root.WithControlDependencies(inits...).SubScope("init"))
	n.saver, err = graph.NewSaver(root, "save", n.saved(), checkpointKeys()...)
	if err != nil {
		return nil, err
	}
	n.header = newCheckpointReader(root, "checkpoint_header", checkpointKeys())
	var varKeys []graph.Extra
	for _, v := range n.saved() {
		varKeys = append(varKeys, graph.Extra{Name: v.Name, DType: v.DType})
	}
	n.variables = newCheckpointReader(root, "checkpoint_variables", varKeys)
	n.adamHeader = newCheckpointReader(root, "checkpoint_header_v2", adamKeys())
	n.legacyHeader = newCheckpointReader(root, "checkpoint_header_v1", positionKeys())
	if n.weightsSaver, err = graph.NewSaver(root, "save_weights", n.modelVars()); err != nil {
		return nil, err
	}
	if n.assigner, err = graph.NewAssigner(root, "assign", n.saved()); err != nil {
		return nil, err
	}
	if n.modelAssigner, err = graph.NewAssigner(root, "assign_model", n.modelVars()); err != nil {
		return nil, err
	}
	g, err := root.Finalize()
	if err != nil {
		return nil, fmt.Errorf("build graph: %w", err)
	}
	n.graph = g
	if opts.StepsPerExecution > 1 || opts.JITCompile {
		if n.loop, err = n.buildTrainLoop(m, opts, metrics, max(opts.StepsPerExecution, 1), opts.JITCompile); err != nil {
			return nil, err
		}
	}
	return n, nil
}

func (n *network) buildTraining(root *op.Scope, m *Sequential, opts CompileOptions, metrics []graph.Metric, targetDType tf.DataType) error {
	var err error
	ds := root.SubScope("data")
	xDims, yDims := batchDims(m.inputShape), batchDims(m.targetShape(opts.Loss))
	n.loadX = op.Placeholder(ds.SubScope("images"), tf.Float, op.PlaceholderShape(tf.MakeShape(xDims...)))
	n.loadY = op.Placeholder(ds.SubScope("labels"), targetDType, op.PlaceholderShape(tf.MakeShape(yDims...)))
	n.loadBytes = op.Placeholder(ds.SubScope("image_bytes"), tf.Uint8, op.PlaceholderShape(tf.MakeShape(xDims...)))
	n.loadAsBytes = op.Placeholder(ds.SubScope("images_as_bytes"), tf.Bool, op.PlaceholderShape(tf.ScalarShape()))
	if n.dataX, err = graph.NewVariable(root, "data/train_images", tf.Float, xDims, n.loadX); err != nil {
		return err
	}
	if n.dataBytes, err = graph.NewVariable(root, "data/train_image_bytes", tf.Uint8, xDims, n.loadBytes); err != nil {
		return err
	}
	if n.dataAsBytes, err = graph.NewVariable(root, "data/train_images_as_bytes", tf.Bool, nil, n.loadAsBytes); err != nil {
		return err
	}
	if n.dataY, err = graph.NewVariable(root, "data/train_labels", targetDType, yDims, n.loadY); err != nil {
		return err
	}
	n.load = op.NoOp(ds.WithControlDependencies(n.dataX.Init, n.dataBytes.Init, n.dataAsBytes.Init, n.dataY.Init).SubScope("load"))
	// Assigning empty tensors lets TensorFlow free the data between fits.
	empty := func(name string, dtype tf.DataType, dims []int64) tf.Output {
		shape := append([]int64{0}, dims[1:]...)
		zero := op.Cast(ds.SubScope(name+"_zero"), op.Const(ds.SubScope(name+"_value"), float32(0)), dtype)
		return op.Fill(ds.SubScope(name), op.Const(ds.SubScope(name+"_shape"), shape), zero)
	}
	n.unload = op.NoOp(ds.WithControlDependencies(
		op.AssignVariableOp(ds.SubScope("free_images"), n.dataX.Handle, empty("empty_images", tf.Float, xDims)),
		op.AssignVariableOp(ds.SubScope("free_image_bytes"), n.dataBytes.Handle, empty("empty_image_bytes", tf.Uint8, xDims)),
		op.AssignVariableOp(ds.SubScope("free_labels"), n.dataY.Handle, empty("empty_labels", targetDType, yDims)),
	).SubScope("unload"))

	s := root.SubScope("train")
	n.batch = op.Placeholder(s.SubScope("batch"), tf.Int32, op.PlaceholderShape(tf.MakeShape(-1)))
	step, err := addTrainStep(root, s, m, opts, metrics, n.names, stepInputs{
		layers: n.layers, weights: n.weights,
		x: n.residentExamples(s.SubScope("images"), n.batch),
		y: op.ResourceGather(s.SubScope("labels"), n.dataY.Handle, n.batch, targetDType),
	})
	if err != nil {
		return err
	}
	n.opt, n.optState = opts.Optimizer, step.optState
	var resets []*tf.Operation
	for _, mean := range step.means {
		n.trainResults = append(n.trainResults, mean.Read(s, step.done))
		resets = append(resets, mean.Reset)
	}
	n.trainMetrics = step.means
	n.trainReset = op.NoOp(s.WithControlDependencies(resets...).SubScope("reset"))
	return s.Err()
}

// forward adds the layers' computation on x: Keras's model(x,
// training=training). The value it returns carries every layer's updates.
func (n *network) forward(s *op.Scope, x tf.Output, training bool) graph.Value {
	return forwardPass(s, n.layers, x, training)
}

// forwardPass is graph.Forward: the one forward pass.
func forwardPass(s *op.Scope, layers []graph.Built, x tf.Output, training bool) graph.Value {
	return graph.Forward(s, layers, x, training)
}

// newMeans adds the running means of the loss and metrics called names.
func newMeans(root *op.Scope, prefix string, names []string) ([]*graph.Mean, error) {
	means := make([]*graph.Mean, len(names))
	for i, name := range names {
		mean, err := graph.NewMean(root, prefix+name)
		if err != nil {
			return nil, err
		}
		means[i] = mean
	}
	return means, nil
}

// updateMetrics adds the updates of a batch's loss and metrics to the
// running means (the loss first): what metricTerms adds. It returns the
// updates and the terms (network.evalTerms keeps the evaluation's).
func updateMetrics(s *op.Scope, means []*graph.Mean, loss tf.Output, metrics []graph.Metric, pred, target tf.Output, targetValues int) ([]*tf.Operation, []tf.Output) {
	terms := metricTerms(s, loss, metrics, pred, target, targetValues)
	n := terms[len(terms)-1]
	updates := []*tf.Operation{means[0].Update(s.SubScope("loss"), terms[0], n)}
	for i, mt := range metrics {
		updates = append(updates, means[i+1].Update(s.SubScope(mt.Name()), terms[i+1], n))
	}
	return updates, terms
}

// metricTerms are what a batch adds to the running means of its loss and
// metrics, weighting by the batch's size as Keras does: the loss's mean
// times N, each metric's sum of per-example values, then N.
func metricTerms(s *op.Scope, loss tf.Output, metrics []graph.Metric, pred, target tf.Output, targetValues int) []tf.Output {
	// The batch's size, from the targets' size: for class labels (one value
	// per example) the Size→Cast the tutorial's step always had; for
	// targets of k values each, that over k (exact: sizes are small
	// integers).
	n := op.Cast(s.SubScope("n"), op.Size(s.SubScope("size"), target), tf.Float)
	if k := targetValues; k > 1 {
		n = op.Div(s.SubScope("per_example"), n, op.Const(s.SubScope("k"), float32(k)))
	}
	terms := []tf.Output{op.Mul(s.SubScope("weighted"), loss, n)}
	for _, mt := range metrics {
		ms := s.SubScope(mt.Name())
		values := mt.Values(ms, target, pred)
		terms = append(terms, op.Sum(ms.SubScope("sum"), values, op.Const(ms.SubScope("axis"), []int32{0})))
	}
	return append(terms, n)
}

// batchDims is the TensorFlow shape of a batch of examples of shape example.
func batchDims(example []int) []int64 {
	dims := []int64{-1}
	for _, d := range example {
		dims = append(dims, int64(d))
	}
	return dims
}

// modelVars are the model's variables, trained or not: what a SavedModel
// holds.
func (n *network) modelVars() []*graph.Variable {
	return append(slices.Clone(n.weights), n.nonTrainable...)
}

// state lists the variables that define the trained model: the weights,
// the non-trainable variables, the layers' state, then the optimizer's
// state.
func (n *network) state() []*graph.Variable {
	vs := append(n.modelVars(), n.layerState...)
	return append(vs, n.optState.Variables()...)
}

// saved lists every variable a checkpoint holds: the state, and the running
// metrics of the epoch in progress, so that a run resumed mid-epoch reports
// what the uninterrupted run would.
func (n *network) saved() []*graph.Variable {
	vs := n.state()
	for _, m := range n.trainMetrics {
		vs = append(vs, m.Total, m.Count)
	}
	return vs
}
