package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	corepb "github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"
	"google.golang.org/protobuf/proto"

	"github.com/gokeras/fashion/internal/onednn"
	"github.com/gokeras/fashion/internal/pyenv"
	"github.com/gokeras/fashion/loader"
	"github.com/gokeras/fashion/savedmodel"
	"github.com/gokeras/fashion/tensor"
	"github.com/gokeras/fashion/tfmodel"
)

// runner starts the children and collects their results.
type runner struct {
	cfg            config
	work           string
	exe            string
	python, script string
	stderr         io.Writer
	// With -peers: .venv.peers's Python and the directory of the peers'
	// scripts.
	peersPython, peersScripts string
}

// modelPaths are the models the first seed's runs save for the latency
// children.
type modelPaths struct {
	Go          string // SavedModel written by tfmodel.Save
	Keras       string // model.save(...keras)
	KerasExport string // model.export(...)
}

func newRunner(cfg config, work string, stderr io.Writer) (*runner, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("cannot find my own executable to run the Go children: %w", err)
	}
	r := &runner{cfg: cfg, work: work, exe: exe, stderr: stderr}
	if err := r.findPeers(); err != nil {
		return nil, err
	}
	if !cfg.needsMainPython() {
		return r, nil
	}
	if r.python = cfg.python; r.python == "" {
		if r.python, err = pyenv.Python(); err != nil {
			return nil, fmt.Errorf("%w (or pass -python, or -skip-python)", err)
		}
	}
	if cfg.SkipPython {
		return r, nil
	}
	if r.script = cfg.script; r.script == "" {
		root, err := pyenv.Root()
		if err != nil {
			return nil, err
		}
		r.script = filepath.Join(root, "scripts", "bench_keras.py")
	}
	if _, err := os.Stat(r.script); err != nil {
		return nil, fmt.Errorf("the Keras side's script: %w (pass -script)", err)
	}
	return r, nil
}

// childRun is what the parent sees of a finished child.
type childRun struct {
	maxRSSKB int64
	seconds  float64
}

// run runs one child to completion. A child that fails is an error that
// names it, gives its command line and the end of its output (where Go's
// error or Python's traceback is).
func (r *runner) run(ctx context.Context, name string, cmd *exec.Cmd) (childRun, error) {
	tail := &tailBuffer{max: 8 << 10}
	var w io.Writer = tail
	if r.cfg.verbose {
		w = io.MultiWriter(tail, r.stderr)
	}
	cmd.Stdout, cmd.Stderr = w, w
	// A child with an environment of its own (a peer side's XLA_FLAGS)
	// keeps it.
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, "TF_CPP_MIN_LOG_LEVEL=2", "PYTHONUNBUFFERED=1")
	start := time.Now()
	err := cmd.Run()
	if ctx.Err() != nil {
		return childRun{}, fmt.Errorf("%s: %w", name, ctx.Err())
	}
	if err != nil {
		return childRun{}, fmt.Errorf("%s failed: %w\ncommand: %s\n--- end of its output ---\n%s", name, err, cmd.String(), tail.String())
	}
	run := childRun{seconds: time.Since(start).Seconds()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		run.maxRSSKB = ru.Maxrss // KiB on Linux
	}
	return run, nil
}

// goChild is a command running this binary in a child mode.
func (r *runner) goChild(ctx context.Context, mode, out string, args ...string) *exec.Cmd {
	os.Remove(out) // a result left by an earlier run in the same -workdir must not be read as this one's
	c := r.cfg
	base := []string{"-child", mode, "-child-out", out, "-model", c.Model,
		"-data", c.Data, "-threads", fmt.Sprintf("%d,%d", c.IntraOp, c.InterOp),
		"-epochs", strconv.Itoa(c.Epochs), "-predict-repeats", strconv.Itoa(c.PredictRepeats),
		"-latency-n", strconv.Itoa(c.LatencyN), "-latency-warmup", strconv.Itoa(c.LatencyWarmup),
		"-probe-steps", strconv.Itoa(c.ProbeSteps), "-matmul-n", strconv.Itoa(c.MatMulN)}
	return exec.CommandContext(ctx, r.exe, append(base, args...)...)
}

