package main

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// row is one line of the results table. A row with only Section set is a
// section heading.
type row struct {
	Section string
	Metric  string
	Go      string
	Python  string
	Ratio   string // Go/Python, or the difference for accuracy
	Target  string
	Met     string // "yes" or "NO" (either with a reason after it), "n/a" (no Python figure), "" (no target)
}

var header = row{Metric: "metric", Go: "Go", Python: "Python", Ratio: "Go/Python", Target: "target", Met: "met?"}

// sides gathers one figure of both sides' runs.
func sides(r *report, f func([]trainResult) float64) (goV, pyV float64) {
	goV, pyV = f(r.Go), math.NaN()
	if len(r.Python) > 0 {
		pyV = f(r.Python)
	}
	return goV, pyV
}

func steadyEpochSeconds(runs []trainResult) float64 {
	var all [][]float64
	for _, t := range runs {
		all = append(all, t.EpochSeconds)
	}
	return median(steadyEpochs(all))
}

func stepsPerEpoch(runs []trainResult) int {
	if len(runs) == 0 {
		return 0
	}
	return runs[0].steps()
}

func accuracies(runs []trainResult) []float64 {
	var out []float64
	for _, t := range runs {
		out = append(out, 100*t.TestAccuracy)
	}
	return out
}

func maxOf(runs []trainResult, f func(trainResult) int64) float64 {
	m := math.NaN()
	for _, t := range runs {
		if v := float64(f(t)); math.IsNaN(m) || v > m {
			m = v
		}
	}
	return m
}

func imagesPerSecond(runs []trainResult) float64 {
	return testImagesPerSecond(runs, func(t trainResult) []float64 { return t.PredictSeconds })
}

// evaluatedPerSecond is imagesPerSecond for evaluation (NaN when the runs
// did not time it).
func evaluatedPerSecond(runs []trainResult) float64 {
	return testImagesPerSecond(runs, func(t trainResult) []float64 { return t.EvaluateSeconds })
}

// testImagesPerSecond is the test images over the median of the runs'
// seconds.
func testImagesPerSecond(runs []trainResult, seconds func(trainResult) []float64) float64 {
	var secs []float64
	images := 0
	for _, t := range runs {
		secs = append(secs, seconds(t)...)
		images = t.PredictImages
	}
	return float64(images) / median(secs)
}

// µs is the p-th percentile of call times in microseconds (NaN if none).
func µs(xs []float64, p float64) float64 { return 1e6 * percentile(xs, p) }

