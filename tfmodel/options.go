package tfmodel

import (
	"fmt"
	"io"

	"github.com/gokeras/fashion/graph"
	"github.com/gokeras/fashion/tensor"
)

// CompileOptions is model.compile's arguments.
type CompileOptions struct {
	// Optimizer is one of Keras's (graph.GetOptimizer, graph.DefaultAdam,
	// graph.SGD{...}); nil is an error.
	Optimizer graph.Optimizer
	// Loss is one of Keras's (graph.GetLoss("mse"),
	// graph.NewSparseCategoricalCrossentropy(true), ...); nil is an error.
	Loss graph.Loss
	// Metrics are Keras's metric strings ("accuracy", "mae", ...; see
	// graph.GetMetric), reported in the logs under these names.
	Metrics []string
	// Seed makes the initial weights reproducible: the same seed gives the
	// same Glorot-uniform kernels (and Dropout seeds).
	Seed int64
	// Threads bounds TensorFlow's thread pools; the zero value lets
	// TensorFlow use every core.
	Threads Threads
	// StepsPerExecution is Keras's compile(steps_per_execution=K): Fit
	// trains up to K steps per session run, as a graph While loop over the
	// resident data, which pays a run's fixed cost (for the tutorial's
	// model, as much as a step's arithmetic) once per K steps. A run
	// first copies its K batches out of the resident data, so that the
	// steps slice them: Fit holds up to K×B examples more while it runs
	// (the tutorial's whole epoch, K = 1,875: the training images once
	// more, 47 MB, as Fit keeps images that are bytes over 255 as their
	// bytes; 188 MB of other floats). The arithmetic is the per-step
	// path's, bit for bit. The progress bar and
	// BatchEnder callbacks hear of each chunk's last step, and a cancelled
	// Fit stops at the end of a chunk. 0 or 1 is one step per run.
	//
	// Evaluate and Predict (and so Fit's validation) likewise run up to K
	// whole batches per session run, a While loop over the chunk's
	// examples, fed as one tensor: the same batches, the per-batch path's
	// bits, and Evaluate's progress bar updated per chunk. A chunk holds
	// about 8 MiB of examples at most, whatever K (a run's feed is a copy
	// of them), and smaller still so that two runs per core share the work
	// (see Predict and Evaluate). A last partial batch,
	// and calls on fewer examples than a batch, take the per-batch path.
	// Their loops are built on first use, each adding to the first call's
	// time.
	StepsPerExecution int
	// JITCompile is Keras's compile(jit_compile=True): XLA compiles the
	// chunk of StepsPerExecution steps (at least 1) into one program, which
	// schedules no operations at all. XLA fuses and reorders sums, so the
	// results differ from the per-step path's (and Keras's without XLA) in
	// the last bits, and Dropout draws other masks (XLA's random stream).
	// Before XLA's first compile in the process, the model adds one option
	// to the XLA_FLAGS environment variable, unless it sets that option
	// already: XLA's CPU compiler then runs matrix products with Eigen's
	// contraction, not YNNPACK (tffunc.YNNDotsOff; the tutorial's XLA
	// epoch 0.34-0.38 s instead of 0.41-0.44 on an Intel Xeon).
	//
	// XLA pays for models of matrix products; its CPU convolutions are
	// slow: the tutorial's CNN (two Conv2D blocks) trained at 95 ms a step
	// with JITCompile on the same Xeon, 5.3 ms without.
	//
	// Evaluate's and Predict's chunks are compiled too: their outputs
	// differ from the per-batch path's in the last bits (the tutorial's
	// probabilities on the 10,000 test images by at most 1.1e-6; tested
	// within 1e-5), whatever the number of examples in the call. XLA
	// compiles a program per shape of chunk, a few hundred milliseconds
	// each on the first call that needs it, kept for the session: a chunk
	// shorter than K is padded with zero batches to one of four sizes per
	// doubling (312 batches to 320), so that calls of many sizes share
	// programs.
	JITCompile bool
}

// Threads is TensorFlow's intra-op and inter-op parallelism.
type Threads struct {
	// IntraOp is the pool that splits one big operation (a MatMul, a
	// convolution) over cores, for training; 0 lets TensorFlow choose,
	// one thread per core, as Keras runs. The pool is the session's own:
	// importing tfmodel sets TensorFlow's TF_OVERRIDE_GLOBAL_THREADPOOL
	// to 1 unless the environment sets it. With it set to 0, TensorFlow
	// keeps one pool per process, sized by the first session the process
	// opens, and later sessions' IntraOp are ignored. On the tutorial's
	// model on two cores, 1 makes a per-step training epoch 1.4x slower
	// and an XLA epoch (JITCompile) no faster (an Intel Xeon).
	IntraOp int
	// InterOp 0 runs a session run's operations one after another in the
	// calling goroutine's thread, as savedmodel runs a signature: a small
	// model's operations are too short to gain from being handed to a
	// pool (measured on the tutorial's model: per-batch evaluation of the
	// test set 42 -> 24 ms, prediction 21-25 -> 17 ms, a training step
	// 0.50 -> 0.48 ms), and Predict's concurrent runs each bring their own
	// thread. N > 0 hands them to a pool of N threads instead, TensorFlow's
	// way (its default is one per core), which runs independent operations
	// at once; the pool is the session's own. The bits are the same
	// either way.
	InterOp int
	// Inference is where Predict and Evaluate (and so Fit's validation)
	// run; the zero value is InferenceAuto.
	Inference InferenceSession
}