func (r *runner) goTrain(ctx context.Context, seed int64, save bool, m modelPaths) (trainResult, error) {
	out := filepath.Join(r.work, fmt.Sprintf("go-train-seed%d.json", seed))
	args := []string{"-first-seed", strconv.FormatInt(seed, 10)}
	if save {
		args = append(args, "-child-save", m.Go)
	}
	name := fmt.Sprintf("Go training child (seed %d)", seed)
	return runTrainingChild(ctx, r, name, r.goChild(ctx, "go-train", out, args...), out, readResult[trainResult])
}

func (r *runner) goLatency(ctx context.Context, m modelPaths, withKeras bool) (*goLatency, error) {
	out := filepath.Join(r.work, "go-latency.json")
	models := m.Go
	if withKeras {
		models += "," + m.KerasExport
	}
	const name = "Go latency child"
	if _, err := r.run(ctx, name, r.goChild(ctx, "go-latency", out, "-child-models", models)); err != nil {
		return nil, err
	}
	res := new(goLatency)
	if err := readJSON(out, res); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return res, nil
}

func (r *runner) goProbe(ctx context.Context) (*probe, error) {
	out := filepath.Join(r.work, "go-probe.json")
	const name = "Go probe child"
	if _, err := r.run(ctx, name, r.goChild(ctx, "go-probe", out)); err != nil {
		return nil, err
	}
	res := new(probe)
	if err := readJSON(out, res); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return res, nil
}

// runChildMode runs this process as one of the children.
func runChildMode(ctx context.Context, cfg config) error {
	if cfg.childOut == "" {
		return errors.New("-child needs -child-out")
	}
	var (
		res any
		err error
	)
	switch cfg.child {
	case "go-train":
		res, err = childGoTrain(ctx, cfg)
	case "go-latency":
		res, err = childGoLatency(cfg)
	case "go-probe":
		res, err = childGoProbe(ctx, cfg)
	default:
		return fmt.Errorf("-child %q: want go-train, go-latency or go-probe", cfg.child)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", cfg.child, err)
	}
	return writeResult(cfg.childOut, res)
}

func writeResult(path string, v any) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := json.NewEncoder(f).Encode(v); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// loadData reads the data set from the directory the parent resolved.
func loadData(cfg config) (*loader.Dataset, error) {
	if cfg.Data == "" {
		return loader.Load("")
	}
	return loader.LoadDir(cfg.Data)
}