// buildRows turns a report into the table, targets checked.
func buildRows(r *report) []row {
	c := r.Config
	var rows []row
	add := func(x row) { rows = append(rows, x) }
	section := func(s string) { add(row{Section: s}) }
	hasPy := len(r.Python) > 0

	steps := stepsPerEpoch(r.Go)
	section(fmt.Sprintf("Training: batch %d, %d steps per epoch, %s × %s per side", c.BatchSize, steps, plural(c.Epochs, "epoch"), plural(len(r.Go), "seed")))
	epochWhich := fmt.Sprintf("median of epochs 2–%d", c.Epochs)
	switch c.Epochs {
	case 1:
		epochWhich = "epoch 1 only"
	case 2:
		epochWhich = "epoch 2"
	}
	goEpoch, pyEpoch := sides(r, steadyEpochSeconds)
	goStep, pyStep := 1e3*goEpoch/float64(steps), 1e3*pyEpoch/float64(steps)
	add(epochRow("seconds per epoch ("+epochWhich+")", goEpoch, pyEpoch, r))
	add(timeRow("ms per step", goStep, pyStep, 3, math.NaN(), ""))

	goAcc, goStd := meanStd(accuracies(r.Go))
	pyAcc, pyStd := math.NaN(), math.NaN()
	if hasPy {
		pyAcc, pyStd = meanStd(accuracies(r.Python))
	}
	acc := row{Metric: "test accuracy, % (mean ± std over seeds)",
		Go: fmt.Sprintf("%.2f ± %.2f", goAcc, goStd), Python: pmOrDash(pyAcc, pyStd),
		Ratio: "—", Target: "|Δ| ≤ 0.50 pts", Met: "n/a"}
	if hasPy {
		d := goAcc - pyAcc
		acc.Ratio = fmt.Sprintf("Δ %+.2f pts", d)
		acc.Met = yesNo(math.Abs(d) <= 0.5)
		if d > 0.5 {
			acc.Met = "NO (Go higher)"
		}
	}
	add(acc)

	goRSS, pyRSS := sides(r, func(t []trainResult) float64 {
		return maxOf(t, func(t trainResult) int64 { return t.PeakRSSKBAfterTraining }) / 1024
	})
	add(compareRow("peak RSS by the end of training, MiB", goRSS, pyRSS, 0, lessThan(1), "< 1.00"))
	goChild, pyChild := sides(r, func(t []trainResult) float64 {
		return maxOf(t, func(t trainResult) int64 { return t.ChildMaxRSSKB }) / 1024
	})
	add(compareRow("peak RSS of the whole run (incl. evaluate, predict, save), MiB", goChild, pyChild, 0, nil, ""))

	count, countErr := modelFLOPs(c.model())
	flops := float64(count.Total()) * float64(trainExamples(r.Go))
	if countErr != nil {
		flops = math.NaN()
	}
	goGF, pyGF := flops/goEpoch/1e9, flops/pyEpoch/1e9
	what := "MatMul FLOPs"
	if count.Conv {
		what = "MatMul and convolution FLOPs"
	}
	gf := compareRow("training GFLOP/s achieved ("+what+", see notes)", goGF, pyGF, 2, nil, "")
	if r.Probe != nil {
		peak := r.Probe.matmulGFLOPS()
		gf.Go += fmt.Sprintf(" (%.1f%% of peak)", 100*goGF/peak)
		if hasPy {
			gf.Python += fmt.Sprintf(" (%.1f%% of peak)", 100*pyGF/peak)
		}
	}
	add(gf)
	if r.Probe != nil {
		floor := r.Probe.floorStepSeconds() * 1e3
		share := func(step float64) float64 { return 100 * (step - floor) / step }
		x := compareRow("share of a step outside the kernels, % (1 − kernel floor / step)", share(goStep), share(pyStep), 1, nil, "")
		// The floor and the step are timed at different moments: on a busy
		// machine the floor can come out above the step.
		for _, v := range []*string{&x.Go, &x.Python} {
			if strings.HasPrefix(*v, "-") {
				*v += " (noise)"
			}
		}
		add(x)
	}

	section(fmt.Sprintf("Batch prediction: %d test images, batch %d (median of %d timed runs per seed)", predictImages(r.Go), c.BatchSize, c.PredictRepeats))
	goIPS, pyIPS := sides(r, imagesPerSecond)
	add(compareRow("images per second", goIPS, pyIPS, 0, atLeast(1), "≥ 1.00"))
	if goEval, pyEval := sides(r, evaluatedPerSecond); !math.IsNaN(goEval) {
		add(compareRow("evaluation (loss and accuracy) of the same images, images per second", goEval, pyEval, 0, nil, ""))
	}

	if l := r.GoLatency; l != nil {
		section(fmt.Sprintf("Single-image prediction latency, µs: %d timed calls after %d warm-up, from loaded models", c.LatencyN, c.LatencyWarmup))
		var p pyLatency
		if r.PyLatency != nil {
			p = *r.PyLatency
		}
		for _, q := range []float64{50, 99} {
			target, check := "", (func(float64) bool)(nil)
			if q == 50 {
				target, check = "≤ 0.50", atMost(0.5)
			}
			add(compareRow(fmt.Sprintf("p%.0f: Go savedmodel.Predict vs Keras model.predict", q), µs(l.SavedModelPredict, q), µs(p.KerasPredict, q), 0, check, target))
		}
		for _, q := range []float64{50, 99} {
			add(compareRow(fmt.Sprintf("p%.0f: Go savedmodel.Predict vs Python signature call, Go's SavedModel", q), µs(l.SavedModelPredict, q), µs(p.GoSavedModelSignature, q), 0, nil, ""))
		}
		if len(l.KerasExportPredict) > 0 {
			for _, q := range []float64{50, 99} {
				add(compareRow(fmt.Sprintf("p%.0f: Go savedmodel.Predict vs Python signature call, Keras's export", q), µs(l.KerasExportPredict, q), µs(p.KerasExportSignature, q), 0, nil, ""))
			}
		}
		add(compareRow("p50: Go bare Session.Run vs Keras model(x) call", µs(l.SessionRun, 50), µs(p.KerasCall, 50), 0, nil, ""))
	}

	if pr := r.Probe; pr != nil {
		section("The runtime underneath: same TensorFlow, same threads (measured from Go)")
		add(row{Metric: fmt.Sprintf("MatMul peak, GFLOP/s (%d² float32, median)", pr.MatMulN), Go: fmtF(pr.matmulGFLOPS(), 1), Python: "same runtime", Ratio: "—"})
		add(row{Metric: "training step, kernel floor, ms (the lower of: unrolled; one step per run less a trivial call)", Go: fmtF(pr.floorStepSeconds()*1e3, 3), Python: "same kernels", Ratio: "—"})
		if len(pr.ConvRunSeconds) > 0 {
			add(row{Metric: "… of which the convolutions alone, ms (forward, filter and input gradients, unrolled)", Go: fmtF(pr.convStepSeconds()*1e3, 3), Python: "same kernels", Ratio: "—"})
		}
		add(row{Metric: fmt.Sprintf("training step, %d steps unrolled per Session.Run, ms per step", pr.FloorSteps), Go: fmtF(pr.unrolledStepSeconds()*1e3, 3), Python: "—", Ratio: "—"})
		add(row{Metric: "training step, same graph, one step per Session.Run, ms", Go: fmtF(median(pr.OneStepRunSeconds)*1e3, 3), Python: "—", Ratio: "—"})
		if len(pr.FitEpochSeconds) > 0 {
			add(row{Metric: fmt.Sprintf("training step, tfmodel Fit, timed alongside the above (epochs of %d steps), ms", pr.FloorSteps), Go: fmtF(pr.fitStepSeconds()*1e3, 3), Python: "—", Ratio: "—"})
		}
		var trivial []float64
		if r.PyLatency != nil {
			trivial = r.PyLatency.TrivialCall
		}
		add(compareRow("one call into a trivial graph (feed 32 ints, fetch 2 scalars), µs p50", µs(pr.TrivialRunSeconds, 50), µs(trivial, 50), 1, nil, ""))
		if len(pr.TrivialCallerRunSeconds) > 0 {
			add(row{Metric: "… the same in the caller's thread (as savedmodel runs a signature), µs p50", Go: fmtF(µs(pr.TrivialCallerRunSeconds, 50), 1), Python: "—", Ratio: "—"})
		}
	}
	return rows
}

