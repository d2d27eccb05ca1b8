package main

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// keepMarker divides BENCHMARKS.md: bench rewrites everything above it on
// every run and keeps, word for word, whatever an engineer wrote below it.
const keepMarker = "<!-- bench: everything below this line is kept when cmd/bench rewrites this file -->"

const defaultNotes = `
## Notes

(Free text: what was tuned, what it bought, anything the figures above need
to be read with. cmd/bench keeps this section when it rewrites the file.)
`

// writeMarkdown writes the report to path, keeping the part of an existing
// file below keepMarker.
func writeMarkdown(path string, r *report, rows []row) error {
	notes := defaultNotes
	if old, err := os.ReadFile(path); err == nil {
		if _, below, ok := strings.Cut(string(old), keepMarker); ok {
			notes = below
		}
	} else if !os.IsNotExist(err) {
		return err
	}
	doc := renderReport(r, rows) + "\n" + keepMarker + notes
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(doc), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// renderReport is BENCHMARKS.md above the keep marker.
func renderReport(r *report, rows []row) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	c, m := r.Config, r.Machine
	p("# Benchmarks: Go on TensorFlow's C API vs Python Keras\n\n")
	p("The Keras \"Basic classification\" tutorial model (Flatten(28, 28) → Dense(128, relu) → Dense(10, softmax),\n")
	p("Adam, sparse categorical cross-entropy, accuracy, batch 32) trained, evaluated and served by this\n")
	p("project's Go packages and by Python Keras 3 on the same TensorFlow build, the same machine, the same data\n")
	p("and the same thread settings, in one run of `cmd/bench`. This file is written by that command\n")
	p("(`-markdown BENCHMARKS.md`); rerun it to bring the figures up to date.\n\n")
	if why := c.reduced(); why != "" {
		p("> **REDUCED RUN** (%s): these figures only show that the benchmark runs and\n", why)
		p("> what it reports. They are not the benchmark's result; replace them with a full run\n")
		p("> (`go run ./cmd/bench -markdown BENCHMARKS.md`) on a quiet machine.\n\n")
	}
	if busy := m.busy(); busy != "" {
		p("> **Note:** %s.\n\n", busy)
	}
	p("## Command\n\n```sh\n%s\n```\n\n", c.Command)
	p("Run %s, %.1f minutes in all. Add `-json FILE` for every raw timing.\n\n", r.Started.UTC().Format(time.RFC3339), r.Seconds/60)

	p("## Machine\n\n| | |\n| :-- | :-- |\n")
	p("| CPU | %s |\n", orDash(m.CPU))
	p("| cores | %s |\n", coresText(m))
	p("| SIMD | %s |\n", orDash(strings.Join(m.CPUFlags, " ")))
	p("| memory | %s |\n", orDash(m.MemTotal))
	p("| OS | %s; %s |\n", orDash(m.OS), orDash(m.Kernel))
	p("| load at the start | %s |\n", orDash(strings.TrimPrefix(m.LoadAvg, "load average ")))
	p("| Go side | %s, libtensorflow %s (C API) |\n", m.GoVersion, m.TFVersion)
	if v := pythonVersions(r); v != nil {
		p("| Python side | Python %s, TensorFlow %s, Keras %s, NumPy %s |\n", v["python"], v["tensorflow"], v["keras"], v["numpy"])
	}
	p("| thread pools, both sides | %s |\n", threadsText(c))
	p("| TensorFlow's oneDNN kernels, both sides | %s |\n", oneDNNOf(r))
	if len(r.Python) > 0 && r.Python[0].JITCompile != nil {
		p("| Keras `jit_compile` | `%s` → %v (Keras resolves `auto` to no XLA on a CPU-only machine) |\n", c.KerasJIT, *r.Python[0].JITCompile)
	}
	p("\n## Results\n\n")
	b.WriteString(renderMarkdown(rows))
	p("\n%s\n\n", verdict(rows))
	b.WriteString(renderOneDNNComparison(r))
	if bd := breakdown(r); bd != "" {
		p("## Where a Go training step's time goes\n\n%s\n", bd)
	}
	p("## How each figure is measured\n\n%s", methodText)
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func pythonVersions(r *report) map[string]string {
	if len(r.Python) > 0 && r.Python[0].Versions != nil {
		return r.Python[0].Versions
	}
	return nil
}

// breakdown splits the Go training step into the kernel floor, the cost of
// one Session.Run around it, and what tfmodel's Fit loop adds, from the
// probes and the measured epochs.
func breakdown(r *report) string {
	pr := r.Probe
	if pr == nil || len(r.Go) == 0 {
		return ""
	}
	step := steadyEpochSeconds(r.Go) / float64(stepsPerEpoch(r.Go)) * 1e6
	floor := pr.floorStepSeconds() * 1e6
	one := median(pr.OneStepRunSeconds) * 1e6
	trivial := µs(pr.TrivialRunSeconds, 50)
	pct := func(x float64) string { return fmt.Sprintf("%.0f%%", 100*x/step) }
	var b strings.Builder
	fmt.Fprintf(&b, "| part | µs per step | share |\n| :-- | --: | --: |\n")
	fmt.Fprintf(&b, "| kernels and the executor's per-op scheduling (kernel floor) | %s | %s |\n", fmtF(floor, 0), pct(floor))
	fmt.Fprintf(&b, "| one Session.Run around them (same graph, one step per run, minus the floor) | %s | %s |\n", fmtF(one-floor, 0), pct(one-floor))
	fmt.Fprintf(&b, "| tfmodel's Fit loop beyond a bare run (measured step minus one-step run) | %s | %s |\n", fmtF(step-one, 0), pct(step-one))
	fmt.Fprintf(&b, "| **measured Go step** (median epoch / steps) | **%s** | 100%% |\n\n", fmtF(step, 0))
	fmt.Fprintf(&b, "For scale: a Session.Run of a trivial graph with the step's feeds and fetches costs %s µs (p50) from Go", fmtF(trivial, 1))
	if r.PyLatency != nil && len(r.PyLatency.TrivialCall) > 0 {
		fmt.Fprintf(&b, ", the same through a `tf.function` from Python %s µs", fmtF(µs(r.PyLatency.TrivialCall, 50), 1))
	}
	b.WriteString(". A negative part means the difference is within the run's noise.\n")
	return b.String()
}

// methodText explains every figure; it is part of the generated file so
// that it always describes the code that produced the numbers.
var methodText = fmt.Sprintf(`- **Processes.** Every measurement runs in a child process: the Go side is
  cmd/bench re-executing itself (hidden -child modes), the Python side is
  scripts/bench_keras.py run by .venv/bin/python. Go and Python training runs
  alternate seed by seed, so load drifting on the machine spreads over both.
  The children report raw timings; medians and percentiles are computed by
  cmd/bench with the same code for both sides (percentiles interpolate
  linearly, as NumPy's default).
- **Same work on both sides.** The same IDX files (the directory loader.Load
  finds, handed to Python), scaled to float32(p/255) bit for bit alike (Python
  by a 256-entry lookup, to avoid the tutorial's transient float64 array),
  the same model, Keras's Adam defaults, batch 32, shuffling every epoch,
  seeds 1..N for the initial weights (keras.utils.set_random_seed;
  tfmodel CompileOptions.Seed) and Go's shuffling (FitOptions.Seed). Keras's
  shuffling is left unseeded, as in the tutorial: with TensorFlow's global
  seed set, Keras 3 re-seeds its per-epoch tf.random.shuffle and visits the
  data in the same order every epoch, a different training that lands about
  a point lower. The same intra-/inter-op thread counts (ConfigProto in
  Go, tf.config.threading in Python, set before TensorFlow starts).
- **Seconds per epoch.** Time from the end of the previous epoch (or the
  start of fit) to an epoch-end callback (tfmodel Callback; Keras
  on_epoch_end), for every epoch; the figure is the median over epochs 2..N
  of all seeds. Epoch 1 is left out: it includes one-off costs (Keras traces
  its train function; Go uploads the training set into the session).
  **ms per step** is that median divided by the steps per epoch (1,875).
- **Test accuracy.** model.evaluate / Sequential.Evaluate on the 10,000 test
  images after training, mean ± sample standard deviation over the seeds.
- **Peak RSS.** getrusage(RUSAGE_SELF).ru_maxrss read inside each training
  child right after fit returns (the process has loaded the data, built the
  model and trained), the largest over the seeds. The second RSS row is the
  child's whole-life peak as wait4 reports it to the parent (also covering
  evaluate, predict and saving the models).
- **Training GFLOP/s.** MatMul FLOPs only, counted per image: forward
  2·(784·128 + 128·10) = %s, backward (the two weight gradients and the
  hidden layer's input gradient; the input's gradient is never computed)
  2·(784·128 + 2·128·10) = %s, so %s per image and %s GFLOP per
  epoch of 60,000 images, divided by the median epoch time. Bias, activations, loss,
  metrics and Adam's element-wise updates (a few percent more) are not counted.
- **MatMul peak.** A float32 N×N·N×N MatMul of two variables (N = 2048 by
  default), run as a session target so nothing is copied out, in a Go
  session on the same libtensorflow with the same thread settings; two
  warm-up runs, then at least 5 runs and 3 s; 2·N³ / median time.
- **Share of a step outside the kernels.** 1 − kernel floor / measured step.
  The kernel floor is the training step rebuilt op for op as tfmodel builds
  it (resident data, gather, Flatten, Dense, Dense, sparse softmax
  cross-entropy, C++ gradients, ResourceApplyAdam, running loss and accuracy)
  with -probe-steps steps (50) unrolled into one graph, each step's reads
  ordered after the previous step's updates, run by a single Session.Run:
  the per-call costs are paid once for 50 steps, so what remains per step is
  the kernels plus the executor's per-op scheduling. Keras on a CPU-only
  machine runs the same TensorFlow kernels (no XLA; see the Keras jit_compile
  line above), so the same floor applies to both sides. The Go step's
  breakdown above splits the rest further with the same graph run one step
  per Session.Run.
- **Batch prediction.** model.predict(test_images, batch_size=32) /
  Sequential.Predict(BatchSize 32) on the 10,000 test images in the training
  child after training: one untimed warm-up call, then -predict-repeats (3)
  timed calls; images per second = 10,000 / the median call over all seeds.
- **Single-image latency.** In a fresh child, after loading the first seed's
  saved models: -latency-warmup (100) untimed then -latency-n (1,000) timed
  rounds in which every method of that side predicts test image 0 once, in
  turn (so drifting load hits all methods alike), each call from host array
  in to host array out:
  Go's savedmodel.Load + Model.Predict of a [1 28 28] tensor on the SavedModel
  tfmodel.Save wrote (and on the one Keras's model.export wrote); Keras's
  model.predict on a (1, 28, 28) array with the .keras model loaded back by
  keras.saving.load_model (Keras 3 builds a tf.data pipeline for every
  predict call, which is most of its latency); the serving_default
  signature of both SavedModels loaded with tf.saved_model.load, called with
  tf.constant and read back with .numpy(). Two floors for context: a bare Go Session.Run of the serving
  signature (flat copies in and out, the benchmark's thread settings;
  savedmodel.Load itself uses TensorFlow's default threads), and a direct
  Keras model(x) call.
- **Targets.** Go trains ≥ 2× faster per epoch (Go/Python ≤ 0.50); test
  accuracy within 0.5 points of Keras's (means over the seeds); Go's batch
  prediction at least matches (≥ 1.00); Go's single-image p50 at most half of
  Keras's model.predict (≤ 0.50); Go's peak RSS below Python's (< 1.00).
`, fmtF(flopsForward, 0), fmtF(flopsBackward, 0), fmtF(flopsTrainPerImage, 0), fmtF(flopsTrainPerImage*60000/1e9, 2))
