// Command bench measures one of the Fashion-MNIST models (package
// internal/tutorial: the tutorial's MLP, or the CNN) trained and served from
// Go on TensorFlow's C API against the same model in Python Keras (the
// .venv's Keras 3 on the same TensorFlow build), side by side in one run on
// one machine, and prints a table of the results with the Go/Python ratio of
// each and whether the project's targets are met:
//
//	go run ./cmd/bench                       # the full run of the MLP: 10 epochs × 3 seeds per side
//	go run ./cmd/bench -model cnn            # the same for the CNN
//	go run ./cmd/bench -epochs 2 -seeds 1    # a quick check
//	go run ./cmd/bench -peers all            # with Go's XLA epoch loop, Python TF's, JAX, PyTorch and ONNX Runtime (scripts/peers-install.sh first; peers.go)
//	go run ./cmd/bench -markdown BENCHMARKS.md -json bench.json
//	go run ./cmd/bench -render bench.json -markdown BENCHMARKS.md  # report an earlier run again
//
// Every measurement runs in a child process, so that each one's peak RSS is
// its own and no run inherits another's memory or threads: bench re-executes
// itself with a hidden -child mode for the Go side (training, latency,
// runtime probes) and runs scripts/bench_keras.py with the .venv's Python for
// the Keras side. Go and Python training runs alternate seed by seed so that
// drift in the machine's load spreads over both sides. The children write
// raw timings as JSON; medians and percentiles are computed here, with the
// same code for both sides.
//
// What is measured, and how, is written out in the Markdown report that
// -markdown writes (see methodText in markdown.go), which is the project's
// BENCHMARKS.md: one section per model, a run rewriting its own model's.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gokeras/fashion/internal/tutorial"
)

// config is the command line.
type config struct {
	Model          string `json:"model"` // a tutorial.Models name; "" in reports from before -model: the MLP
	Epochs         int    `json:"epochs"`
	Seeds          int    `json:"seeds"`
	FirstSeed      int64  `json:"first_seed"`
	BatchSize      int    `json:"batch_size"`
	Data           string `json:"data"`
	Threads        string `json:"threads"`
	IntraOp        int    `json:"intra_op"`
	InterOp        int    `json:"inter_op"`
	LatencyN       int    `json:"latency_n"`
	LatencyWarmup  int    `json:"latency_warmup"`
	PredictRepeats int    `json:"predict_repeats"`
	ProbeSteps     int    `json:"probe_steps"`
	MatMulN        int    `json:"matmul_n"`
	KerasJIT       string `json:"keras_jit_compile"`
	SkipPython     bool   `json:"skip_python"`
	SkipProbe      bool   `json:"skip_probe"`
	OneDNN         string `json:"onednn"`
	// Peers are the peer sides -peers selected (peers.go), GoXLA whether
	// the Go XLA side runs (-go-modes).
	Peers   []string `json:"peers,omitempty"`
	GoXLA   bool     `json:"go_xla,omitempty"`
	Command string   `json:"command"`

	python, script string
	peers, goModes string
	peersVenv      string
	markdown       string
	jsonOut        string
	render         string
	workDir        string
	keep, verbose  bool

	// Hidden: the child modes.
	child       string
	childOut    string
	childSave   string
	childModels string
	childXLA    bool
}