// Training speed's targets: Go at least twice as fast as Keras, or, for a
// model whose convolutions dominate its step, where a speed-up is bounded
// by kernels both sides share, Go's step within floorTolerance of the
// kernel floor.
const (
	speedTarget    = 0.5
	floorTolerance = 1.10
)

// floorTargets reports whether the model's training target admits the
// kernel floor as the alternative to 2×: the models with convolutions.
func floorTargets(model string) bool {
	f, err := modelFLOPs(model)
	return err == nil && f.Conv
}

// epochRow is the seconds-per-epoch row and its target, with the
// kernel-floor alternative where it applies (Go's step as goStepForFloor
// has it).
func epochRow(metric string, goEpoch, pyEpoch float64, r *report) row {
	if !floorTargets(r.Config.model()) {
		return timeRow(metric, goEpoch, pyEpoch, 2, speedTarget, "≤ 0.50 (2× faster)")
	}
	x := timeRow(metric, goEpoch, pyEpoch, 2, speedTarget, fmt.Sprintf("≤ 0.50 (2× faster), or Go's step ≤ %.2f× the kernel floor", floorTolerance))
	if x.Met == "yes" || r.Probe == nil {
		return x
	}
	step, _ := goStepForFloor(r)
	atFloor := step / r.Probe.floorStepSeconds()
	if atFloor <= floorTolerance {
		x.Met = fmt.Sprintf("yes (Go's step %.2f× the floor)", atFloor)
	} else if x.Met == "NO" {
		x.Met = fmt.Sprintf("NO (Go's step %.2f× the floor)", atFloor)
	}
	return x
}