// InferenceSession says which TensorFlow session runs a model's Predict
// and Evaluate.
type InferenceSession int

const (
	// InferenceAuto is InferenceOwn, the faster: a user who needs
	// Predict to give Keras's bits with TensorFlow's oneDNN kernels off
	// asks for InferenceShared.
	InferenceAuto InferenceSession = iota
	// InferenceShared runs them in the training session, on its intra-op
	// pool, as Keras predicts: their outputs are Keras's and a loaded
	// SavedModel's to the bit, oneDNN on or off.
	InferenceShared
	// InferenceOwn runs them in a session of their own on the model's
	// graph, whose intra-op pool has one thread and whose runs go two per
	// core at a time, each op whole in its run's thread, from OS threads
	// of their own (see inference_session.go); it holds a copy of the
	// weights, taken again on a call after training or a restore changed
	// them. Measured on an Intel Xeon (two cores), the tutorial's 10,000
	// test images at batch 32, against InferenceShared: prediction
	// 1.7-2.0x and evaluation 1.6-1.7x faster with oneDNN on, 2.0-2.5x
	// and 1.5-1.7x with it off (go test ./tfmodel -bench
	// 'InferenceLoops/.*/per_batch').
	//
	// With oneDNN on its outputs are the training session's to the bit
	// (tested on the tutorial's model and on the supported parts against
	// Keras). With it off they differ in the last bits: Eigen's MatMul
	// blocks its sums by the size of the pool it runs on, so the outputs
	// differ from the training session's, Keras's and a loaded
	// SavedModel's (the tutorial's probabilities by up to 8.9e-7 over the
	// 10,000 test images after 10 epochs; tested within 1e-6), and the
	// test accuracy measured has been the same. The difference does not grow, since
	// training never reads it; Fit's validation logs carry it, and so
	// what a callback such as EarlyStopping compares.
	InferenceOwn
)

// DefaultCompileOptions is the tutorial's compile: Adam with Keras's
// defaults, sparse categorical cross-entropy, accuracy.
func DefaultCompileOptions() CompileOptions {
	loss, _ := graph.GetLoss("sparse_categorical_crossentropy") // a known name: no error
	return CompileOptions{
		Optimizer: graph.DefaultAdam(),
		Loss:      loss,
		Metrics:   []string{"accuracy"},
	}
}

func (o CompileOptions) validate() error {
	if o.Threads.IntraOp < 0 || o.Threads.InterOp < 0 {
		return fmt.Errorf("compile: thread counts %+v must not be negative", o.Threads)
	}
	if o.Threads.Inference < InferenceAuto || o.Threads.Inference > InferenceOwn {
		return fmt.Errorf("compile: Threads.Inference %d is none of InferenceAuto, InferenceShared, InferenceOwn", o.Threads.Inference)
	}
	if o.StepsPerExecution < 0 {
		return fmt.Errorf("compile: steps per execution %d must not be negative", o.StepsPerExecution)
	}
	if o.Loss == nil {
		return fmt.Errorf("compile: no loss: want one of %v (graph.GetLoss)", graph.KnownLosses())
	}
	if o.Optimizer == nil {
		return fmt.Errorf("compile: no optimizer: want one of %v (graph.GetOptimizer)", graph.KnownOptimizers())
	}
	return o.Optimizer.Validate()
}

// FitOptions is model.fit's arguments. Start from DefaultFitOptions: a zero
// Epochs or BatchSize is an error, not a silent default.
type FitOptions struct {
	Epochs    int
	BatchSize int
	// Shuffle reshuffles the training data before every epoch, from Seed
	// and the epoch number, so a run is reproducible and can resume.
	Shuffle bool
	Seed    uint64
	// InitialEpoch is the first epoch to run (0-based), as Keras's
	// initial_epoch: a resumed run shuffles exactly as the original would.
	InitialEpoch int
	// Validation data, evaluated at the end of every epoch (optional):
	// examples shaped like the training data and their targets
	// (tensor.Int32 labels or tensor.Float32 values).
	ValidationX tensor.Float32
	ValidationY tensor.Tensor
	// ValidationSplit holds out this last fraction of x and y, before
	// shuffling, as validation data: Keras's validation_split.
	ValidationSplit float64
	// Progress receives Keras-style progress; nil prints nothing.
	Progress io.Writer
	// Callbacks run at the end of each epoch and may stop training.
	Callbacks []Callback
}

// DefaultFitOptions is the tutorial's model.fit(epochs=10) with Keras's
// defaults: batch size 32 and shuffling.
func DefaultFitOptions() FitOptions {
	return FitOptions{Epochs: 10, BatchSize: 32, Shuffle: true}
}

// EvaluateOptions is model.evaluate's arguments. A zero BatchSize means
// Keras's 32.
type EvaluateOptions struct {
	BatchSize int
	Progress  io.Writer
}

// PredictOptions is model.predict's arguments. A zero BatchSize means
// Keras's 32.
type PredictOptions struct {
	BatchSize int
}

func batchSizeOrDefault(n int) (int, error) {
	if n == 0 {
		return 32, nil
	}
	if n < 0 {
		return 0, fmt.Errorf("batch size %d must be positive", n)
	}
	return n, nil
}
