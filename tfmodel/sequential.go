package tfmodel

import (
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"google.golang.org/protobuf/proto"

	"github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"

	"github.com/gokeras/fashion/graph"
)

// Sequential is a stack of layers, keras.Sequential. It is built and given
// a TensorFlow session by Compile, and must be closed to release them.
type Sequential struct {
	inputShape []int
	layers     []Layer
	shapes     [][]int // each layer's output shape, one example's
	compiled   CompileOptions
	metrics    []graph.Metric // as compiled, resolved for this model's shapes
	net        *network
	session    *tf.Session
	pos        Position // where training stands; see Position
	run        runState // the last Fit's settings, which checkpoints record
	runsAtOnce int      // Predict's concurrent runs; 0: two per core (inferenceRuns)
	// bytesResident: the running Fit's examples are in the session as
	// bytes (network.dataBytes), not floats; see scaledBytes.
	bytesResident bool
	// inferSession is where Predict and Evaluate run; weightsVersion
	// counts the session runs that may have changed the model's
	// variables, so that it knows when to copy them again.
	inferSession   inferenceSession
	weightsVersion atomic.Uint64
}

// ErrNotCompiled is returned by every method that needs the graph before
// Compile has built it.
var ErrNotCompiled = errors.New("tfmodel: the model is not compiled: call Compile first")

// NewSequential checks the layers, names them as Keras does (dense,
// dense_1, ...) and returns an uncompiled model. The first layer gives the
// input shape: Input(shape...), or Flatten(shape...) as in the tutorial.
func NewSequential(layers ...Layer) (*Sequential, error) {
	shape, rest, err := splitInput(layers)
	if err != nil {
		return nil, fmt.Errorf("tfmodel: %w", err)
	}
	if err := graph.NameLayers(rest); err != nil {
		return nil, fmt.Errorf("tfmodel: %w", err)
	}
	m := &Sequential{inputShape: shape, layers: rest}
	in := shape
	for i, l := range rest {
		out, err := l.OutputShape(in)
		if err != nil {
			return nil, fmt.Errorf("tfmodel: layer %d: %w", i+1, err)
		}
		m.shapes = append(m.shapes, out)
		in = out
	}
	return m, nil
}

// Compile builds the model's graph with the given optimizer, loss and
// metrics, opens a session on it and initialises the weights (Glorot-uniform
// kernels from opts.Seed, zero biases). Compiling again starts over with
// fresh weights, as in Keras.
func (m *Sequential) Compile(opts CompileOptions) error {
	if err := opts.validate(); err != nil {
		return fmt.Errorf("tfmodel: %w", err)
	}
	metrics, err := m.resolveMetrics(opts)
	if err != nil {
		return fmt.Errorf("tfmodel: compile: %w", err)
	}
	if err := m.checkLoss(opts.Loss); err != nil {
		return fmt.Errorf("tfmodel: compile: %w", err)
	}
	net, err := build(m, opts, metrics)
	if err != nil {
		return fmt.Errorf("tfmodel: compile: %w", err)
	}
	config, err := sessionConfig(opts.Threads)
	if err != nil {
		return fmt.Errorf("tfmodel: compile: session config: %w", err)
	}
	session, err := tf.NewSession(net.graph, &tf.SessionOptions{Config: config})
	if err != nil {
		return fmt.Errorf("tfmodel: compile: new session: %w", err)
	}
	if _, err := session.Run(nil, nil, []*tf.Operation{net.init, net.evalReset, net.trainReset}); err != nil {
		session.Close()
		return fmt.Errorf("tfmodel: compile: initialise variables: %w", err)
	}
	if err := m.Close(); err != nil {
		session.Close()
		return err
	}
	m.net, m.session, m.compiled, m.metrics, m.pos, m.run = net, session, opts, metrics, Position{}, runState{}
	return nil
}