func trainExamples(runs []trainResult) int {
	if len(runs) == 0 {
		return 0
	}
	return runs[0].TrainExamples
}

func predictImages(runs []trainResult) int {
	if len(runs) == 0 {
		return 0
	}
	return runs[0].PredictImages
}

// timeRow is a row of times, where lower is better.
func timeRow(metric string, goV, pyV float64, prec int, maxRatio float64, target string) row {
	var check func(float64) bool
	if !math.IsNaN(maxRatio) {
		check = atMost(maxRatio)
	}
	return compareRow(metric, goV, pyV, prec, check, target)
}

// compareRow formats both values and their ratio, and checks the ratio
// against the target when there is one.
func compareRow(metric string, goV, pyV float64, prec int, check func(ratio float64) bool, target string) row {
	x := row{Metric: metric, Go: fmtF(goV, prec), Python: fmtF(pyV, prec), Ratio: "—", Target: target}
	ratio := goV / pyV
	if !math.IsNaN(ratio) && !math.IsInf(ratio, 0) {
		x.Ratio = fmtRatio(ratio)
	}
	if check != nil {
		if x.Ratio == "—" {
			x.Met = "n/a"
		} else {
			x.Met = yesNo(check(ratio))
		}
	}
	return x
}

// fmtRatio shows two decimals, or two significant digits below 0.1 so
// that a tiny ratio does not read as zero.
func fmtRatio(r float64) string {
	if r != 0 && math.Abs(r) < 0.1 {
		return fmt.Sprintf("%.2g×", r)
	}
	return fmt.Sprintf("%.2f×", r)
}

func atMost(limit float64) func(float64) bool  { return func(r float64) bool { return r <= limit } }
func atLeast(limit float64) func(float64) bool { return func(r float64) bool { return r >= limit } }
func lessThan(limit float64) func(float64) bool {
	return func(r float64) bool { return r < limit }
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}

// fmtF formats v with prec decimals and thousands separators; "—" for NaN.
func fmtF(v float64, prec int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	s := fmt.Sprintf("%.*f", prec, math.Abs(v))
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if v < 0 && strings.Trim(s, "0.") != "" {
		b.WriteByte('-')
	}
	for i, d := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return b.String()
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func pmOrDash(mean, std float64) string {
	if math.IsNaN(mean) {
		return "—"
	}
	return fmt.Sprintf("%.2f ± %.2f", mean, std)
}

func mib(kb int64) string { return fmt.Sprintf("%.0f MiB", float64(kb)/1024) }

func formatList(xs []float64, prec int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmtF(x, prec)
	}
	return strings.Join(parts, ", ")
}

