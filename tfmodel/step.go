package tfmodel

import (
	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/gokeras/fashion/graph"
	"github.com/gokeras/fashion/tensor"
)

// trainStep is one training step in a graph: Keras's train_step on a batch
// of the resident data.
type trainStep struct {
	done     *tf.Operation // runs the step: the optimizer's update, the metrics', the layers'
	optState *graph.OptimizerState
	means    []*graph.Mean // the running loss, then each metric, as the step's names
}

// stepInputs are what a step is built on: the built layers and their
// trainable weights, and the batch's examples and targets (gathered from
// the resident data by the per-step path, sliced from the run's batches
// by the training loop's body).
type stepInputs struct {
	layers  []graph.Built
	weights []*graph.Variable
	x, y    tf.Output
}

// addTrainStep adds a training step on the batch of in, in scope s
// ("train"), with its optimizer state and running means at root: the
// layers' forward pass in training mode, the loss, its gradients through
// TF_AddGradients, the optimizer's update (for Adam, the fused
// ResourceApplyAdam kernel in the scope "adam", exactly what
// Adam.Minimize adds) and the metrics' updates.
// Both the per-step path (buildTraining) and the loop's body
// (buildTrainLoop) are this, so that they run the same kernels.
func addTrainStep(root, s *op.Scope, m *Sequential, opts CompileOptions, metrics []graph.Metric, names []string, in stepInputs) (trainStep, error) {
	pred := forwardPass(s, in.layers, in.x, true)
	loss := opts.Loss.Compute(s, in.y, pred)
	grads, err := graph.Gradients(s, loss.Wrt, loss.Grad, in.weights)
	if err != nil {
		return trainStep{}, err
	}
	apply, st, err := graph.MinimizeWith(root, opts.Optimizer, in.weights, grads)
	if err != nil {
		return trainStep{}, err
	}
	means, err := newMeans(root, "", names)
	if err != nil {
		return trainStep{}, err
	}
	updates, _ := updateMetrics(s.SubScope("metrics"), means, loss.Mean, metrics, pred.Out, in.y, tensor.Size(m.targetShape(opts.Loss)))
	updates = append(append(updates, apply), pred.Updates...)
	done := op.NoOp(s.WithControlDependencies(updates...).SubScope("step"))
	return trainStep{done: done, optState: st, means: means}, s.Err()
}
