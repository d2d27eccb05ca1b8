package main

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gokeras/fashion/internal/tffunc"
)

// The report's peers section: every training side of the run in one table,
// the (system, s/epoch, ms/step, test accuracy), fastest first, and
// the inference systems in another.

// trainingSystem is one row of the training table: a side's runs.
type trainingSystem struct {
	Key  string // "go-step", "go-xla", "keras", or a peer side's name
	Text string
	Runs []trainResult
}

// trainingSystems are the run's training sides, in the order they ran.
func trainingSystems(r *report) []trainingSystem {
	var out []trainingSystem
	if len(r.Go) > 0 {
		out = append(out, trainingSystem{"go-step", "**this project**, tfmodel's default: one session run per step", r.Go})
	}
	if len(r.Python) > 0 {
		jit := r.Config.KerasJIT
		if r.Python[0].JITCompile != nil {
			jit = fmt.Sprint(*r.Python[0].JITCompile) // what Keras resolved auto to
		}
		out = append(out, trainingSystem{"keras", "Keras 3 `fit`, `jit_compile=" + jit + "`", r.Python})
	}
	if len(r.GoXLA) > 0 {
		k := r.GoXLA[0].StepsPerExecution
		out = append(out, trainingSystem{"go-xla", fmt.Sprintf("**this project**, XLA: an epoch per session run (`StepsPerExecution` %d, `JITCompile`)", k), r.GoXLA})
	}
	for _, side := range peerSides {
		runs := peerRunsOf(r, side.Name)
		if len(runs) == 0 {
			continue
		}
		var tr []trainResult
		for _, p := range runs {
			tr = append(tr, p.trainResult)
		}
		out = append(out, trainingSystem{side.Name, side.Text + " " + peerVersionTag(runs[0]), tr})
	}
	return out
}

// peerVersionTag is the framework's version as the table names it, such
// as "(JAX 0.10.2)".
func peerVersionTag(p peerRun) string {
	for _, k := range []struct{ key, name string }{{"jax", "JAX"}, {"torch", "PyTorch"}, {"tensorflow", "TF"}} {
		if v := p.Versions[k.key]; v != "" {
			return fmt.Sprintf("(%s %s)", k.name, v)
		}
	}
	return ""
}

func peerRunsOf(r *report, side string) []peerRun {
	var out []peerRun
	for _, p := range r.Peers {
		if p.Side == side {
			out = append(out, p)
		}
	}
	return out
}

// steadyMin is the fastest epoch from the second on, pooled over runs.
func steadyMin(runs []trainResult) float64 {
	var all [][]float64
	for _, t := range runs {
		all = append(all, t.EpochSeconds)
	}
	s := steadyEpochs(all)
	if len(s) == 0 {
		return math.NaN()
	}
	return slices.Min(s)
}

// medianOf is the steady median epoch of the system with key, or NaN.
func medianOf(systems []trainingSystem, key string) float64 {
	for _, s := range systems {
		if s.Key == key {
			return steadyEpochSeconds(s.Runs)
		}
	}
	return math.NaN()
}

// xlaTarget is the target for Go's fast path: its median epoch at
// most this fraction of JAX's whole-epoch lax.scan.
const xlaTarget = 0.8

// peersHeader is the training table's columns.
var peersHeader = []string{"system", "s/epoch, median (min)", "ms/step", "test acc %, mean ± std", "GFLOP/s (% of MatMul peak)", "× JAX lax.scan"}

