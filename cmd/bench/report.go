package main

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// report is everything one run measured, as -json writes it.
type report struct {
	Config    config        `json:"config"`
	Machine   machine       `json:"machine"`
	Started   time.Time     `json:"started"`
	Seconds   float64       `json:"seconds"`
	Go        []trainResult `json:"go"`
	Python    []trainResult `json:"python,omitempty"`
	GoLatency *goLatency    `json:"go_latency,omitempty"`
	PyLatency *pyLatency    `json:"python_latency,omitempty"`
	Probe     *probe        `json:"probe,omitempty"`
	// With -go-modes xla (or -peers): Go trained with XLA, an epoch per
	// session run; with -peers, the peers' runs, seed by seed.
	GoXLA []trainResult `json:"go_xla,omitempty"`
	Peers []peerRun     `json:"peers,omitempty"`
	// With -onednn both: the same measurements with oneDNN the other way.
	OtherOneDNN *report `json:"other_onednn,omitempty"`
}

// trainResult is one training run of either side: what the child wrote,
// plus what the parent saw of the child process.
type trainResult struct {
	Seed          int64     `json:"seed"`
	Epochs        int       `json:"epochs"`
	BatchSize     int       `json:"batch_size"`
	TrainExamples int       `json:"train_examples"`
	EpochSeconds  []float64 `json:"epoch_seconds"` // from the end of the previous epoch (or the start of fit) to the end of this one
	TrainLoss     float64   `json:"train_loss"`
	TrainAccuracy float64   `json:"train_accuracy"`
	TestLoss      float64   `json:"test_loss"`
	TestAccuracy  float64   `json:"test_accuracy"`
	// Batch prediction of the test set, timed PredictSeconds after one
	// untimed warm-up call.
	PredictImages  int       `json:"predict_images"`
	PredictSeconds []float64 `json:"predict_seconds"`
	// Evaluation of the same images (loss and accuracy, batches as
	// predicted), timed EvaluateSeconds after the one that gave
	// TestAccuracy; none from results written before it was timed.
	EvaluateSeconds []float64 `json:"evaluate_seconds,omitempty"`
	// Where Threads.Inference's default runs Predict and Evaluate in an
	// inference session of their own, the same weights' in the training
	// session (InferenceShared, Keras's bits); nil where the default is
	// the training session, and for Go XLA.
	SharedSession *sharedSessionResult `json:"shared_session,omitempty"`
	// getrusage(RUSAGE_SELF).ru_maxrss read in the child right after fit.
	PeakRSSKBAfterTraining int64 `json:"peak_rss_kb_after_training"`
	// The child's whole-life ru_maxrss (training, evaluation, prediction,
	// saving) as the parent's wait4 reports it.
	ChildMaxRSSKB int64   `json:"child_max_rss_kb"`
	ChildSeconds  float64 `json:"child_seconds"`
	JITCompile    *bool   `json:"jit_compile,omitempty"` // Keras's resolved jit_compile; Go XLA's
	// Go XLA's training steps per session run.
	StepsPerExecution int               `json:"steps_per_execution,omitempty"`
	Versions          map[string]string `json:"versions,omitempty"`
	Threads           *threadsInfo      `json:"threads,omitempty"`
	// Whether TensorFlow's oneDNN kernels were on in the Go child, and why
	// (internal/onednn.Setting); the Python child has the same environment.
	OneDNN string `json:"onednn,omitempty"`
}

// sharedSessionResult is a Go training run's Predict and Evaluate timed with
// Threads.Inference InferenceShared, as trainResult times the default's.
type sharedSessionResult struct {
	PredictSeconds  []float64 `json:"predict_seconds"`
	EvaluateSeconds []float64 `json:"evaluate_seconds"`
	// The largest difference between its predictions of the test images
	// and the default's, and its test accuracy.
	MaxAbsDiff   float64 `json:"max_abs_diff"`
	TestAccuracy float64 `json:"test_accuracy"`
}

type threadsInfo struct {
	IntraOp int `json:"intra_op"`
	InterOp int `json:"inter_op"`
}

func (t trainResult) steps() int {
	return (t.TrainExamples + t.BatchSize - 1) / t.BatchSize
}

func (t trainResult) summary() string {
	return fmt.Sprintf("epochs %s s; test accuracy %.4f; predict %.3f s; peak RSS %s after training",
		formatList(t.EpochSeconds, 2), t.TestAccuracy, median(t.PredictSeconds), mib(t.PeakRSSKBAfterTraining))
}