// Defaults of the full run, the one BENCHMARKS.md reports; a run with less
// is labelled reduced.
const (
	fullEpochs   = 10
	fullSeeds    = 3
	fullLatencyN = 1000
)

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Model, "model", tutorial.Models[0], fmt.Sprintf("the model, one of %s (package internal/tutorial)", strings.Join(tutorial.Models, ", ")))
	fs.IntVar(&c.Epochs, "epochs", fullEpochs, "training epochs per run (the steady epoch time is the median of epochs 2..N)")
	fs.IntVar(&c.Seeds, "seeds", fullSeeds, "training runs per side, with seeds first-seed, first-seed+1, ...")
	fs.Int64Var(&c.FirstSeed, "first-seed", 1, "seed of the first training run")
	fs.StringVar(&c.Data, "data", "", "Fashion-MNIST directory (default: loader.Load's search: Keras cache, Debian's package)")
	fs.StringVar(&c.Threads, "threads", "0", "TensorFlow thread pools on both sides: INTRA[,INTER], or one N for both; 0 is TensorFlow's default (one thread per core), but for Go's inter-op 0, tfmodel's default: a run's operations in the caller's thread")
	fs.IntVar(&c.LatencyN, "latency-n", fullLatencyN, "timed single-image predictions per method, after the warm-up")
	fs.IntVar(&c.LatencyWarmup, "latency-warmup", 100, "untimed single-image predictions before timing")
	fs.IntVar(&c.PredictRepeats, "predict-repeats", 3, "timed batch predictions of the test set per run (median reported), after one warm-up")
	fs.IntVar(&c.ProbeSteps, "probe-steps", 50, "training steps unrolled into one session run for the kernel floor")
	fs.IntVar(&c.MatMulN, "matmul-n", 2048, "size of the square float32 MatMul that measures the machine's peak")
	fs.StringVar(&c.KerasJIT, "keras-jit", "auto", "Keras compile(jit_compile=...): auto (Keras's default: no XLA on a CPU-only machine), true or false")
	fs.BoolVar(&c.SkipPython, "skip-python", false, "skip the Keras side: run the Go side (and -peers) only")
	fs.BoolVar(&c.SkipProbe, "skip-probe", false, "skip the MatMul peak and step-overhead probes")
	fs.StringVar(&c.OneDNN, "onednn", "default", "TensorFlow's oneDNN kernels on both sides: default (the machine's, or TF_ENABLE_ONEDNN_OPTS as set), on, off, or both (the whole run with the machine's default, then again with the other setting, compared in the report)")
	fs.StringVar(&c.peers, "peers", "", fmt.Sprintf("peer sides training the MLP too, comma-separated: %s (default none; JAX, PyTorch and ONNX Runtime need %s first)", strings.Join(peerNames(), ", "), peersInstall))
	fs.StringVar(&c.peersVenv, "peers-venv", "", "the peers' virtual environment (default: the repository's .venv.peers)")
	fs.StringVar(&c.goModes, "go-modes", "auto", "Go training sides: step (tfmodel's default, one session run per step) and xla (StepsPerExecution = the steps of an epoch, JITCompile), comma-separated; auto: both with -peers, step alone without")
	fs.StringVar(&c.python, "python", "", "Python interpreter (default: the repository's .venv/bin/python)")
	fs.StringVar(&c.script, "script", "", "the Keras side's script (default: scripts/bench_keras.py in the repository)")
	fs.StringVar(&c.markdown, "markdown", "", "write the Markdown report to this file (BENCHMARKS.md); text below its keep-below marker is kept")
	fs.StringVar(&c.jsonOut, "json", "", "write all raw results to this JSON file")
	fs.StringVar(&c.render, "render", "", "measure nothing: report the run an earlier -json wrote to this file again (with -markdown, into its model's section)")
	fs.StringVar(&c.workDir, "workdir", "", "directory for the children's models and results (default: a temporary one, removed at the end)")
	fs.BoolVar(&c.keep, "keep", false, "keep the work directory")
	fs.BoolVar(&c.verbose, "v", false, "pass the children's standard error through")
	fs.StringVar(&c.child, "child", "", "internal: run as a child (go-train, go-latency, go-probe)")
	fs.StringVar(&c.childOut, "child-out", "", "internal: the child's result file")
	fs.StringVar(&c.childSave, "child-save", "", "internal: where go-train saves its SavedModel")
	fs.StringVar(&c.childModels, "child-models", "", "internal: go-latency's SavedModels, GO_DIR[,KERAS_DIR]")
	fs.BoolVar(&c.childXLA, "child-xla", false, "internal: go-train trains with XLA, a whole epoch per session run")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: go run ./cmd/bench [flags]\n\nTrains, evaluates and serves a tutorial model in Go and in Python Keras and compares them.\n\nflags:\n")
		fs.VisitAll(func(f *flag.Flag) {
			if strings.HasPrefix(f.Name, "child") {
				return
			}
			fmt.Fprintf(fs.Output(), "  -%s\n    \t%s", f.Name, f.Usage)
			if f.DefValue != "" && f.DefValue != "false" {
				fmt.Fprintf(fs.Output(), " (default %s)", f.DefValue)
			}
			fmt.Fprintln(fs.Output())
		})
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	c.BatchSize = 32
	var err error
	if c.IntraOp, c.InterOp, err = parseThreads(c.Threads); err != nil {
		return c, err
	}
	if c.Peers, err = parsePeers(c.peers); err != nil {
		return c, err
	}
	if c.GoXLA, err = parseGoModes(c.goModes, len(c.Peers) > 0); err != nil {
		return c, err
	}
	switch {
	case !tutorial.Known(c.Model):
		return c, fmt.Errorf("-model %q: want one of %s", c.Model, strings.Join(tutorial.Models, ", "))
	case c.Epochs < 1:
		return c, fmt.Errorf("-epochs %d: want at least 1", c.Epochs)
	case c.Seeds < 1:
		return c, fmt.Errorf("-seeds %d: want at least 1", c.Seeds)
	case c.LatencyN < 1 || c.LatencyWarmup < 0:
		return c, fmt.Errorf("-latency-n %d, -latency-warmup %d: want n ≥ 1, warm-up ≥ 0", c.LatencyN, c.LatencyWarmup)
	case c.PredictRepeats < 1:
		return c, fmt.Errorf("-predict-repeats %d: want at least 1", c.PredictRepeats)
	case c.ProbeSteps < 2:
		return c, fmt.Errorf("-probe-steps %d: want at least 2", c.ProbeSteps)
	case c.MatMulN < 64:
		return c, fmt.Errorf("-matmul-n %d: want at least 64", c.MatMulN)
	case c.KerasJIT != "auto" && c.KerasJIT != "true" && c.KerasJIT != "false":
		return c, fmt.Errorf("-keras-jit %q: want auto, true or false", c.KerasJIT)
	case c.OneDNN != "default" && c.OneDNN != "on" && c.OneDNN != "off" && c.OneDNN != "both":
		return c, fmt.Errorf("-onednn %q: want default, on, off or both", c.OneDNN)
	case len(c.Peers) > 0 && c.Model != "mlp":
		return c, fmt.Errorf("-peers: the peer sides train the tutorial's MLP only, not -model %s", c.Model)
	}
	c.Command = commandLine(args)
	return c, nil
}