// peerTrainingRows is the training table, fastest median first.
func peerTrainingRows(r *report) [][]string {
	systems := trainingSystems(r)
	slices.SortStableFunc(systems, func(a, b trainingSystem) int {
		return cmpNaNLast(steadyEpochSeconds(a.Runs), steadyEpochSeconds(b.Runs))
	})
	jax := medianOf(systems, "jax-scan")
	count, err := modelFLOPs(r.Config.model())
	peak := math.NaN()
	if r.Probe != nil {
		peak = r.Probe.matmulGFLOPS()
	}
	var rows [][]string
	for _, s := range systems {
		med := steadyEpochSeconds(s.Runs)
		steps := float64(stepsPerEpoch(s.Runs))
		acc, std := meanStd(accuracies(s.Runs))
		gf := "—"
		if err == nil {
			g := float64(count.Total()) * float64(trainExamples(s.Runs)) / med / 1e9
			gf = fmtF(g, 2)
			if !math.IsNaN(peak) {
				gf += fmt.Sprintf(" (%.1f%%)", 100*g/peak)
			}
		}
		ratio := "—"
		if x := med / jax; !math.IsNaN(x) && !math.IsInf(x, 0) {
			ratio = fmtRatio(x)
		}
		rows = append(rows, []string{s.Text,
			fmt.Sprintf("%s (%s)", fmtF(med, 3), fmtF(steadyMin(s.Runs), 3)),
			fmtF(1e3*med/steps, 3), pmOrDash(acc, std), gf, ratio})
	}
	return rows
}

// cmpNaNLast orders numbers ascending, NaN last.
func cmpNaNLast(a, b float64) int {
	switch {
	case math.IsNaN(a) && math.IsNaN(b):
		return 0
	case math.IsNaN(a):
		return 1
	case math.IsNaN(b):
		return -1
	}
	return cmp.Compare(a, b)
}

// xlaVerdict is Go XLA's median epoch over JAX lax.scan's against the
// issue's target, or "" when the run lacks either.
func xlaVerdict(r *report) string {
	systems := trainingSystems(r)
	goXLA, jax := medianOf(systems, "go-xla"), medianOf(systems, "jax-scan")
	if math.IsNaN(goXLA) || math.IsNaN(jax) {
		return ""
	}
	ratio := goXLA / jax
	v := fmt.Sprintf("Go XLA / JAX lax.scan, median epoch: %s (%s s against %s s; target ≤ %.2f: %s)",
		fmtRatio(ratio), fmtF(goXLA, 3), fmtF(jax, 3), xlaTarget, yesNo(ratio <= xlaTarget))
	// Go's XLA option is XLA's, not Go's: JAX with it says how much of
	// the lead is the option.
	if same := medianOf(systems, "jax-scan-eigen"); !math.IsNaN(same) {
		v += fmt.Sprintf("; against JAX lax.scan with Go's XLA option (%s s): %s", fmtF(same, 3), fmtRatio(goXLA/same))
	}
	// Go keeps images that are bytes over 255 as bytes; JAX doing the
	// same says how much of the lead that is.
	if bytes := medianOf(systems, "jax-scan-bytes"); !math.IsNaN(bytes) {
		v += fmt.Sprintf("; against JAX lax.scan with its images as bytes (%s s): %s", fmtF(bytes, 3), fmtRatio(goXLA/bytes))
	}
	return v
}

// xlaFloorText sets the XLA-compiled epochs' steps (Go's, JAX's) against
// the XLA floor and the MatMul peak, and splits Go XLA's step into the
// floor's parts and the rest; "" when the run has no floor.
func xlaFloorText(r *report) string {
	if r.Probe == nil || r.Probe.XLAFloor == nil {
		return ""
	}
	f := r.Probe.XLAFloor
	products, withAdam := f.stepSeconds()
	ms := func(s float64) string { return fmtF(1e3*s, 3) + " ms" }
	var b strings.Builder
	fmt.Fprintf(&b, "Physical floor of a step, compiled as the XLA epochs are (a loop of %d steps: the step's matrix products at their shapes on a batch of %d, then Adam's update; `probe_xla_floor.go`): %s for the products", f.Steps, f.Batch, ms(products))
	if count, err := modelFLOPs(r.Config.model()); err == nil {
		gf := float64(count.Total()) * float64(f.Batch) / products / 1e9
		fmt.Fprintf(&b, " (%s GFLOP/s", fmtF(gf, 1))
		if peak := r.Probe.matmulGFLOPS(); !math.IsNaN(peak) {
			fmt.Fprintf(&b, ", %.0f%% of the %d² MatMul's %s; at that peak they would take %s", 100*gf/peak, r.Probe.MatMulN, fmtF(peak, 1),
				ms(float64(count.Total())*float64(f.Batch)/peak/1e9))
		}
		b.WriteString(")")
	}
	fmt.Fprintf(&b, ", %s with Adam's update", ms(withAdam))
	systems := trainingSystems(r)
	for _, n := range []struct{ key, name string }{{"go-xla", "Go XLA"}, {"jax-scan", "JAX lax.scan"}} {
		i := slices.IndexFunc(systems, func(s trainingSystem) bool { return s.Key == n.key })
		if i < 0 {
			continue
		}
		s, name := systems[i], n.name
		step := steadyEpochSeconds(s.Runs) / float64(stepsPerEpoch(s.Runs))
		fmt.Fprintf(&b, "; %s's step %s, %s the floor", name, ms(step), fmtRatio(step/withAdam))
		if s.Key == "go-xla" {
			fmt.Fprintf(&b, " (products %.0f%%, Adam's update %.0f%%, the rest %.0f%%: gather, biases, activations, softmax, loss, metrics, the loop)",
				100*products/step, 100*(withAdam-products)/step, roundedPercent(100*(step-withAdam)/step))
		}
	}
	return b.String()
}