// childGoTrain is the Go side of one training run: cmd/train's tutorial
// without its printing, timed.
func childGoTrain(ctx context.Context, cfg config) (*trainResult, error) {
	data, err := loadData(cfg)
	if err != nil {
		return nil, err
	}
	m, err := newModel(cfg.Model)
	if err != nil {
		return nil, err
	}
	trainX, testX := data.Train.ScaledTensor(), data.Test.ScaledTensor()
	trainY, testY := tensor.Labels(data.Train.Labels), tensor.Labels(data.Test.Labels)
	opts := tfmodel.DefaultCompileOptions()
	opts.Seed = cfg.FirstSeed
	opts.Threads = tfmodel.Threads{IntraOp: cfg.IntraOp, InterOp: cfg.InterOp}
	if cfg.childXLA {
		// tfmodel's fast path: an epoch's whole batches in one session
		// run, a While loop XLA compiles into one program.
		opts.JITCompile, opts.StepsPerExecution = true, data.Train.Len()/cfg.BatchSize
	}
	if err := m.Compile(opts); err != nil {
		return nil, err
	}
	defer m.Close()

	fit := tfmodel.DefaultFitOptions()
	fit.Epochs, fit.BatchSize, fit.Seed = cfg.Epochs, cfg.BatchSize, uint64(cfg.FirstSeed)
	var ends []time.Time
	fit.Callbacks = []tfmodel.Callback{tfmodel.CallbackFunc(func(*tfmodel.Sequential, int, tfmodel.Logs) (tfmodel.Action, error) {
		ends = append(ends, time.Now())
		return tfmodel.Continue, nil
	})}
	start := time.Now()
	h, err := m.Fit(ctx, trainX, trainY, fit)
	if err != nil {
		return nil, err
	}
	res := &trainResult{
		Seed: cfg.FirstSeed, Epochs: cfg.Epochs, BatchSize: cfg.BatchSize, TrainExamples: data.Train.Len(),
		PeakRSSKBAfterTraining: maxRSSKB(),
		TrainLoss:              last(h.History["loss"]), TrainAccuracy: last(h.History["accuracy"]),
		Versions: map[string]string{"go": goVersion(), "tensorflow": tf.Version()},
		Threads:  &threadsInfo{IntraOp: cfg.IntraOp, InterOp: cfg.InterOp},
		OneDNN:   onednn.Setting(),
	}
	if cfg.childXLA {
		res.JITCompile, res.StepsPerExecution = &opts.JITCompile, opts.StepsPerExecution
	}
	prev := start
	for _, e := range ends {
		res.EpochSeconds = append(res.EpochSeconds, e.Sub(prev).Seconds())
		prev = e
	}
	test, err := m.Evaluate(testX, testY, tfmodel.EvaluateOptions{BatchSize: cfg.BatchSize})
	if err != nil {
		return nil, err
	}
	res.TestLoss, res.TestAccuracy = test["loss"], test["accuracy"]
	evaluate := func() error {
		_, err := m.Evaluate(testX, testY, tfmodel.EvaluateOptions{BatchSize: cfg.BatchSize})
		return err
	}
	// No warm-up: the evaluation above was one.
	if res.EvaluateSeconds, err = timeCalls(0, cfg.PredictRepeats, evaluate); err != nil {
		return nil, err
	}
	res.PredictImages = data.Test.Len()
	predict := func() error {
		_, err := m.Predict(testX, tfmodel.PredictOptions{BatchSize: cfg.BatchSize})
		return err
	}
	if res.PredictSeconds, err = timeCalls(1, cfg.PredictRepeats, predict); err != nil {
		return nil, err
	}
	if !cfg.childXLA && opts.Threads.Inference.Own() {
		if res.SharedSession, err = timeSharedSession(m, opts, cfg, testX, testY); err != nil {
			return nil, fmt.Errorf("predicting in the training session: %w", err)
		}
	}
	if cfg.childSave != "" {
		if err := m.Save(cfg.childSave); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// timeSharedSession times the trained model's Predict and Evaluate as
// childGoTrain does, in the training session (Threads.Inference
// InferenceShared: Keras's bits, oneDNN on or off), for a run whose
// default runs them in an inference session of their own: the same
// weights, through a checkpoint, in a second model compiled with that
// option.
func timeSharedSession(trained *tfmodel.Sequential, opts tfmodel.CompileOptions, cfg config, x tensor.Float32, y tensor.Tensor) (*sharedSessionResult, error) {
	dir, err := os.MkdirTemp("", "bench-shared-session-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	prefix := filepath.Join(dir, "ckpt")
	if err := trained.SaveCheckpoint(prefix); err != nil {
		return nil, err
	}
	m, err := newModel(cfg.Model)
	if err != nil {
		return nil, err
	}
	opts.Threads.Inference = tfmodel.InferenceShared
	if err := m.Compile(opts); err != nil {
		return nil, err
	}
	defer m.Close()
	if _, err := m.RestoreCheckpoint(prefix); err != nil {
		return nil, err
	}
	batch := tfmodel.PredictOptions{BatchSize: cfg.BatchSize}
	own, err := trained.Predict(x, batch)
	if err != nil {
		return nil, err
	}
	shared, err := m.Predict(x, batch)
	if err != nil {
		return nil, err
	}
	res := &sharedSessionResult{MaxAbsDiff: maxAbsDiff(shared.Data, own.Data)}
	test, err := m.Evaluate(x, y, tfmodel.EvaluateOptions{BatchSize: cfg.BatchSize})
	if err != nil {
		return nil, err
	}
	res.TestAccuracy = test["accuracy"]
	if res.EvaluateSeconds, err = timeCalls(0, cfg.PredictRepeats, func() error {
		_, err := m.Evaluate(x, y, tfmodel.EvaluateOptions{BatchSize: cfg.BatchSize})
		return err
	}); err != nil {
		return nil, err
	}
	if res.PredictSeconds, err = timeCalls(0, cfg.PredictRepeats, func() error {
		_, err := m.Predict(x, batch)
		return err
	}); err != nil {
		return nil, err
	}
	return res, nil
}

// maxAbsDiff is the largest |a[i] - b[i]|.
func maxAbsDiff(a, b []float32) float64 {
	var d float64
	for i := range a {
		d = max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}

// latencyImage is the test image every latency measurement predicts.
const latencyImage = 0

// childGoLatency times single-image predictions from loaded SavedModels.
// The methods take turns call by call, so that a change in the machine's
// load during the measurement hits them all alike.
func childGoLatency(cfg config) (*goLatency, error) {
	data, err := loadData(cfg)
	if err != nil {
		return nil, err
	}
	m, err := newModel(cfg.Model)
	if err != nil {
		return nil, err
	}
	img := data.Test.Scaled()[latencyImage*loader.ImageSize : (latencyImage+1)*loader.ImageSize]
	one := tensor.Float32{Shape: append([]int{1}, m.InputShape()...), Data: img}
	dirs := strings.Split(cfg.childModels, ",")
	res := &goLatency{Image: latencyImage}
	var closers []func()
	defer func() {
		for _, c := range closers {
			c()
		}
	}()

	var fns []func() error
	predictWith := func(dir string) error {
		sm, err := savedmodel.Load(dir)
		if err != nil {
			return err
		}
		closers = append(closers, func() { sm.Close() })
		fns = append(fns, func() error {
			_, err := sm.Predict(one)
			return err
		})
		return nil
	}
	if err := predictWith(dirs[0]); err != nil {
		return nil, err
	}
	bare, closeBare, err := bareSession(cfg, dirs[0], one)
	if err != nil {
		return nil, err
	}
	closers = append(closers, closeBare)
	fns = append(fns, bare)
	if len(dirs) > 1 {
		if err := predictWith(dirs[1]); err != nil {
			return nil, err
		}
	}
	times, err := timeInterleaved(cfg.LatencyWarmup, cfg.LatencyN, fns...)
	if err != nil {
		return nil, err
	}
	res.SavedModelPredict, res.SessionRun = times[0], times[1]
	if len(times) > 2 {
		res.KerasExportPredict = times[2]
	}
	return res, nil
}

// bareSession returns a call that runs the serving signature of the
// SavedModel at dir with nothing around Session.Run but copying the image
// in and the probabilities out, in a session that runs it in the caller's
// thread as savedmodel.Load's do, the intra-op pool as the benchmark sets
// it.
func bareSession(cfg config, dir string, img tensor.Float32) (call func() error, closeFn func(), err error) {
	opts, err := callerThreadOptions(cfg)
	if err != nil {
		return nil, nil, err
	}
	saved, err := tf.LoadSavedModel(dir, []string{"serve"}, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("load %s: %w", dir, err)
	}
	closeFn = func() { saved.Session.Close() }
	sig, ok := saved.Signatures["serving_default"]
	if !ok || len(sig.Inputs) != 1 || len(sig.Outputs) != 1 {
		closeFn()
		return nil, nil, fmt.Errorf("%s: no serving_default signature with one input and one output", dir)
	}
	var in, out tf.Output
	for _, ti := range sig.Inputs {
		in, err = graphOutput(saved.Graph, ti.Name)
	}
	if err == nil {
		for _, ti := range sig.Outputs {
			out, err = graphOutput(saved.Graph, ti.Name)
		}
	}
	if err != nil {
		closeFn()
		return nil, nil, err
	}
	probs := make([]float32, loader.NumClasses)
	raw := unsafe.Slice((*byte)(unsafe.Pointer(&img.Data[0])), len(img.Data)*4)
	dst := unsafe.Slice((*byte)(unsafe.Pointer(&probs[0])), len(probs)*4)
	shape := make([]int64, len(img.Shape))
	for i, d := range img.Shape {
		shape[i] = int64(d)
	}
	call = func() error {
		t, err := tf.ReadTensor(tf.Float, shape, bytes.NewReader(raw))
		if err != nil {
			return err
		}
		res, err := saved.Session.Run(map[tf.Output]*tf.Tensor{in: t}, []tf.Output{out}, nil)
		if err != nil {
			return err
		}
		_, err = res[0].WriteContentsTo(bytes.NewBuffer(dst[:0]))
		return err
	}
	return call, closeFn, nil
}

// graphOutput finds "op:index" in g.
func graphOutput(g *tf.Graph, name string) (tf.Output, error) {
	opName, idx := name, 0
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		n, err := strconv.Atoi(name[i+1:])
		if err != nil {
			return tf.Output{}, fmt.Errorf("tensor name %q", name)
		}
		opName, idx = name[:i], n
	}
	o := g.Operation(opName)
	if o == nil {
		return tf.Output{}, fmt.Errorf("no operation %q in the graph", opName)
	}
	return o.Output(idx), nil
}

// sessionOptions carries the benchmark's thread settings, as
// tfmodel.Compile sets them.
func sessionOptions(cfg config) (*tf.SessionOptions, error) {
	b, err := proto.Marshal(&corepb.ConfigProto{
		IntraOpParallelismThreads: int32(cfg.IntraOp),
		InterOpParallelismThreads: int32(cfg.InterOp),
	})
	if err != nil {
		return nil, err
	}
	return &tf.SessionOptions{Config: b}, nil
}

// callerThreadOptions are sessionOptions with the ops run in the thread
// that calls Session.Run (a negative inter-op thread count), as
// savedmodel.Load makes its sessions.
func callerThreadOptions(cfg config) (*tf.SessionOptions, error) {
	cfg.InterOp = -1
	return sessionOptions(cfg)
}

// timeCalls calls fn warmup times untimed, then n times timed; it returns
// the seconds of each timed call.
func timeCalls(warmup, n int, fn func() error) ([]float64, error) {
	for range warmup {
		if err := fn(); err != nil {
			return nil, err
		}
	}
	out := make([]float64, n)
	for i := range out {
		t := time.Now()
		if err := fn(); err != nil {
			return nil, err
		}
		out[i] = time.Since(t).Seconds()
	}
	return out, nil
}

// timeInterleaved is timeCalls for several functions taking turns: each
// round calls every function once. It returns each one's timed seconds.
func timeInterleaved(warmup, n int, fns ...func() error) ([][]float64, error) {
	out := make([][]float64, len(fns))
	for i := range out {
		out[i] = make([]float64, 0, n)
	}
	for round := range warmup + n {
		for i, fn := range fns {
			t := time.Now()
			if err := fn(); err != nil {
				return nil, err
			}
			if round >= warmup {
				out[i] = append(out[i], time.Since(t).Seconds())
			}
		}
	}
	return out, nil
}

// maxRSSKB is this process's peak resident set so far, in KiB.
func maxRSSKB() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Maxrss
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	buf []byte
	cut bool
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
		t.cut = true
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	s := strings.TrimRight(string(t.buf), "\n")
	if s == "" {
		return "(no output)"
	}
	if t.cut {
		s = "...\n" + s
	}
	return s
}

// last is the last value of a history's series.
func last(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	return v[len(v)-1]
}