// renderTable lays rows out as aligned plain text.
func renderTable(rows []row) string {
	cells := func(x row) []string { return []string{x.Metric, x.Go, x.Python, x.Ratio, x.Target, x.Met} }
	width := make([]int, 6)
	for _, x := range append([]row{header}, rows...) {
		if x.Section != "" {
			continue
		}
		for i, c := range cells(x) {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	total := len(width) - 1
	for _, w := range width {
		total += w + 2
	}
	var b strings.Builder
	line := func(x row) {
		for i, c := range cells(x) {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i == 0 {
				b.WriteString(c + pad) // text left, figures right
			} else {
				b.WriteString(" | " + pad + c)
			}
		}
		b.WriteString("\n")
	}
	line(header)
	for _, x := range rows {
		if x.Section != "" {
			b.WriteString("\n" + x.Section + "\n")
			b.WriteString(strings.Repeat("-", min(total, max(utf8.RuneCountInString(x.Section), 20))) + "\n")
			continue
		}
		line(x)
	}
	return b.String()
}

// renderMarkdown lays rows out as a GitHub Markdown table.
func renderMarkdown(rows []row) string {
	var b strings.Builder
	esc := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	b.WriteString("| metric | Go | Python | Go/Python | target | met? |\n")
	b.WriteString("| :-- | --: | --: | --: | :-- | :-- |\n")
	for _, x := range rows {
		if x.Section != "" {
			fmt.Fprintf(&b, "| **%s** | | | | | |\n", esc(x.Section))
			continue
		}
		met := x.Met
		if strings.HasPrefix(met, "NO") {
			met = "**" + met + "**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", esc(x.Metric), esc(x.Go), esc(x.Python), esc(x.Ratio), esc(x.Target), met)
	}
	return b.String()
}

// renderText is what bench prints: a heading, the table and the verdict.
func renderText(r *report, rows []row) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Fashion-MNIST, %s: Go (TensorFlow C API) vs Python Keras\n", modelTitle(r.Config.model()))
	if why := r.Config.reduced(); why != "" {
		fmt.Fprintf(&b, "REDUCED RUN (%s): not the benchmark's figures\n", why)
	}
	fmt.Fprintf(&b, "%s; %s; TensorFlow %s, oneDNN %s; threads %s; %s\n", r.Machine.CPU, coresText(r.Machine), r.Machine.TFVersion, oneDNNOf(r), threadsText(r.Config), r.Machine.LoadAvg)
	if busy := r.Machine.busy(); busy != "" {
		fmt.Fprintf(&b, "Note: %s.\n", busy)
	}
	b.WriteString("\n")
	b.WriteString(renderTable(rows))
	b.WriteString("\n" + verdict(rows) + "\n")
	b.WriteString(renderPeersText(r))
	if cmp := renderOneDNNComparison(r); cmp != "" {
		b.WriteString("\n" + cmp)
	}
	return b.String()
}

// verdict counts the targets met.
func verdict(rows []row) string {
	var met, missed, unknown []string
	for _, x := range rows {
		switch {
		case strings.HasPrefix(x.Met, "yes"):
			met = append(met, x.Metric)
		case strings.HasPrefix(x.Met, "NO"):
			missed = append(missed, x.Metric)
		case x.Met == "n/a":
			unknown = append(unknown, x.Metric)
		}
	}
	s := fmt.Sprintf("Targets: %d of %d met", len(met), len(met)+len(missed)+len(unknown))
	if len(missed) > 0 {
		s += "; missed: " + strings.Join(missed, "; ")
	}
	if len(unknown) > 0 {
		s += fmt.Sprintf("; %d not checked (no Python figures)", len(unknown))
	}
	return s + "."
}

func coresText(m machine) string {
	s := fmt.Sprintf("%d cores", m.Cores)
	if m.CPUQuota != "" {
		s += " (cgroup quota " + m.CPUQuota + ")"
	}
	return s
}

func threadsText(c config) string {
	if c.IntraOp == 0 && c.InterOp == 0 {
		return "TensorFlow's defaults (intra-op 0, inter-op 0; Go's inter-op 0 runs a session run's operations in the caller's thread)"
	}
	if c.InterOp == 0 {
		return fmt.Sprintf("intra-op %d, inter-op 0 (Go: the caller's thread)", c.IntraOp)
	}
	return fmt.Sprintf("intra-op %d, inter-op %d", c.IntraOp, c.InterOp)
}