// roundedPercent is p, but 0 for a p that %.0f would print as "-0": a step
// at its floor within the noise.
func roundedPercent(p float64) float64 {
	if math.Abs(p) < 0.5 {
		return 0
	}
	return p
}

// latencyFloorText breaks Go's single-image latency down to what the C
// API costs at least; "" without the latency child's and the probe's
// figures.
func latencyFloorText(r *report) string {
	l, pr := r.GoLatency, r.Probe
	if l == nil || pr == nil || len(l.SessionRun) == 0 || len(pr.TrivialCallerRunSeconds) == 0 {
		return ""
	}
	us := func(xs []float64) string { return fmtF(µs(xs, 50), 1) + " µs" }
	return fmt.Sprintf("Where Go's single image goes, p50: `savedmodel.Predict` %s; a bare `Session.Run` of the same signature %s "+
		"(what Predict adds: checking the shape, copying in and out); a trivial `Session.Run` (feed 32 ints, fetch 2 scalars) %s "+
		"in the caller's thread, as savedmodel runs a signature (%s through TensorFlow's inter-op thread pool, a session's default). "+
		"The rest of the bare run is the model's ops, scheduled one by one by TensorFlow's executor",
		us(l.SavedModelPredict), us(l.SessionRun), us(pr.TrivialCallerRunSeconds), us(pr.TrivialRunSeconds))
}

// inferenceSystem is one row of the inference table.
type inferenceSystem struct {
	Text    string
	Predict []trainResult // the runs whose PredictSeconds and EvaluateSeconds count
	Latency []float64
}

// inferenceKeys name the peers' inference systems, in the table's order,
// as the scripts key their latencies.
var inferenceKeys = []struct{ key, text string }{
	{"jax-jit", "JAX: jitted forward"},
	{"jax-jit-eigen", "JAX: jitted forward, with Go's XLA option"},
	{"torch-eager", "PyTorch eager (`torch.inference_mode`)"},
	{"torch-compile", "PyTorch: the `torch.compile`d model"},
	{"onnxruntime", "ONNX Runtime (CPU provider), the PyTorch eager side's weights"},
	{"tf-xla", "TF from Python: jit-compiled forward"},
}

