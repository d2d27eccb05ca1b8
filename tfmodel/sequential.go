package tfmodel

import (
	"errors"
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"google.golang.org/protobuf/proto"

	"github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"
)

// Sequential is a stack of layers, keras.Sequential. It is built and given
// a TensorFlow session by Compile, and must be closed to release them.
type Sequential struct {
	inputShape []int
	specs      []layerSpec
	compiled   CompileOptions
	net        *network
	session    *tf.Session
	pos        Position // where training stands; see Position
	run        runState // the last Fit's settings, which checkpoints record
}

// ErrNotCompiled is returned by every method that needs the graph before
// Compile has built it.
var ErrNotCompiled = errors.New("tfmodel: the model is not compiled: call Compile first")

// NewSequential checks the layers and returns an uncompiled model.
func NewSequential(layers ...Layer) (*Sequential, error) {
	shape, specs, err := plan(layers)
	if err != nil {
		return nil, fmt.Errorf("tfmodel: %w", err)
	}
	return &Sequential{inputShape: shape, specs: specs}, nil
}

// Compile builds the model's graph with the given optimizer, loss and
// metrics, opens a session on it and initialises the weights (Glorot-uniform
// kernels from opts.Seed, zero biases). Compiling again starts over with
// fresh weights, as in Keras.
func (m *Sequential) Compile(opts CompileOptions) error {
	if err := opts.validate(); err != nil {
		return fmt.Errorf("tfmodel: %w", err)
	}
	net, err := build(m.inputShape, m.specs, opts)
	if err != nil {
		return fmt.Errorf("tfmodel: compile: %w", err)
	}
	config, err := proto.Marshal(&for_core_protos_go_proto.ConfigProto{
		IntraOpParallelismThreads: int32(opts.Threads.IntraOp),
		InterOpParallelismThreads: int32(opts.Threads.InterOp),
	})
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
	m.net, m.session, m.compiled, m.pos, m.run = net, session, opts, Position{}, runState{}
	return nil
}

// Close releases the session and its graph. The model can be compiled
// again afterwards.
func (m *Sequential) Close() error {
	if m.session == nil {
		return nil
	}
	err := m.session.Close()
	m.session, m.net = nil, nil
	if err != nil {
		return fmt.Errorf("tfmodel: close session: %w", err)
	}
	return nil
}

// InputShape is the shape of one example, e.g. [28 28].
func (m *Sequential) InputShape() []int { return append([]int(nil), m.inputShape...) }

// Classes is the number of outputs of the last layer.
func (m *Sequential) Classes() int { return m.specs[len(m.specs)-1].out }

// features is the number of input values per example.
func (m *Sequential) features() int { return m.specs[0].out }

func (m *Sequential) ready() error {
	if m.session == nil {
		return ErrNotCompiled
	}
	return nil
}