// parseThreads reads -threads: "N" (both pools N) or "INTRA,INTER".
func parseThreads(s string) (intra, inter int, err error) {
	parts := strings.Split(s, ",")
	if len(parts) > 2 {
		return 0, 0, fmt.Errorf("-threads %q: want N or INTRA,INTER", s)
	}
	var n [2]int
	for i, p := range parts {
		if n[i], err = strconv.Atoi(strings.TrimSpace(p)); err != nil || n[i] < 0 {
			return 0, 0, fmt.Errorf("-threads %q: want N or INTRA,INTER with non-negative counts", s)
		}
	}
	if len(parts) == 1 {
		return n[0], n[0], nil
	}
	return n[0], n[1], nil
}

// commandLine is how to repeat this run, for the report.
func commandLine(args []string) string {
	var b strings.Builder
	b.WriteString("go run ./cmd/bench")
	for _, a := range args {
		b.WriteByte(' ')
		if strings.ContainsAny(a, " \t\"'$\\") {
			a = strconv.Quote(a)
		}
		b.WriteString(a)
	}
	return b.String()
}

// reduced says why a run is not the full one, or "" if it is.
func (c config) reduced() string {
	var why []string
	if c.Epochs < fullEpochs {
		why = append(why, fmt.Sprintf("%s instead of %d", plural(c.Epochs, "epoch"), fullEpochs))
	}
	if c.Seeds < fullSeeds {
		why = append(why, fmt.Sprintf("%s instead of %d", plural(c.Seeds, "seed"), fullSeeds))
	}
	if c.LatencyN < fullLatencyN {
		why = append(why, fmt.Sprintf("%d latency calls instead of %d", c.LatencyN, fullLatencyN))
	}
	if c.SkipPython {
		why = append(why, "no Python side")
	}
	if c.SkipProbe {
		why = append(why, "no probes")
	}
	return strings.Join(why, ", ")
}

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch {
	case cfg.child != "":
		err = runChildMode(ctx, cfg)
	case cfg.render != "":
		err = renderSaved(cfg, os.Stdout, os.Stderr)
	default:
		err = run(ctx, cfg, os.Stdout, os.Stderr)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// model is the model a run measured: reports written before -model existed
// have none, and measured the MLP.
func (c config) model() string {
	if c.Model == "" {
		return tutorial.Models[0]
	}
	return c.Model
}

// run is the parent: it runs every child, then reports.
func run(ctx context.Context, cfg config, stdout, stderr io.Writer) error {
	start := time.Now()
	logf := func(format string, args ...any) {
		fmt.Fprintf(stderr, "[%5.0fs] "+format+"\n", append([]any{time.Since(start).Seconds()}, args...)...)
	}
	r := &report{Config: cfg, Started: start}
	var err error
	if r.Machine, err = describeMachine(); err != nil {
		return err
	}
	dataDir, err := resolveData(cfg.Data)
	if err != nil {
		return err
	}
	r.Config.Data = dataDir
	cfg.Data = dataDir

	work := cfg.workDir
	if work == "" {
		if work, err = os.MkdirTemp("", "fashion-bench-"); err != nil {
			return err
		}
		if !cfg.keep {
			defer os.RemoveAll(work)
		}
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	runner, err := newRunner(cfg, work, stderr)
	if err != nil {
		return err
	}
	logf("data %s; work directory %s; %s", dataDir, work, r.Machine.LoadAvg)

	passes, err := onednnPasses(cfg.OneDNN)
	if err != nil {
		return err
	}
	for i, setting := range passes {
		pass := r
		if i > 0 {
			pass = &report{Config: cfg, Machine: r.Machine, Started: time.Now()}
			r.OtherOneDNN = pass
		}
		if err := setting.apply(); err != nil {
			return err
		}
		logf("oneDNN: %s", setting)
		passWork := filepath.Join(work, setting.dir())
		if err := os.MkdirAll(passWork, 0o755); err != nil {
			return err
		}
		// The peers do not use TensorFlow's oneDNN setting (but for the
		// TF-XLA one, measured with the first setting with the rest): one
		// pass of them is enough.
		withPeers := i == 0
		if err := measure(ctx, cfg, runner, passWork, pass, withPeers, logf); err != nil {
			return err
		}
		pass.Seconds = time.Since(pass.Started).Seconds()
	}
	r.Seconds = time.Since(start).Seconds()
	logf("done")
	if cfg.jsonOut != "" {
		if err := writeJSON(cfg.jsonOut, r); err != nil {
			return err
		}
		logf("wrote %s", cfg.jsonOut)
	}
	return output(cfg, r, stdout, logf)
}

// renderSaved is -render: the report of an earlier run, from its -json.
func renderSaved(cfg config, stdout, stderr io.Writer) error {
	r := new(report)
	if err := readJSON(cfg.render, r); err != nil {
		return fmt.Errorf("-render: %w", err)
	}
	if len(r.Go) == 0 {
		return fmt.Errorf("-render %s: no Go training runs in it: not a -json file of cmd/bench", cfg.render)
	}
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, format+"\n", args...) }
	return output(cfg, r, stdout, logf)
}