// inferenceSystems are this project's, Keras's and the peers' ways of
// predicting, with their figures.
func inferenceSystems(r *report) []inferenceSystem {
	var out []inferenceSystem
	goSys := inferenceSystem{Text: "**this project**: `Sequential.Predict` and `Evaluate` (batch), `savedmodel.Predict` (one image)", Predict: r.Go}
	if r.GoLatency != nil {
		goSys.Latency = r.GoLatency.SavedModelPredict
	}
	out = append(out, goSys)
	if shared := sharedSessionRuns(r); len(shared) > 0 {
		out = append(out, inferenceSystem{Text: "**this project**, `Threads.Inference` `InferenceShared`: `Sequential.Predict` and `Evaluate` in the training session, Keras's bits (batch)", Predict: shared})
	}
	if len(r.GoXLA) > 0 {
		// The XLA child predicts as it trains: K batches per session run,
		// compiled (the 10,000 test images' 313 batches in one run).
		out = append(out, inferenceSystem{Text: "**this project**, XLA: `Sequential.Predict` and `Evaluate` with `StepsPerExecution` and `JITCompile` (batch)", Predict: r.GoXLA})
	}
	if len(r.Python) > 0 {
		k := inferenceSystem{Text: "Keras 3 `model.predict`, `model.evaluate`", Predict: r.Python}
		if r.PyLatency != nil {
			k.Latency = r.PyLatency.KerasPredict
		}
		out = append(out, k)
	}
	for _, k := range inferenceKeys {
		s := inferenceSystem{Text: k.text}
		for _, p := range r.Peers {
			side, _ := lookupPeer(p.Side)
			if side.Inference == k.key {
				s.Predict = append(s.Predict, p.trainResult)
			}
			for _, rt := range p.Runtimes {
				if rt.System == k.key {
					s.Predict = append(s.Predict, trainResult{PredictImages: rt.PredictImages, PredictSeconds: rt.PredictSeconds})
				}
			}
			if l, ok := p.LatencySeconds[k.key]; ok && s.Latency == nil {
				s.Latency = l
			}
		}
		if len(s.Predict) > 0 || len(s.Latency) > 0 {
			out = append(out, s)
		}
	}
	return out
}

var inferenceHeader = []string{"system", "batch prediction, images/s", "evaluation, images/s", "one image, µs p50", "µs p99"}

func peerInferenceRows(r *report) [][]string {
	var rows [][]string
	for _, s := range inferenceSystems(r) {
		ips, eval := math.NaN(), math.NaN()
		if len(s.Predict) > 0 {
			ips, eval = imagesPerSecond(s.Predict), evaluatedPerSecond(s.Predict)
		}
		rows = append(rows, []string{s.Text, fmtF(ips, 0), fmtF(eval, 0), fmtF(µs(s.Latency, 50), 1), fmtF(µs(s.Latency, 99), 1)})
	}
	return rows
}

// sharedSessionRuns are the Go runs' Predict and Evaluate timings in the
// training session, where the run measured them beside the default's (the
// default ran them in an inference session of their own).
func sharedSessionRuns(r *report) []trainResult {
	var out []trainResult
	for _, t := range r.Go {
		if s := t.SharedSession; s != nil {
			out = append(out, trainResult{PredictImages: t.PredictImages, PredictSeconds: s.PredictSeconds, EvaluateSeconds: s.EvaluateSeconds})
		}
	}
	return out
}

// sharedSessionText says what the default's inference session changes
// against the training session's Keras bits: the distance between their
// predictions and their test accuracies; "" where the run did not measure
// it.
func sharedSessionText(r *report) string {
	var diff float64
	var shared, def []float64
	for _, t := range r.Go {
		if s := t.SharedSession; s != nil {
			diff = max(diff, s.MaxAbsDiff)
			shared, def = append(shared, 100*s.TestAccuracy), append(def, 100*t.TestAccuracy)
		}
	}
	if len(shared) == 0 {
		return ""
	}
	sh, _ := meanStd(shared)
	d, _ := meanStd(def)
	same := "the same predictions to the bit"
	if diff > 0 {
		same = fmt.Sprintf("predictions of the test images within %.2g of each other (largest over the seeds; Eigen's MatMul blocks its sums by its pool's size)", diff)
	}
	return fmt.Sprintf("Go's default (`InferenceAuto`) predicts in a session of its own, one-thread kernels; `InferenceShared` in the training session, "+
		"bit for bit as Keras and a loaded SavedModel do. Here, oneDNN %s: %s, test accuracy %.2f %% against %.2f %%.", oneDNNOf(r), same, d, sh)
}

// onnxCheck compares ONNX Runtime's test accuracy with PyTorch's on the
// same weights: the ONNX graph must be the model PyTorch trained.
func onnxCheck(r *report) string {
	var torchAcc, ortAcc []float64
	for _, p := range r.Peers {
		for _, rt := range p.Runtimes {
			if rt.System == "onnxruntime" {
				torchAcc = append(torchAcc, 100*p.TestAccuracy)
				ortAcc = append(ortAcc, 100*rt.TestAccuracy)
			}
		}
	}
	if len(ortAcc) == 0 {
		return ""
	}
	o, _ := meanStd(ortAcc)
	t, _ := meanStd(torchAcc)
	return fmt.Sprintf("ONNX Runtime's test accuracy on the PyTorch eager side's weights: %.2f %% (PyTorch's own: %.2f %%).", o, t)
}

