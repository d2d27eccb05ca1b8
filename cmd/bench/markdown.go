package main

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/gokeras/fashion/internal/tutorial"
)

// keepMarker divides BENCHMARKS.md: bench rewrites everything above it on
// every run and keeps, word for word, whatever an engineer wrote below it.
const keepMarker = "<!-- bench: everything below this line is kept when cmd/bench rewrites this file -->"

const defaultNotes = `
## Notes

(Free text: what was tuned, what it bought, anything the figures above need
to be read with. cmd/bench keeps this section when it rewrites the file.)
`

// Above keepMarker, each model has a section of its own, opened by its
// marker and closed by the next one or by endSections: a run rewrites its
// model's section and keeps the others' as they are, so that every model's
// figures stay those of its own last run.
const endSections = "<!-- bench: end of the models' sections -->"

func sectionMarker(model string) string { return "<!-- bench: section of model " + model + " -->" }

var sectionMarkerRE = regexp.MustCompile(`<!-- bench: section of model (\S+) -->\n`)

// modelSections splits the generated part of a BENCHMARKS.md into the
// models' sections, by model. A file from before the sections has none.
func modelSections(doc string) map[string]string {
	out := map[string]string{}
	doc, _, _ = strings.Cut(doc, endSections)
	locs := sectionMarkerRE.FindAllStringSubmatchIndex(doc, -1)
	for i, loc := range locs {
		end := len(doc)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		out[doc[loc[2]:loc[3]]] = doc[loc[1]:end]
	}
	return out
}

// writeMarkdown writes the report into its model's section of the file at
// path, keeping the other models' sections and the part below keepMarker.
func writeMarkdown(path string, r *report, rows []row) error {
	notes := defaultNotes
	sections := map[string]string{}
	if old, err := os.ReadFile(path); err == nil {
		above, below, ok := strings.Cut(string(old), keepMarker)
		if ok {
			notes = below
		}
		sections = modelSections(above)
	} else if !os.IsNotExist(err) {
		return err
	}
	sections[r.Config.model()] = renderModelSection(r, rows)
	doc := renderDocument(sections) + "\n" + keepMarker + notes
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(doc), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// renderReport is BENCHMARKS.md above the keep marker with this report's
// model section only.
func renderReport(r *report, rows []row) string {
	return renderDocument(map[string]string{r.Config.model(): renderModelSection(r, rows)})
}

// renderDocument is BENCHMARKS.md above the keep marker: the introduction,
// every model's section (a placeholder for a model not measured yet) and
// how the figures are measured.
func renderDocument(sections map[string]string) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# Benchmarks: Go on TensorFlow's C API vs Python Keras\n\n")
	p("Fashion-MNIST models (package internal/tutorial; scripts/bench_keras.py builds the same ones in Keras) trained,\n")
	p("evaluated and served by this project's Go packages and by Python Keras 3 on the same TensorFlow build, the\n")
	p("same machine, the same data and the same thread settings, each in one run of `cmd/bench -model NAME`. This\n")
	p("file is written by that command (`-markdown BENCHMARKS.md`), which rewrites its model's section and keeps the\n")
	p("others; rerun it to bring a model's figures up to date.\n\n")
	for _, m := range tutorial.Models {
		p("- [%s](#%s)\n", modelTitle(m), anchor(modelTitle(m)))
	}
	p("- [How each figure is measured](#how-each-figure-is-measured)\n\n")
	for _, m := range tutorial.Models {
		p("%s\n", sectionMarker(m))
		if s, ok := sections[m]; ok {
			b.WriteString(s)
			continue
		}
		p("## %s\n\nNot measured yet: `go run ./cmd/bench -model %s -markdown BENCHMARKS.md`.\n\n", modelTitle(m), m)
	}
	p("%s\n", endSections)
	p("## How each figure is measured\n\n%s", methodText())
	return b.String()
}

// anchor is GitHub's anchor for a heading: lower case, spaces to hyphens,
// other punctuation dropped.
func anchor(heading string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(heading) {
		switch {
		case c == ' ':
			b.WriteByte('-')
		case c == '-' || c == '_' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			b.WriteRune(c)
		}
	}
	return b.String()
}

