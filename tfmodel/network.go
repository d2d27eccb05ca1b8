package tfmodel

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
	tg "github.com/galeone/tfgo"

	"github.com/gokeras/fashion/graph"
)

// network is a compiled model: its graph, built once, and the handles into
// it that Fit, Evaluate, Predict and the savers feed and fetch.
type network struct {
	graph    *tf.Graph
	features int // inputs per example after Flatten (784)
	classes  int // units of the last layer (10)

	dense    []*graph.Dense
	weights  []*graph.Variable     // kernel, bias per Dense layer: Keras's order
	opt      graph.Optimizer       // as compiled
	optState *graph.OptimizerState // its variables, in Keras's order
	init     *tf.Operation         // initialises weights, optimizer state and metrics

	// Inference and evaluation on fed batches.
	images     tf.Output // float32 [-1, inputShape...]
	labels     tf.Output // int32 [-1]
	probs      tf.Output // float32 [-1, classes]
	evalUpdate *tf.Operation
	evalLoss   tf.Output // running means over the batches since evalReset
	evalAcc    tf.Output
	evalReset  *tf.Operation

	// Training on data resident in the session (dataImages, dataLabels):
	// a step feeds only the batch's indices.
	dataImages, dataLabels *graph.Variable
	loadImages, loadLabels tf.Output // placeholders for the one upload per Fit
	load                   *tf.Operation
	unload                 *tf.Operation // frees the resident data
	batch                  tf.Output     // int32 [-1]: indices into the data
	trainLoss, trainAcc    tf.Output     // running means, read after the step
	trainReset             *tf.Operation

	trainMetrics []*graph.Mean   // the running loss and accuracy of an epoch
	saver        *graph.Saver    // saved(), the training position and settings: a checkpoint
	weightsSaver *graph.Saver    // weights only: a SavedModel's variables
	assigner     *graph.Assigner // saved() from Go values

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
func build(inputShape []int, specs []layerSpec, opts CompileOptions) (*network, error) {
	root := tg.NewRoot()
	n := &network{features: specs[0].out, classes: specs[len(specs)-1].out}
	for i, l := range specs[1:] {
		// One seed per layer: layers must not share their random draws.
		d, err := graph.NewDense(root, l.name, l.in, l.out, l.activation, [2]int64{opts.Seed, int64(i)})
		if err != nil {
			return nil, err
		}
		n.dense = append(n.dense, d)
		n.weights = append(n.weights, d.Variables()...)
	}

	// Inference and evaluation.
	shape := []int64{-1}
	for _, d := range inputShape {
		shape = append(shape, int64(d))
	}
	n.images = op.Placeholder(root.SubScope("images"), tf.Float, op.PlaceholderShape(tf.MakeShape(shape...)))
	n.labels = op.Placeholder(root.SubScope("labels"), tf.Int32, op.PlaceholderShape(tf.MakeShape(-1)))
	probs, logits := n.forward(root.SubScope("predict"), n.images)
	n.probs = op.Identity(root.SubScope("probabilities"), probs)
	evalLoss, err := graph.NewMean(root, "eval_loss")
	if err != nil {
		return nil, err
	}
	evalAcc, err := graph.NewMean(root, "eval_accuracy")
	if err != nil {
		return nil, err
	}
	es := root.SubScope("evaluate")
	batchLoss := graph.SparseCategoricalCrossentropy(es, logits, n.labels)
	evalUpdates := updateMetrics(es, evalLoss, evalAcc, batchLoss.Value, probs, n.labels)
	n.evalUpdate = op.NoOp(es.WithControlDependencies(evalUpdates...).SubScope("update"))
	n.evalLoss, n.evalAcc = evalLoss.Read(es), evalAcc.Read(es)
	n.evalReset = op.NoOp(es.WithControlDependencies(evalLoss.Reset, evalAcc.Reset).SubScope("reset"))

	// Training.
	if err := n.buildTraining(root, opts); err != nil {
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
	if n.weightsSaver, err = graph.NewSaver(root, "save_weights", n.weights); err != nil {
		return nil, err
	}
	if n.assigner, err = graph.NewAssigner(root, "assign", n.saved()); err != nil {
		return nil, err
	}
	g, err := root.Finalize()
	if err != nil {
		return nil, fmt.Errorf("build graph: %w", err)
	}
	n.graph = g
	return n, nil
}

func (n *network) buildTraining(root *op.Scope, opts CompileOptions) error {
	var err error
	ds := root.SubScope("data")
	n.loadImages = op.Placeholder(ds.SubScope("images"), tf.Float, op.PlaceholderShape(tf.MakeShape(-1, int64(n.features))))
	n.loadLabels = op.Placeholder(ds.SubScope("labels"), tf.Int32, op.PlaceholderShape(tf.MakeShape(-1)))
	if n.dataImages, err = graph.NewVariable(root, "data/train_images", tf.Float, []int64{-1, int64(n.features)}, n.loadImages); err != nil {
		return err
	}
	if n.dataLabels, err = graph.NewVariable(root, "data/train_labels", tf.Int32, []int64{-1}, n.loadLabels); err != nil {
		return err
	}
	n.load = op.NoOp(ds.WithControlDependencies(n.dataImages.Init, n.dataLabels.Init).SubScope("load"))
	// Assigning empty tensors lets TensorFlow free the data between fits.
	emptyImages := op.Const(ds.SubScope("empty_images"), make([][]float32, 0))
	emptyImages = op.Reshape(ds.SubScope("empty_images_shape"), emptyImages, op.Const(ds.SubScope("empty_shape"), []int64{0, int64(n.features)}))
	n.unload = op.NoOp(ds.WithControlDependencies(
		op.AssignVariableOp(ds.SubScope("free_images"), n.dataImages.Handle, emptyImages),
		op.AssignVariableOp(ds.SubScope("free_labels"), n.dataLabels.Handle, op.Const(ds.SubScope("empty_labels"), []int32{})),
	).SubScope("unload"))

	s := root.SubScope("train")
	n.batch = op.Placeholder(s.SubScope("batch"), tf.Int32, op.PlaceholderShape(tf.MakeShape(-1)))
	x := op.ResourceGather(s.SubScope("images"), n.dataImages.Handle, n.batch, tf.Float)
	y := op.ResourceGather(s.SubScope("labels"), n.dataLabels.Handle, n.batch, tf.Int32)
	probs, logits := n.forward(s, x)
	loss := graph.SparseCategoricalCrossentropy(s, logits, y)
	grads, err := graph.Gradients(s, logits, loss.LogitsGrads, n.weights)
	if err != nil {
		return err
	}
	// For Adam, MinimizeWith adds exactly what Adam.Minimize adds: the
	// fused ResourceApplyAdam kernel in the scope "adam".
	apply, st, err := graph.MinimizeWith(root, opts.Optimizer, n.weights, grads)
	if err != nil {
		return err
	}
	n.opt, n.optState = opts.Optimizer, st
	trainLoss, err := graph.NewMean(root, "loss")
	if err != nil {
		return err
	}
	trainAcc, err := graph.NewMean(root, "accuracy")
	if err != nil {
		return err
	}
	updates := updateMetrics(s.SubScope("metrics"), trainLoss, trainAcc, loss.Value, probs, y)
	step := op.NoOp(s.WithControlDependencies(append(updates, apply)...).SubScope("step"))
	n.trainLoss, n.trainAcc = trainLoss.Read(s, step), trainAcc.Read(s, step)
	n.trainMetrics = []*graph.Mean{trainLoss, trainAcc}
	n.trainReset = op.NoOp(s.WithControlDependencies(trainLoss.Reset, trainAcc.Reset).SubScope("reset"))
	return s.Err()
}

// forward adds the layers' computation on x; it returns the probabilities
// and the last layer's logits.
func (n *network) forward(s *op.Scope, x tf.Output) (probs, logits tf.Output) {
	h := graph.Flatten(s, x, int64(n.features))
	for _, d := range n.dense {
		h, logits = d.Call(s, h)
	}
	return h, logits
}

// updateMetrics adds the updates of a batch's loss and accuracy to the
// running means, weighting by the batch's size as Keras does.
func updateMetrics(s *op.Scope, lossMean, accMean *graph.Mean, loss, probs, labels tf.Output) []*tf.Operation {
	n := op.Cast(s.SubScope("n"), op.Size(s.SubScope("size"), labels), tf.Float)
	matches := graph.Matches(s, probs, labels)
	correct := op.Sum(s.SubScope("correct"), matches, op.Const(s.SubScope("axis"), []int32{0}))
	return []*tf.Operation{
		lossMean.Update(s.SubScope("loss"), op.Mul(s.SubScope("weighted"), loss, n), n),
		accMean.Update(s.SubScope("accuracy"), correct, n),
	}
}

// state lists the variables that define the trained model: the weights,
// then the optimizer's state.
func (n *network) state() []*graph.Variable {
	return append(append([]*graph.Variable(nil), n.weights...), n.optState.Variables()...)
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