// peerVersions is the peers' software, as the machine table gives it.
func peerVersions(r *report) string {
	seen := map[string]string{}
	for _, p := range r.Peers {
		for k, v := range p.Versions {
			if _, ok := seen[k]; !ok && !(p.Side == "tf-xla" && (k == "python" || k == "numpy")) {
				seen[k] = v
			}
		}
		for _, rt := range p.Runtimes {
			for k, v := range rt.Versions {
				if _, ok := seen[k]; !ok {
					seen[k] = v
				}
			}
		}
	}
	var parts []string
	for _, k := range []struct{ key, name string }{
		{"jax", "JAX"}, {"jaxlib", "jaxlib"}, {"torch", "PyTorch"}, {"onnxruntime", "ONNX Runtime"},
		{"onnx", "ONNX"}, {"numpy", "NumPy"}, {"python", "Python"},
	} {
		if v, ok := seen[k.key]; ok {
			parts = append(parts, k.name+" "+v)
		}
	}
	s := strings.Join(parts, ", ")
	if s != "" {
		s += " (.venv.peers)"
	}
	if v, ok := seen["tensorflow"]; ok {
		if s != "" {
			s += "; "
		}
		s += "TensorFlow " + v + " (.venv) for TF-XLA"
	}
	return s
}

// peerThreads is each peer side's thread settings, as its child reported
// them.
func peerThreads(r *report) string {
	var parts []string
	done := map[string]bool{}
	for _, p := range r.Peers {
		if done[p.Side] || p.Threads == nil {
			continue
		}
		done[p.Side] = true
		s := fmt.Sprintf("%s: intra-op %d, inter-op %d", p.Side, p.Threads.IntraOp, p.Threads.InterOp)
		if p.ThreadsNote != "" {
			s += " (" + p.ThreadsNote + ")"
		}
		for _, rt := range p.Runtimes {
			if rt.Threads != nil {
				s += fmt.Sprintf("; %s: intra-op %d, inter-op %d (0: its defaults)", rt.System, rt.Threads.IntraOp, rt.Threads.InterOp)
			}
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// hasPeersSection says whether the report has anything for the peers'
// section: peers, or Go's XLA side.
func hasPeersSection(r *report) bool { return len(r.Peers) > 0 || len(r.GoXLA) > 0 }

// renderPeersMarkdown is the model section's part on the peers.
func renderPeersMarkdown(r *report) string {
	if !hasPeersSection(r) {
		return ""
	}
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	c := r.Config
	p("### Peers: the same model in other frameworks\n\n")
	p("Every side below trained the MLP in this run, %s × %s each, the sides taking turns seed by seed ", plural(c.Epochs, "epoch"), plural(len(r.Go), "seed"))
	p("(Go, Keras, Go XLA, then the peers: TF-XLA, JAX, PyTorch), on the same resident data, batch %d, ", c.BatchSize)
	p("reshuffled every epoch. Fastest first; how each is measured is below the tables.\n\n")
	b.WriteString(renderGridMarkdown(peersHeader, peerTrainingRows(r)))
	if v := xlaVerdict(r); v != "" {
		p("\n**%s.**\n", v)
	}
	if v := xlaFloorText(r); v != "" {
		p("\n%s.\n", v)
	}
	p("\n")
	b.WriteString(renderGridMarkdown(inferenceHeader, peerInferenceRows(r)))
	if s := sharedSessionText(r); s != "" {
		p("\n%s\n", s)
	}
	if s := onnxCheck(r); s != "" {
		p("\n%s\n", s)
	}
	if s := latencyFloorText(r); s != "" {
		p("\n%s.\n", s)
	}
	p("\n%s\n", peersMethodText(c))
	return b.String()
}

// renderPeersText is the same for the terminal.
func renderPeersText(r *report) string {
	if !hasPeersSection(r) {
		return ""
	}
	var b strings.Builder
	unmark := strings.NewReplacer("**", "", "`", "").Replace // no Markdown on the terminal
	plain := func(rows [][]string) [][]string {
		out := make([][]string, len(rows))
		for i, row := range rows {
			out[i] = make([]string, len(row))
			for j, cell := range row {
				out[i][j] = unmark(cell)
			}
		}
		return out
	}
	b.WriteString("\nPeers: the same model in other frameworks, this run, fastest first\n")
	b.WriteString(renderGridText(peersHeader, plain(peerTrainingRows(r))))
	if v := xlaVerdict(r); v != "" {
		b.WriteString(v + ".\n")
	}
	if v := xlaFloorText(r); v != "" {
		b.WriteString(unmark(v) + ".\n")
	}
	b.WriteString("\n")
	b.WriteString(renderGridText(inferenceHeader, plain(peerInferenceRows(r))))
	if s := sharedSessionText(r); s != "" {
		b.WriteString(unmark(s) + "\n")
	}
	if s := onnxCheck(r); s != "" {
		b.WriteString(s + "\n")
	}
	if s := latencyFloorText(r); s != "" {
		b.WriteString(unmark(s) + ".\n")
	}
	return b.String()
}

// renderGridMarkdown lays rows out as a Markdown table, text left and
// figures right.
func renderGridMarkdown(header []string, rows [][]string) string {
	var b strings.Builder
	esc := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	line := func(cells []string) {
		for _, c := range cells {
			b.WriteString("| " + esc(c) + " ")
		}
		b.WriteString("|\n")
	}
	line(header)
	align := make([]string, len(header))
	for i := range align {
		align[i] = "--:"
	}
	align[0] = ":--"
	line(align)
	for _, row := range rows {
		line(row)
	}
	return b.String()
}

// renderGridText lays rows out as aligned plain text.
func renderGridText(header []string, rows [][]string) string {
	width := make([]int, len(header))
	for _, row := range append([][]string{header}, rows...) {
		for i, c := range row {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	var b strings.Builder
	for _, row := range append([][]string{header}, rows...) {
		for i, c := range row {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i == 0 {
				b.WriteString(c + pad)
			} else {
				b.WriteString(" | " + pad + c)
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// peersMethodText says how the peers' figures are measured.
func peersMethodText(c config) string {
	return "How the peers are measured:\n\n" + strings.Join([]string{
		"- **Same model, same start, same batches.** scripts/bench_peers_*.py build the MLP in each framework\n" +
			"  from the same initial weights for a seed (Glorot-uniform kernels, zero biases, drawn with NumPy)\n" +
			"  and train it on the same batches (a NumPy permutation per epoch, from the seed and the epoch),\n" +
			fmt.Sprintf("  batch %d, the training images resident in the framework's memory, each batch gathered by index;\n", c.BatchSize) +
			"  sparse categorical cross-entropy of the softmax, computed from the logits. Adam(1e-3, 0.9, 0.999,\n" +
			"  1e-7): JAX and TF-XLA write Keras 3's update out (epsilon added to sqrt(v), the bias correction\n" +
			"  folded into the learning rate); PyTorch runs its own torch.optim.Adam, which adds epsilon to the\n" +
			"  bias-corrected sqrt(v̂) (a last-bits difference at epsilon 1e-7). Go and Keras draw their own\n" +
			"  weights and orders, from the same seeds.",
		"- **Go XLA** is the Go training child with `tfmodel.CompileOptions{JITCompile: true,\n" +
			"  StepsPerExecution: K}`, K the whole batches of an epoch: one session run per epoch, a graph While\n" +
			"  loop that XLA compiles into one program. XLA takes its options from XLA_FLAGS only, and Go adds\n" +
			"  one (internal/tffunc: `" + tffunc.YNNDotsOff + "`): XLA's CPU compiler then runs\n" +
			"  the matrix products with Eigen's contraction instead of YNNPACK, faster at these shapes. The\n" +
			"  option is XLA's, not Go's: the JAX `lax.scan` side runs once more with it (\"with Go's XLA\n" +
			"  option\"), and the verdict compares Go's epoch with both.",
		"- **TF-XLA**: one `tf.function(jit_compile=True)` whose `tf.range` loop over the epoch's batches\n" +
			"  AutoGraph turns into a `tf.while_loop`, called once per epoch, in the main .venv (the TensorFlow\n" +
			"  build Go links). **JAX**: the epoch as `jax.lax.scan` over the batches' indices in one `jax.jit`\n" +
			"  call, or one jitted step per batch called from Python. **PyTorch**: eager, or the step function\n" +
			"  (zero_grad, forward, loss, backward, `opt.step()`) in `torch.compile` (Inductor's C++ backend;\n" +
			"  its compiling falls in epoch 1). A last partial batch (none at 32) takes one more step.",
		"- **Epoch times** as for Go and Keras: from the end of the previous epoch, so the shuffling is in\n" +
			"  them; median (min) over epochs 2–N of all seeds, epoch 1 (tracing, compiling) left out. × JAX\n" +
			"  lax.scan is a side's median over JAX's; GFLOP/s counts the MatMul FLOPs as the Results do.",
		"- **Physical floor** (the probe; not with -skip-probe): a While loop of an epoch's steps in one\n" +
			"  function XLA compiles, as the XLA epochs are, each step the model's matrix products at their\n" +
			"  own shapes on a fixed batch of random values (per Dense layer x·W, xᵀ·dz and, but for the\n" +
			"  first, dz·Wᵀ: the FLOPs counted above), then, in a second loop, also Adam's update of every\n" +
			"  kernel (its moments and the kernel, the memory traffic a step must make); each step reads the\n" +
			"  kernels the previous one wrote, so XLA can neither hoist nor drop a product. One compiling run,\n" +
			"  then at least 5 rounds and 2 seconds (at most 30) of one run of each loop; the median run per\n" +
			"  step. Left out as small next to these: the gather, biases, activations, softmax, loss and\n" +
			"  metrics, which the split of Go XLA's step calls the rest.",
		"- **Inference.** Batch prediction: the 10,000 test images in batches of 32, NumPy in and NumPy out\n" +
			"  (probabilities), one untimed call then -predict-repeats timed ones in every training child;\n" +
			"  images/s over the median call. Evaluation: the same batches with their labels, each framework's\n" +
			"  evaluation step per batch (summed cross-entropy and correct predictions, read back), mean loss\n" +
			"  and accuracy at the end, as Keras's model.evaluate; timed -predict-repeats times after the\n" +
			"  evaluation that gave the test accuracy (ONNX Runtime serves predictions only). Single-image\n" +
			"  latency: test image 0 as a (1, 28, 28) array,\n" +
			"  -latency-warmup untimed then -latency-n timed calls in the first seed's JAX child (the jitted\n" +
			"  forward, read back with np.asarray) and PyTorch eager child, where PyTorch and ONNX Runtime (an\n" +
			"  ONNX graph built with onnx.helper from the trained weights: Flatten, Gemm, Relu, Gemm, Softmax;\n" +
			"  opset 17) take turns call by call. Each framework's latencies come from its own child, at its\n" +
			"  own moment, not interleaved with Go's.",
		"- **Threads.** -threads as for Go and Keras: 0 leaves each framework its default, every core\n" +
			"  (PyTorch one thread per core, ONNX Runtime its defaults, XLA's CPU client one pool over the cores\n" +
			"  the process may use); N sets PyTorch's and ONNX Runtime's pools and restricts JAX's process to N\n" +
			"  cores. PyTorch's OpenMP wait policy is the environment's (libgomp's default unless\n" +
			"  OMP_WAIT_POLICY is set): its spinning threads make PyTorch fastest on a quiet machine (a step\n" +
			"  0.8 ms on this one, 3.5 ms with OMP_WAIT_POLICY=PASSIVE) and slow it 30–200× while another\n" +
			"  process keeps a core busy: on a busy machine the PyTorch rows say little.",
		"- **Versions**: scripts/peers-install.sh pins them; the machine table lists those that ran.",
	}, "\n") + "\n"
}