// renderModelSection is the report's model section: what ran, where, and
// the results.
func renderModelSection(r *report, rows []row) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	c, m := r.Config, r.Machine
	model := c.model()
	p("## %s\n\n", modelTitle(model))
	p("%s:\ntrained, evaluated and served from Go and from Keras in one run of `cmd/bench -model %s`.\n\n", modelText[model].about, model)
	if why := c.reduced(); why != "" {
		p("> **REDUCED RUN** (%s): these figures only show that the benchmark runs and\n", why)
		p("> what it reports. They are not the benchmark's result; replace them with a full run\n")
		p("> (`go run ./cmd/bench -model %s -markdown BENCHMARKS.md`) on a quiet machine.\n\n", model)
	}
	if busy := m.busy(); busy != "" {
		p("> **Note:** %s.\n\n", busy)
	}
	p("### Command\n\n```sh\n%s\n```\n\n", c.Command)
	p("Run %s, %.1f minutes in all. Add `-json FILE` for every raw timing.\n\n", r.Started.UTC().Format(time.RFC3339), r.Seconds/60)

	p("### Machine\n\n| | |\n| :-- | :-- |\n")
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
	if v := peerVersions(r); v != "" {
		p("| peer sides | %s |\n", v)
	}
	if t := peerThreads(r); t != "" {
		p("| peers' threads | %s |\n", t)
	}
	p("| TensorFlow's oneDNN kernels, both sides | %s |\n", oneDNNOf(r))
	if len(r.Python) > 0 && r.Python[0].JITCompile != nil {
		p("| Keras `jit_compile` | `%s` → %v (Keras resolves `auto` to no XLA on a CPU-only machine) |\n", c.KerasJIT, *r.Python[0].JITCompile)
	}
	p("\n### Results\n\n")
	b.WriteString(renderMarkdown(rows))
	p("\n%s\n\n", verdict(rows))
	b.WriteString(renderPeersMarkdown(r))
	b.WriteString(renderOneDNNComparison(r))
	if bd := breakdown(r); bd != "" {
		p("### Where a Go training step's time goes\n\n%s\n", bd)
	}
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
	steps := stepsPerEpoch(r.Go)
	trainStep := steadyEpochSeconds(r.Go) / float64(steps) * 1e6
	floor := pr.floorStepSeconds() * 1e6
	one := median(pr.OneStepRunSeconds) * 1e6
	trivial := µs(pr.TrivialRunSeconds, 50)
	// The parts add up to Go's step timed alongside them when the probe has
	// it; reports from before it did have only the training runs' step.
	step, alongside := goStepForFloor(r)
	step *= 1e6
	stepText, fitText := "**measured Go step** (median epoch / steps)", "measured step minus one-step run"
	if alongside {
		stepText = fmt.Sprintf("**Go step in tfmodel's Fit**, timed alongside (median epoch of %d steps)", pr.FloorSteps)
		fitText = "Fit step minus one-step run"
	}
	pct := func(x float64) string { return fmt.Sprintf("%.0f%%", 100*x/step) }
	var b strings.Builder
	fmt.Fprintf(&b, "| part | µs per step | share |\n| :-- | --: | --: |\n")
	fmt.Fprintf(&b, "| kernels and the executor's per-op scheduling (kernel floor) | %s | %s |\n", fmtF(floor, 0), pct(floor))
	if len(pr.ConvRunSeconds) > 0 {
		conv := pr.convStepSeconds() * 1e6
		fmt.Fprintf(&b, "| … of which the convolutions alone (Conv2D, Conv2DBackpropFilter, Conv2DBackpropInput) | %s | %s |\n", fmtF(conv, 0), pct(conv))
	}
	fmt.Fprintf(&b, "| one Session.Run around them (same graph, one step per run, minus the floor) | %s | %s |\n", fmtF(one-floor, 0), pct(one-floor))
	fmt.Fprintf(&b, "| tfmodel's Fit loop beyond a bare run (%s) | %s | %s |\n", fitText, fmtF(step-one, 0), pct(step-one))
	fmt.Fprintf(&b, "| %s | **%s** | 100%% |\n\n", stepText, fmtF(step, 0))
	if alongside {
		fmt.Fprintf(&b, "The parts are timed round by round, %d rounds of one Fit epoch of %d steps on random images, then each of the others, ", len(pr.FitEpochSeconds), pr.FloorSteps)
		b.WriteString("so that the machine's load drifting during the measurement hits them alike. ")
		fmt.Fprintf(&b, "In the training runs of the Results, Go's step was %s µs (median epoch / %s steps), timed at other moments.\n\n", fmtF(trainStep, 0), fmtF(float64(steps), 0))
	}
	fmt.Fprintf(&b, "For scale: a Session.Run of a trivial graph with the step's feeds and fetches costs %s µs (p50) from Go", fmtF(trivial, 1))
	if r.PyLatency != nil && len(r.PyLatency.TrivialCall) > 0 {
		fmt.Fprintf(&b, ", the same through a `tf.function` from Python %s µs", fmtF(µs(r.PyLatency.TrivialCall, 50), 1))
	}
	b.WriteString(". A negative part means the difference is within the run's noise.\n")
	if len(r.Python) == 0 {
		return b.String()
	}
	pyStep := steadyEpochSeconds(r.Python) / float64(stepsPerEpoch(r.Python)) * 1e6
	fmt.Fprintf(&b, "\nKeras's step in its training runs, %s µs, is the same floor plus %s µs (%.0f%% of its step outside the kernels; Go's training runs: %s µs, %.0f%%).\n",
		fmtF(pyStep, 0), fmtF(pyStep-floor, 0), 100*(pyStep-floor)/pyStep, fmtF(trainStep-floor, 0), 100*(trainStep-floor)/trainStep)
	if floorTargets(r.Config.model()) {
		fmt.Fprintf(&b, "\n**Against the target.** Go trains %.2f× as fast as Keras (the target: 2×, or Go at the kernel floor). ", pyStep/trainStep)
		b.WriteString("Both sides run TensorFlow's same kernels for the layers (Conv2D and its two gradients, Conv2DBackpropFilter and ")
		b.WriteString("Conv2DBackpropInput, MaxPool and its gradient, MatMul; oneDNN's where it is on; Adam's update, one fused ")
		b.WriteString("ResourceApplyAdam per variable in Go and a few element-wise ops in Keras, is small beside them), ")
		fmt.Fprintf(&b, "and Go's step graph alone takes %s µs a step: so even a step of nothing but kernels would be at most %.2f× as fast as Keras's. ",
			fmtF(floor, 0), pyStep/floor)
		fmt.Fprintf(&b, "Go's step is %.2f× that floor", step/floor)
		if alongside {
			b.WriteString(" (timed alongside it)")
		}
		b.WriteString(".\n")
	}
	return b.String()
}