// output prints the report and writes -markdown.
func output(cfg config, r *report, stdout io.Writer, logf func(string, ...any)) error {
	rows := buildRows(r)
	fmt.Fprintln(stdout)
	fmt.Fprint(stdout, renderText(r, rows))
	if cfg.markdown != "" {
		if err := writeMarkdown(cfg.markdown, r, rows); err != nil {
			return err
		}
		logf("wrote the %s section of %s", r.Config.model(), cfg.markdown)
	}
	return nil
}

// measure runs every measurement once, with the oneDNN setting in force,
// into r; models go under work. Within a seed the sides take turns: Go,
// Keras, Go XLA, then withPeers the peer sides, so that drift in the
// machine's load spreads over all of them.
func measure(ctx context.Context, cfg config, runner *runner, work string, r *report, withPeers bool, logf func(string, ...any)) error {
	var err error
	models := modelPaths{Go: work + "/go-savedmodel", Keras: work + "/keras/model.keras", KerasExport: work + "/keras-export"}
	for i := range cfg.Seeds {
		seed := cfg.FirstSeed + int64(i)
		save := i == 0
		logf("Go training, seed %d (%s)", seed, plural(cfg.Epochs, "epoch"))
		g, err := runner.goTrain(ctx, seed, save, models)
		if err != nil {
			return err
		}
		r.Go = append(r.Go, g)
		logf("  Go: %s", g.summary())
		if i == 0 && !cfg.SkipProbe {
			// Right after a Go run, so that the step's parts are measured
			// under the same conditions as the step.
			logf("Go probes: MatMul peak, per-run overhead, kernel floor of the training step")
			if r.Probe, err = runner.goProbe(ctx); err != nil {
				return err
			}
		}
		if !cfg.SkipPython {
			logf("Python Keras training, seed %d (%s)", seed, plural(cfg.Epochs, "epoch"))
			p, err := runner.pyTrain(ctx, seed, save, models)
			if err != nil {
				return err
			}
			r.Python = append(r.Python, p)
			logf("  Python: %s", p.summary())
		}
		if err := measureOtherSides(ctx, cfg, runner, seed, i == 0, r, withPeers, logf); err != nil {
			return err
		}
	}

	logf("Go single-image latency (%d calls per method)", cfg.LatencyN)
	if r.GoLatency, err = runner.goLatency(ctx, models, !cfg.SkipPython); err != nil {
		return err
	}
	if !cfg.SkipPython {
		logf("Python single-image latency (%d calls per method)", cfg.LatencyN)
		if r.PyLatency, err = runner.pyLatency(ctx, models); err != nil {
			return err
		}
	}
	return nil
}