// goLatency is the Go latency child's result: seconds per single-image
// prediction, one entry per timed call.
type goLatency struct {
	Image int `json:"image"`
	// savedmodel.Load + Model.Predict of a [1 28 28] tensor on the SavedModel Go wrote.
	SavedModelPredict []float64 `json:"savedmodel_predict_seconds"`
	// The same SavedModel through a bare Session.Run of its serving
	// signature, tensors copied flat, in the caller's thread as
	// savedmodel's sessions run: the floor under savedmodel.Predict.
	SessionRun []float64 `json:"session_run_seconds"`
	// savedmodel.Predict on the SavedModel that Keras's model.export wrote.
	KerasExportPredict []float64 `json:"keras_export_predict_seconds,omitempty"`
}

// pyLatency is the Python latency child's result (see
// scripts/bench_keras.py).
type pyLatency struct {
	Image                 int               `json:"image"`
	KerasPredict          []float64         `json:"keras_predict_seconds"`
	KerasCall             []float64         `json:"keras_call_seconds"`
	GoSavedModelSignature []float64         `json:"go_savedmodel_signature_seconds"`
	KerasExportSignature  []float64         `json:"keras_export_signature_seconds"`
	TrivialCall           []float64         `json:"trivial_call_seconds"`
	Versions              map[string]string `json:"versions,omitempty"`
	Threads               *threadsInfo      `json:"threads,omitempty"`
}

// probe is the Go probe child's result: the machine's MatMul peak and the
// costs a training step is made of, measured through the same TensorFlow
// runtime the model trains on.
type probe struct {
	MatMulN       int       `json:"matmul_n"`
	MatMulSeconds []float64 `json:"matmul_seconds"` // per n×n·n×n product
	// One Session.Run of a graph with the training step's interface (32
	// int32 indices fed, two float scalars fetched) and nothing else.
	TrivialRunSeconds []float64 `json:"trivial_run_seconds"`
	// The same graph in a session that runs it in the calling thread, as
	// savedmodel's do: the C API's floor under a prediction.
	TrivialCallerRunSeconds []float64 `json:"trivial_caller_run_seconds,omitempty"`
	// FloorSteps training steps, unrolled into one graph and chained by
	// control dependencies, run by one Session.Run: seconds per run. This
	// and the rest below are timed round by round (probe_step.go).
	FloorSteps      int       `json:"floor_steps"`
	FloorRunSeconds []float64 `json:"floor_run_seconds"`
	// The same step graph built with one step, one Session.Run per step:
	// seconds per run (each the mean of FloorSteps runs in a round).
	OneStepRunSeconds []float64 `json:"one_step_run_seconds"`
	// tfmodel's Fit training the same model, epochs of FloorSteps steps
	// on FloorSteps batches of random images, timed in the same rounds as
	// the floor, the one-step runs and the convolutions: seconds per epoch.
	FitEpochSeconds []float64 `json:"fit_epoch_seconds,omitempty"`
	// A model's convolution kernels alone (forward, filter and input
	// gradients), FloorSteps steps unrolled per run as for the floor:
	// seconds per run; none for a model without convolutions.
	ConvRunSeconds []float64 `json:"conv_run_seconds,omitempty"`
	// For a model of Dense layers, the floor of a whole-epoch XLA loop:
	// the step's matrix products, then with Adam's update, compiled
	// (probe_xla_floor.go); none for other models.
	XLAFloor *xlaFloor `json:"xla_floor,omitempty"`
}

func (p *probe) matmulGFLOPS() float64 {
	n := float64(p.MatMulN)
	return 2 * n * n * n / median(p.MatMulSeconds) / 1e9
}

// floorStepSeconds is the kernel floor of one training step: what the
// step's graph costs without the per-call cost, the lower of two ways to
// take that out. Unrolling FloorSteps steps into one run pays it once for
// all; but a graph 50 steps long runs slower per step than a single step
// does (measured on this machine on both models, oneDNN on and off: 7–15%
// slower for the CNN, 7% for the MLP), so one step per run, less a
// trivial run's cost, can be the lower figure.
func (p *probe) floorStepSeconds() float64 {
	floor := p.unrolledStepSeconds()
	if len(p.OneStepRunSeconds) > 0 && len(p.TrivialRunSeconds) > 0 {
		floor = min(floor, median(p.OneStepRunSeconds)-median(p.TrivialRunSeconds))
	}
	return floor
}

// unrolledStepSeconds is a step of the FloorSteps unrolled into one run.
func (p *probe) unrolledStepSeconds() float64 {
	return median(p.FloorRunSeconds) / float64(p.FloorSteps)
}

// fitStepSeconds is tfmodel's training step measured alongside the floor,
// or NaN (reports from before it was).
func (p *probe) fitStepSeconds() float64 {
	return median(p.FitEpochSeconds) / float64(p.FloorSteps)
}

// convStepSeconds is the convolution kernels' part of a step, or NaN.
func (p *probe) convStepSeconds() float64 {
	return median(p.ConvRunSeconds) / float64(p.FloorSteps)
}

func writeJSON(path string, r *report) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// readJSON reads a child's result file.
func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