// goStepForFloor is Go's training step, in seconds, to set against the
// kernel floor: tfmodel's Fit timed alongside the floor when the probe has
// it (alongside true), else the training runs' median epoch per step.
func goStepForFloor(r *report) (seconds float64, alongside bool) {
	if pr := r.Probe; pr != nil && len(pr.FitEpochSeconds) > 0 {
		return pr.fitStepSeconds(), true
	}
	return steadyEpochSeconds(r.Go) / float64(stepsPerEpoch(r.Go)), false
}

// methodText explains every figure; it is part of the generated file so
// that it always describes the code that produced the numbers.
func methodText() string {
	return `- **Processes.** Every measurement runs in a child process: the Go side is
  cmd/bench re-executing itself (hidden -child modes), the Python side is
  scripts/bench_keras.py run by .venv/bin/python. Go and Python training runs
  alternate seed by seed, so load drifting on the machine spreads over both.
  The children report raw timings; medians and percentiles are computed by
  cmd/bench with the same code for both sides (percentiles interpolate
  linearly, as NumPy's default).
- **Same work on both sides.** The same IDX files (the directory loader.Load
  finds, handed to Python), scaled to float32(p/255) bit for bit alike (Python
  by a 256-entry lookup, to avoid the tutorial's transient float64 array),
  the same model (internal/tutorial's layers in Go, the same Keras layers in
  the script; both take (28, 28) images), Keras's Adam defaults, batch 32,
  shuffling every epoch, seeds 1..N for the initial weights and Dropout
  (keras.utils.set_random_seed; tfmodel CompileOptions.Seed) and Go's
  shuffling (FitOptions.Seed). Keras's shuffling is left unseeded, as in the
  tutorial: with TensorFlow's global seed set, Keras 3 re-seeds its
  per-epoch tf.random.shuffle and visits the data in the same order every
  epoch, a different training that lands about a point lower. The same
  intra-/inter-op thread counts (ConfigProto in Go, tf.config.threading in
  Python, set before TensorFlow starts).
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
- **Training GFLOP/s.** The multiply-adds of the MatMuls and convolutions,
  two FLOPs each, counted per image from the layers' shapes
  (cmd/bench/flops.go): forward, every Dense (in·units) and Conv2D
  (kh·kw·cin·cout·H_out·W_out); backward, the same again for the weight
  gradients and again for the input gradients of every such layer but the
  first (nothing needs the images' gradient, and TensorFlow's gradient graph
  does not compute it); divided by the median epoch time. Bias, activations,
  pooling, loss, metrics and Adam's element-wise updates (a few percent
  more) are not counted.
` + flopLines() + `- **MatMul peak.** A float32 N×N·N×N MatMul of two variables (N = 2048 by
  default), run as a session target so nothing is copied out, in a Go
  session on the same libtensorflow with the same thread settings; two
  warm-up runs, then at least 5 runs and 3 s; 2·N³ / median time.
- **Share of a step outside the kernels.** 1 − kernel floor / measured step.
  The kernel floor is the model's training step rebuilt op for op as
  tfmodel builds it (resident data, gather, the model's layers built by
  their own Build and run by graph.Forward, sparse softmax cross-entropy,
  C++ gradients, ResourceApplyAdam, running loss and accuracy, Dropout's
  seed-generator updates) without the cost of a call into TensorFlow, taken
  out in two ways, and the lower figure is the floor: -probe-steps steps
  (50) unrolled into one graph, each step's reads and forward pass ordered
  after the previous step's updates, run by a single Session.Run (the
  per-call costs are paid once for 50 steps); and the same graph with one
  step, one Session.Run per step, less the p50 of a trivial graph's call
  (below). What remains is the kernels plus the executor's per-op
  scheduling. Unrolling should give the lower figure, but a graph 50 steps
  long runs slower per step than a single step (on this machine 7% for the
  MLP and 7–15% for the CNN, oneDNN on or off), so the second often does.
  Keras on a CPU-only machine runs the same TensorFlow kernels for the
  layers (no XLA; see the Keras jit_compile line of each model's machine
  table), so the same floor applies to both sides, but for Adam's update:
  Keras 3 writes it as element-wise ops (keras/src/optimizers/adam.py),
  tfmodel runs TensorFlow's fused ResourceApplyAdam, a small part of a step
  either way. The Go step's breakdown in each section
  splits the rest further with the one-step runs and with tfmodel's own Fit
  (epochs of 50 steps on random images), timed round by round with the
  unrolled runs so that the machine's drifting load hits them alike. For a
  model with convolutions the same unrolling also times
  the convolution kernels alone, on random operands at batch 32: for every
  Conv2D, the forward Conv2D, Conv2DBackpropFilter and (but for the first
  layer with weights, whose input gradient nothing needs)
  Conv2DBackpropInput, each result stored into a variable so that Grappler
  keeps it; that is how much of the floor the convolutions are.
- **Batch prediction.** model.predict(test_images, batch_size=32) /
  Sequential.Predict(BatchSize 32) on the 10,000 test images in the training
  child after training: one untimed warm-up call, then -predict-repeats (3)
  timed calls; images per second = 10,000 / the median call over all seeds.
  Evaluation: model.evaluate / Sequential.Evaluate of the same images and
  labels at batch 32, timed -predict-repeats times after the one that gave
  the test accuracy. tfmodel's default (Threads.Inference InferenceAuto)
  runs them in an inference session of their own; the child also restores
  the trained weights into a second model compiled with InferenceShared
  (the training session, Keras's bits) and times its Predict and Evaluate
  the same way, after their first calls.
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
  signature (flat copies in and out, run in the caller's thread as
  savedmodel.Load's sessions run a signature, the intra-op pool as
  -threads sets it), and a direct Keras model(x) call.
- **Targets.** Go trains ≥ 2× faster per epoch (Go/Python ≤ 0.50); for a
  model with convolutions, whose kernels, the same on both sides, can take
  most of a step and so bound any speed-up, Go's step at most ` + fmt.Sprintf("%.2f", floorTolerance) + `× the
  kernel floor also meets it (the section's breakdown shows the floor and
  the bound); test accuracy within 0.5 points of Keras's (means over the
  seeds); Go's batch prediction at least matches (≥ 1.00); Go's single-image
  p50 at most half of Keras's model.predict (≤ 0.50); Go's peak RSS below
  Python's (< 1.00).
`
}

// flopLines are the method's FLOP counts, one line per model.
func flopLines() string {
	var b strings.Builder
	for _, m := range tutorial.Models {
		f, err := modelFLOPs(m)
		if err != nil {
			fmt.Fprintf(&b, "  - %s: not counted (%v).\n", strings.ToUpper(m), err)
			continue
		}
		fmt.Fprintf(&b, "  - %s: %s, so %s per image and %s GFLOP per epoch of 60,000 images.\n",
			strings.ToUpper(m), f.formula(), fmtF(float64(f.Total()), 0), fmtF(float64(f.Total())*60000/1e9, 2))
	}
	return b.String()
}
