package tfmodel

import (
	"fmt"
	"os"
	"sync"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/gokeras/fashion/internal/tfrelease"
)

// Predict and Evaluate run in a session of their own on the model's graph,
// the inference session, as Threads.Inference says: a batch of 32 is
// too small for TensorFlow to split its operations over a pool of threads
// with profit, so the inference session's intra-op pool has one thread,
// and its runs go two per core at a time from threads of their own
// (osThreads) instead. Its variables are a copy of the model's weights,
// brought up to date at the start of a call whenever a training step or a
// restore may have changed them (weightsVersion).

// poolsEnv is TensorFlow's switch from one intra-op pool per process, sized
// by its first session, to a pool per session, sized by the session's own
// ConfigProto: without it the inference session's pool of one thread would
// be the training session's pool (LocalDevice in TensorFlow's
// common_runtime reads it once, when the process opens its first session).
const poolsEnv = "TF_OVERRIDE_GLOBAL_THREADPOOL"

// init sets poolsEnv before any session can be opened, unless the user set
// it: package initialisation runs before main.
func init() {
	if _, set := os.LookupEnv(poolsEnv); !set {
		os.Setenv(poolsEnv, "1")
	}
}

// inference is where a Predict or Evaluate call's session runs go.
type inference struct {
	session *tf.Session
	threads *osThreads // nil: goroutines, as the training session's runs
	runs    int        // runs at a time
}

// each calls run(0), ..., run(n-1), in.runs at a time, as inParallel does,
// in the inference threads.
func (in inference) each(n int, run func(i int) error) error {
	if in.threads == nil {
		return inParallel(n, in.runs, run)
	}
	return spread(n, in.runs, in.threads.run, run)
}

// inferenceSession is the second session and its threads, opened on the
// first Predict or Evaluate and closed with the model.
type inferenceSession struct {
	mu      sync.Mutex
	session *tf.Session
	threads *osThreads
	synced  uint64 // the weightsVersion its variables hold, once copied
	copied  bool   // false until a copy succeeds: it has no weights yet
}

// weightsWritten records that a session run may have changed the model's
// variables: the inference session copies them again before its next run.
func (m *Sequential) weightsWritten() { m.weightsVersion.Add(1) }

// Own says whether Predict and Evaluate run in the inference session of
// their own under this setting.
func (s InferenceSession) Own() bool { return s == InferenceAuto || s == InferenceOwn }

// inference returns where this call's runs go, the inference session's
// weights brought up to date.
func (m *Sequential) inference() (inference, error) {
	runs := m.inferenceRuns()
	if !m.compiled.Threads.Inference.Own() {
		return inference{session: m.session, runs: runs}, nil
	}
	s := &m.inferSession
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.session == nil {
		config, err := sessionConfig(Threads{IntraOp: 1})
		if err != nil {
			return inference{}, fmt.Errorf("inference session config: %w", err)
		}
		if s.session, err = tf.NewSession(m.net.graph, &tf.SessionOptions{Config: config}); err != nil {
			return inference{}, fmt.Errorf("open the inference session: %w", err)
		}
		s.threads = startOSThreads(runs)
	}
	if v := m.weightsVersion.Load(); !s.copied || v != s.synced {
		if err := m.copyWeights(s.session); err != nil {
			return inference{}, fmt.Errorf("copy the weights to the inference session: %w", err)
		}
		s.synced, s.copied = v, true
	}
	return inference{session: s.session, threads: s.threads, runs: runs}, nil
}

// copyWeights assigns the model's variables (network.modelVars, all the
// forward pass reads) in session to their values in the model's session.
func (m *Sequential) copyWeights(session *tf.Session) error {
	a := m.net.modelAssigner
	values, err := m.readVariables(a.Vars)
	if err != nil {
		return err
	}
	defer tfrelease.Release(values...)
	feeds := make(map[tf.Output]*tf.Tensor, len(values))
	for i, v := range values {
		feeds[a.Inputs[i]] = v
	}
	_, err = session.Run(feeds, nil, []*tf.Operation{a.Assign})
	return err
}

// close ends the threads and closes the session, if they were made.
func (s *inferenceSession) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.session == nil {
		return nil
	}
	s.threads.stop()
	err := s.session.Close()
	s.session, s.threads, s.copied = nil, nil, false
	return err
}