// resolveMetrics makes the compiled metrics of opts for this model's
// shapes, as Keras's compile resolves "accuracy".
func (m *Sequential) resolveMetrics(opts CompileOptions) ([]graph.Metric, error) {
	var metrics []graph.Metric
	seen := map[string]bool{"loss": true}
	for _, name := range opts.Metrics {
		metric, err := graph.GetMetric(name, m.targetShape(opts.Loss), m.OutputShape())
		if err != nil {
			return nil, err
		}
		if seen[metric.Name()] {
			return nil, fmt.Errorf("metric %q: the name is already taken", metric.Name())
		}
		seen[metric.Name()] = true
		metrics = append(metrics, metric)
	}
	return metrics, nil
}

// checkLoss checks that the loss fits the model's output.
func (m *Sequential) checkLoss(loss graph.Loss) error {
	out := m.OutputShape()
	if len(out) != 1 {
		return fmt.Errorf("loss %s: the model's output %s must be one vector per example (end with Dense)", loss.Name(), shapeString(out))
	}
	switch loss.(type) {
	case *graph.SparseCategoricalCrossentropy, *graph.CategoricalCrossentropy:
		if out[0] < 2 {
			return fmt.Errorf("loss %s: needs two or more classes, the model's output is %s", loss.Name(), shapeString(out))
		}
	}
	return nil
}

// targetShape is one example's target: a class index (shape []) for a
// sparse loss, else a value shaped like the output.
func (m *Sequential) targetShape(loss graph.Loss) []int {
	if loss != nil && loss.Sparse() {
		return []int{}
	}
	return m.OutputShape()
}

// Close releases the session and its graph. The model can be compiled
// again afterwards.
func (m *Sequential) Close() error {
	if m.session == nil {
		return nil
	}
	inferErr := m.inferSession.close()
	err := m.session.Close()
	m.session, m.net = nil, nil
	if err != nil {
		return fmt.Errorf("tfmodel: close session: %w", err)
	}
	if inferErr != nil {
		return fmt.Errorf("tfmodel: close the inference session: %w", inferErr)
	}
	return nil
}

// Layers are the model's layers after its input, in order.
func (m *Sequential) Layers() []Layer { return slices.Clone(m.layers) }

// InputShape is the shape of one example, e.g. [28 28].
func (m *Sequential) InputShape() []int { return slices.Clone(m.inputShape) }

// OutputShape is the shape of one example's output, e.g. [10].
func (m *Sequential) OutputShape() []int { return slices.Clone(m.shapes[len(m.shapes)-1]) }

// Classes is the width of the last layer's output: the number of classes
// of a classifier.
func (m *Sequential) Classes() int { return m.OutputShape()[0] }

// MetricNames are the keys of the epoch logs, as Keras orders them: "loss"
// and the compiled metrics' names, sorted; validation adds "val_" + each.
func (m *Sequential) MetricNames() []string {
	names := []string{"loss"}
	for _, mt := range m.metrics {
		names = append(names, mt.Name())
	}
	slices.Sort(names)
	return names
}

func (m *Sequential) ready() error {
	if m.session == nil {
		return ErrNotCompiled
	}
	return nil
}

// Compiled is the options the model was compiled with.
func (m *Sequential) Compiled() CompileOptions { return m.compiled }

// sessionConfig is the session's ConfigProto for threads: InterOp 0 is
// TensorFlow's "run in the caller's thread" (a negative inter-op count);
// N > 0 is a pool of the session's own (use_per_session_threads), since
// TensorFlow's shared inter-op pool has the size the process's first
// session gave it, whatever later sessions ask for.
func sessionConfig(threads Threads) ([]byte, error) {
	config := &for_core_protos_go_proto.ConfigProto{
		IntraOpParallelismThreads: int32(threads.IntraOp),
		InterOpParallelismThreads: -1,
	}
	if threads.InterOp > 0 {
		config.InterOpParallelismThreads = int32(threads.InterOp)
		config.UsePerSessionThreads = true
	}
	return proto.Marshal(config)
}
