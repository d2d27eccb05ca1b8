package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/internal/onednn"
	"github.com/gokeras/fashion/internal/tutorial"
)

func TestStatistics(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name             string
		xs               []float64
		median, p99      float64
		mean, std        float64
		p0, p25, p50Same float64
	}{
		{"none", nil, nan, nan, nan, nan, nan, nan, nan},
		{"one", []float64{3}, 3, 3, 3, 0, 3, 3, 3},
		{"odd, unsorted", []float64{5, 1, 3}, 3, 4.96, 3, 2, 1, 2, 3},
		{"even", []float64{4, 1, 3, 2}, 2.5, 3.97, 2.5, math.Sqrt(5.0 / 3), 1, 1.75, 2.5},
		{"ties", []float64{2, 2, 2, 2}, 2, 2, 2, 0, 2, 2, 2},
	}
	same := func(t *testing.T, want, got float64, what string) {
		if math.IsNaN(want) {
			assert.True(t, math.IsNaN(got), "%s: want NaN, got %v", what, got)
			return
		}
		assert.InDelta(t, want, got, 1e-9, what)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := append([]float64(nil), tc.xs...)
			same(t, tc.median, median(tc.xs), "median")
			same(t, tc.p99, percentile(tc.xs, 99), "p99")
			same(t, tc.p0, percentile(tc.xs, 0), "p0")
			same(t, tc.p25, percentile(tc.xs, 25), "p25")
			same(t, tc.p50Same, percentile(tc.xs, 50), "p50")
			mean, std := meanStd(tc.xs)
			same(t, tc.mean, mean, "mean")
			same(t, tc.std, std, "std")
			assert.Equal(t, in, tc.xs, "the input must not be reordered")
		})
	}
}

func TestPercentileMatchesNumPy(t *testing.T) {
	// np.percentile(np.arange(1, 101), [50, 99, 99.9]) = 50.5, 99.01, 99.901
	xs := make([]float64, 100)
	for i := range xs {
		xs[i] = float64(100 - i)
	}
	assert.InDelta(t, 50.5, percentile(xs, 50), 1e-9)
	assert.InDelta(t, 99.01, percentile(xs, 99), 1e-9)
	assert.InDelta(t, 99.901, percentile(xs, 99.9), 1e-9)
	assert.InDelta(t, 100, percentile(xs, 150), 1e-9, "clamped")
}

func TestSteadyEpochs(t *testing.T) {
	tests := []struct {
		name string
		runs [][]float64
		want []float64
	}{
		{"drops each run's first epoch", [][]float64{{9, 1, 2}, {8, 3}}, []float64{1, 2, 3}},
		{"one epoch: keeps it", [][]float64{{9}, {8}}, []float64{9, 8}},
		{"no runs", nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, steadyEpochs(tc.runs))
		})
	}
}

func TestParseThreads(t *testing.T) {
	tests := []struct {
		in           string
		intra, inter int
		err          bool
	}{
		{"0", 0, 0, false},
		{"2", 2, 2, false},
		{"2,1", 2, 1, false},
		{" 4 , 0 ", 4, 0, false},
		{"-1", 0, 0, true},
		{"a", 0, 0, true},
		{"1,2,3", 0, 0, true},
		{"", 0, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			intra, inter, err := parseThreads(tc.in)
			if tc.err {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, [2]int{tc.intra, tc.inter}, [2]int{intra, inter})
		})
	}
}

func TestParseFlags(t *testing.T) {
	var sink strings.Builder
	c, err := parseFlags([]string{"-epochs", "2", "-seeds", "1", "-threads", "2,1", "-markdown", "my file.md"}, &sink)
	require.NoError(t, err)
	assert.Equal(t, 2, c.Epochs)
	assert.Equal(t, 32, c.BatchSize)
	assert.Equal(t, [2]int{2, 1}, [2]int{c.IntraOp, c.InterOp})
	assert.Equal(t, `go run ./cmd/bench -epochs 2 -seeds 1 -threads 2,1 -markdown "my file.md"`, c.Command)
	assert.Equal(t, "2 epochs instead of 10, 1 seed instead of 3", c.reduced())

	full, err := parseFlags(nil, &sink)
	require.NoError(t, err)
	assert.Empty(t, full.reduced(), "the defaults are the full run")
	assert.Equal(t, "mlp", full.Model, "the tutorial's model by default")

	cnn, err := parseFlags([]string{"-model", "cnn"}, &sink)
	require.NoError(t, err)
	assert.Equal(t, "cnn", cnn.Model)
	assert.Empty(t, cnn.reduced(), "the model is not a reduction")
	assert.Equal(t, "go run ./cmd/bench -model cnn", cnn.Command)

	for _, bad := range [][]string{{"-epochs", "0"}, {"-seeds", "0"}, {"-keras-jit", "maybe"}, {"extra"}, {"-threads", "x"}, {"-onednn", "sometimes"}, {"-model", "rnn"}} {
		_, err := parseFlags(bad, &sink)
		assert.Error(t, err, "%v", bad)
	}
	_, err = parseFlags([]string{"-model", "rnn"}, &sink)
	assert.ErrorContains(t, err, `-model "rnn": want one of mlp, cnn`)
}

func TestModelOfOldReports(t *testing.T) {
	assert.Equal(t, "mlp", config{}.model(), "reports from before -model measured the MLP")
	assert.Equal(t, "cnn", config{Model: "cnn"}.model())
}

func TestFormatting(t *testing.T) {
	tests := []struct {
		v    float64
		prec int
		want string
	}{
		{0, 0, "0"},
		{999, 0, "999"},
		{1234.5, 1, "1,234.5"},
		{1234567, 0, "1,234,567"},
		{-1234.25, 2, "-1,234.25"},
		{-0.0001, 2, "0.00"},
		{math.NaN(), 2, "—"},
		{math.Inf(1), 2, "—"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, fmtF(tc.v, tc.prec), "fmtF(%v, %d)", tc.v, tc.prec)
	}
	assert.Equal(t, "0.25×", fmtRatio(0.25))
	assert.Equal(t, "3.99×", fmtRatio(3.994))
	assert.Equal(t, "0.00094×", fmtRatio(0.000938))
	assert.Equal(t, "0.00×", fmtRatio(0))
}

// sampleReport is a report as a full run would make it, with round figures.
func sampleReport(withPython bool) *report {
	train := func(epochs []float64, acc float64, rssMiB int64, predict float64) trainResult {
		return trainResult{Epochs: len(epochs), BatchSize: 32, TrainExamples: 60000, EpochSeconds: epochs,
			TestAccuracy: acc, PredictImages: 10000, PredictSeconds: []float64{predict, predict, predict},
			PeakRSSKBAfterTraining: rssMiB * 1024, ChildMaxRSSKB: rssMiB * 1024}
	}
	r := &report{
		Config:  config{Epochs: 3, Seeds: 2, BatchSize: 32, LatencyN: 1000, LatencyWarmup: 100, PredictRepeats: 3, Command: "go run ./cmd/bench -epochs 3 -seeds 2"},
		Machine: machine{CPU: "Test CPU", Cores: 2, TFVersion: "2.21.0", GoVersion: "go1.26"},
		Go: []trainResult{
			train([]float64{3, 1.875, 1.875}, 0.88, 500, 0.1),
			train([]float64{3, 1.875, 1.875}, 0.882, 500, 0.1),
		},
		GoLatency: &goLatency{SavedModelPredict: []float64{50e-6, 50e-6, 60e-6}, SessionRun: []float64{40e-6}, KerasExportPredict: []float64{55e-6}},
		Probe: &probe{MatMulN: 1000, MatMulSeconds: []float64{0.04}, TrivialRunSeconds: []float64{20e-6},
			FloorSteps: 50, FloorRunSeconds: []float64{0.04}, OneStepRunSeconds: []float64{0.0009}},
	}
	r.Config.SkipPython = !withPython
	if withPython {
		r.Python = []trainResult{
			train([]float64{9, 5.7, 5.7}, 0.879, 1000, 0.5),
			train([]float64{9, 5.7, 5.7}, 0.881, 1000, 0.5),
		}
		r.PyLatency = &pyLatency{KerasPredict: []float64{0.05}, KerasCall: []float64{0.002}, GoSavedModelSignature: []float64{300e-6},
			KerasExportSignature: []float64{300e-6}, TrivialCall: []float64{300e-6}}
	}
	return r
}

func findRow(t *testing.T, rows []row, prefix string) row {
	t.Helper()
	for _, x := range rows {
		if strings.HasPrefix(x.Metric, prefix) {
			return x
		}
	}
	t.Fatalf("no row %q", prefix)
	return row{}
}

func TestBuildRows(t *testing.T) {
	rows := buildRows(sampleReport(true))
	tests := []struct {
		metric                       string
		goV, pyV, ratio, target, met string
	}{
		{"seconds per epoch", "1.88", "5.70", "0.33×", "≤ 0.50 (2× faster)", "yes"},
		{"ms per step", "1.000", "3.040", "0.33×", "", ""},
		{"test accuracy", "88.10 ± 0.14", "88.00 ± 0.14", "Δ +0.10 pts", "|Δ| ≤ 0.50 pts", "yes"},
		{"peak RSS by the end of training", "500", "1,000", "0.50×", "< 1.00", "yes"},
		{"training GFLOP/s", "13.09 (26.2% of peak)", "4.31 (8.6% of peak)", "3.04×", "", ""},
		{"share of a step outside the kernels", "20.0", "73.7", "0.27×", "", ""},
		{"images per second", "100,000", "20,000", "5.00×", "≥ 1.00", "yes"},
		{"p50: Go savedmodel.Predict vs Keras model.predict", "50", "50,000", "0.001×", "≤ 0.50", "yes"},
		{"MatMul peak", "50.0", "same runtime", "—", "", ""},
		{"training step, kernel floor", "0.800", "same kernels", "—", "", ""},
		{"one call into a trivial graph", "20.0", "300.0", "0.067×", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.metric, func(t *testing.T) {
			x := findRow(t, rows, tc.metric)
			assert.Equal(t, []string{tc.goV, tc.pyV, tc.ratio, tc.target, tc.met}, []string{x.Go, x.Python, x.Ratio, x.Target, x.Met})
		})
	}
	assert.Equal(t, "Targets: 5 of 5 met.", verdict(rows))
}

func TestBuildRowsMissedTargets(t *testing.T) {
	r := sampleReport(true)
	r.Go[0].TestAccuracy, r.Go[1].TestAccuracy = 0.86, 0.862 // 2 points below Keras
	r.Go[0].EpochSeconds = []float64{9, 4, 4}                // median of {4, 4, 1.875, 1.875} = 2.9375: not 2× faster
	rows := buildRows(r)
	assert.Equal(t, "NO", findRow(t, rows, "test accuracy").Met)
	assert.Equal(t, "Δ -1.90 pts", findRow(t, rows, "test accuracy").Ratio)
	assert.Equal(t, "NO", findRow(t, rows, "seconds per epoch").Met)
	v := verdict(rows)
	assert.Contains(t, v, "Targets: 3 of 5 met; missed: seconds per epoch")
	assert.Contains(t, v, "test accuracy")
}

func TestAccuracyAboveKerasIsStillOutsideTheTarget(t *testing.T) {
	r := sampleReport(true)
	r.Python[0].TestAccuracy, r.Python[1].TestAccuracy = 0.87, 0.872
	rows := buildRows(r)
	x := findRow(t, rows, "test accuracy")
	assert.Equal(t, "Δ +1.00 pts", x.Ratio)
	assert.Equal(t, "NO (Go higher)", x.Met)
	assert.Contains(t, renderMarkdown(rows), "| **NO (Go higher)** |")
	assert.Contains(t, verdict(rows), "Targets: 4 of 5 met; missed: test accuracy")
}

func TestNegativeShareIsMarkedAsNoise(t *testing.T) {
	r := sampleReport(true)
	r.Probe.FloorRunSeconds = []float64{0.06}     // 1.2 ms per step, above Go's 1.0 ms
	r.Probe.OneStepRunSeconds = []float64{0.0013} // 1.28 ms less the trivial call: the unrolled figure is the floor
	x := findRow(t, buildRows(r), "share of a step outside the kernels")
	assert.Equal(t, "-20.0 (noise)", x.Go)
	assert.Equal(t, "60.5", x.Python)
}

func TestKernelFloorIsTheLowerEstimate(t *testing.T) {
	p := &probe{FloorSteps: 50, FloorRunSeconds: []float64{0.04}, OneStepRunSeconds: []float64{0.0009}, TrivialRunSeconds: []float64{20e-6}}
	assert.InDelta(t, 0.0008, p.floorStepSeconds(), 1e-12, "unrolled: 0.8 ms, below one step less a call (0.88 ms)")
	p.FloorRunSeconds = []float64{0.05}
	assert.InDelta(t, 0.00088, p.floorStepSeconds(), 1e-12, "unrolled 1 ms per step: one step per run less a trivial call is lower")
	assert.InDelta(t, 0.001, p.unrolledStepSeconds(), 1e-12)
	p.OneStepRunSeconds = nil
	assert.InDelta(t, 0.001, p.floorStepSeconds(), 1e-12, "no one-step runs: the unrolled figure")
}

func TestBuildRowsWithoutPython(t *testing.T) {
	rows := buildRows(sampleReport(false))
	for _, x := range rows {
		if x.Section != "" {
			continue
		}
		assert.NotEqual(t, "yes", x.Met, x.Metric)
		assert.NotEqual(t, "NO", x.Met, x.Metric)
		if x.Target != "" {
			assert.Equal(t, "n/a", x.Met, x.Metric)
		}
	}
	x := findRow(t, rows, "seconds per epoch")
	assert.Equal(t, []string{"1.88", "—", "—"}, []string{x.Go, x.Python, x.Ratio})
	assert.Equal(t, "Targets: 0 of 5 met; 5 not checked (no Python figures).", verdict(rows))
}

func TestRenderTableAligns(t *testing.T) {
	text := renderTable(buildRows(sampleReport(true)))
	var width int
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if !strings.Contains(line, " | ") {
			continue // section headings and rules
		}
		n := utf8.RuneCountInString(line)
		if width == 0 {
			width = n
		}
		assert.Equal(t, width, n, "every table line is as wide as the header: %q", line)
	}
	assert.True(t, strings.HasPrefix(text, "metric "), "header first")
	assert.Contains(t, text, "\nTraining: batch 32, 1875 steps per epoch, 3 epochs × 2 seeds per side\n")
}

func TestRenderMarkdown(t *testing.T) {
	rows := buildRows(sampleReport(true))
	md := renderMarkdown(rows)
	lines := strings.Split(strings.TrimRight(md, "\n"), "\n")
	require.Len(t, lines, len(rows)+2, "header, alignment, one line per row")
	for _, l := range lines {
		assert.Equal(t, 7, strings.Count(strings.ReplaceAll(l, `\|`, ""), "|"), "six cells: %q", l)
	}
	assert.Contains(t, md, `| \|Δ\| ≤ 0.50 pts |`, "pipes in cells are escaped")

	r := sampleReport(false)
	r.Go[0].TestAccuracy = 0.5
	doc := renderReport(r, buildRows(r))
	assert.Contains(t, doc, "**REDUCED RUN** (3 epochs instead of 10, 2 seeds instead of 3, no Python side)")
	assert.Contains(t, doc, "```sh\ngo run ./cmd/bench -epochs 3 -seeds 2\n```")
	assert.Contains(t, doc, "| CPU | Test CPU |")
	assert.Contains(t, doc, "## Where a Go training step's time goes")
	assert.Contains(t, doc, "409,088 per image")
}

func TestWriteMarkdownKeepsNotes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	r := sampleReport(true)
	rows := buildRows(r)
	require.NoError(t, writeMarkdown(path, r, rows))
	first, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(first), keepMarker+defaultNotes)

	notes := "\n## Notes\n\nHand-written: the loop was tuned.\n"
	edited := strings.Replace(string(first), keepMarker+defaultNotes, keepMarker+notes, 1)
	edited = strings.Replace(edited, "# Benchmarks", "# Stale heading", 1)
	require.NoError(t, os.WriteFile(path, []byte(edited), 0o644))
	require.NoError(t, writeMarkdown(path, r, rows))
	second, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(string(second), keepMarker+notes), "notes kept word for word")
	assert.NotContains(t, string(second), "Stale heading", "everything above the marker is rewritten")
}

func TestWriteMarkdownKeepsOtherModelsSections(t *testing.T) {
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	mlp := sampleReport(true)
	require.NoError(t, writeMarkdown(path, mlp, buildRows(mlp)))
	first, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(first), sectionMarker("mlp")+"\n## MLP: the tutorial's model\n")
	assert.Contains(t, string(first), "Not measured yet: `go run ./cmd/bench -model cnn -markdown BENCHMARKS.md`", "a placeholder for the CNN")

	cnn := sampleReport(true)
	cnn.Config.Model, cnn.Config.Command = "cnn", "go run ./cmd/bench -model cnn"
	for i := range cnn.Go {
		cnn.Go[i].EpochSeconds = []float64{30, 20, 20}
	}
	require.NoError(t, writeMarkdown(path, cnn, buildRows(cnn)))
	second, err := os.ReadFile(path)
	require.NoError(t, err)
	sections := modelSections(strings.SplitN(string(second), keepMarker, 2)[0])
	require.Len(t, sections, len(tutorial.Models))
	assert.Equal(t, modelSections(string(first))["mlp"], sections["mlp"], "the MLP's section is kept word for word")
	assert.Contains(t, sections["cnn"], "## CNN: two 'same' convolution blocks, Dense(128), Dropout\n")
	assert.Contains(t, sections["cnn"], "```sh\ngo run ./cmd/bench -model cnn\n```")
	assert.NotContains(t, sections["cnn"], "Not measured yet")
	assert.Contains(t, sections["convnet"], "Not measured yet: `go run ./cmd/bench -model convnet -markdown BENCHMARKS.md`", "a placeholder for the convnet")
	assert.Less(t, strings.Index(string(second), "## MLP"), strings.Index(string(second), "## CNN"), "the models in tutorial.Models order")
	assert.Equal(t, 1, strings.Count(string(second), "## How each figure is measured\n"))
	assert.True(t, strings.HasSuffix(string(second), keepMarker+defaultNotes), "notes kept")

	// Rewriting the MLP keeps the CNN.
	mlp.Go[0].TestAccuracy = 0.5
	require.NoError(t, writeMarkdown(path, mlp, buildRows(mlp)))
	third, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, sections["cnn"], modelSections(string(third))["cnn"])
	assert.NotEqual(t, sections["mlp"], modelSections(string(third))["mlp"])
}

func TestModelSectionsOfAFileFromBeforeThem(t *testing.T) {
	assert.Empty(t, modelSections("# Benchmarks\n\n## Results\n\n| a | b |\n"))
}

func TestAnchor(t *testing.T) {
	assert.Equal(t, "mlp-the-tutorials-model", anchor("MLP: the tutorial's model"))
	assert.Equal(t, "cnn-kerass-simple-mnist-convnet", anchor(`CNN: Keras's "Simple MNIST convnet"`))
}

func TestMachineParsing(t *testing.T) {
	cpuinfo := "processor\t: 0\nmodel name\t: Test CPU @ 2.0GHz\nflags\t\t: fpu sse4_2 avx avx2 fma\n\nprocessor\t: 1\nmodel name\t: Other\nflags\t\t: fpu\n"
	model, flags := parseCPUInfo(cpuinfo)
	assert.Equal(t, "Test CPU @ 2.0GHz", model)
	assert.Equal(t, []string{"sse4_2", "avx", "avx2", "fma"}, flags)

	for in, want := range map[string]string{"max 100000\n": "", "200000 100000\n": "2 CPUs", "150000 100000": "1.5 CPUs", "junk": ""} {
		assert.Equal(t, want, cgroupQuota(in), in)
	}
	assert.Equal(t, "23.5 GiB", memTotal("MemFree: 1 kB\nMemTotal:       24684092 kB\n"))
	assert.Empty(t, machine{Cores: 2, Load1: 0.5}.busy())
	assert.Contains(t, machine{Cores: 2, Load1: 3, LoadAvg: "load average 3 2 1"}.busy(), "busy (load average 3 2 1 on 2 cores")
	assert.Equal(t, "Debian GNU/Linux 12 (bookworm)", osRelease("NAME=\"Debian\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"))
}

func TestTailBuffer(t *testing.T) {
	b := &tailBuffer{max: 10}
	assert.Equal(t, "(no output)", b.String())
	_, _ = b.Write([]byte("hello\n"))
	assert.Equal(t, "hello", b.String())
	_, _ = b.Write([]byte("0123456789abc\n"))
	assert.Equal(t, "...\n456789abc", b.String())
}

func TestTimeInterleaved(t *testing.T) {
	var order []int
	fn := func(i int) func() error { return func() error { order = append(order, i); return nil } }
	times, err := timeInterleaved(1, 2, fn(0), fn(1))
	require.NoError(t, err)
	assert.Equal(t, []int{0, 1, 0, 1, 0, 1}, order, "the methods take turns")
	require.Len(t, times, 2)
	assert.Len(t, times[0], 2, "warm-up calls are not timed")
	assert.Len(t, times[1], 2)
}

func TestOneDNNPasses(t *testing.T) {
	other := "1"
	if onednn.Enabled() {
		other = "0"
	}
	tests := []struct {
		flag string
		want []onednnSetting
	}{
		{"default", []onednnSetting{{}}},
		{"on", []onednnSetting{{"1"}}},
		{"off", []onednnSetting{{"0"}}},
		{"both", []onednnSetting{{}, {other}}},
	}
	for _, tt := range tests {
		got, err := onednnPasses(tt.flag)
		require.NoError(t, err, tt.flag)
		assert.Equal(t, tt.want, got, tt.flag)
	}
	_, err := onednnPasses("maybe")
	assert.ErrorContains(t, err, `-onednn "maybe"`)
}

func TestReportComparesOneDNNSettings(t *testing.T) {
	r := sampleReport(true)
	for i := range r.Go {
		r.Go[i].OneDNN = "on (machine default)"
	}
	assert.Empty(t, renderOneDNNComparison(r), "one pass: no comparison")
	md := renderReport(r, buildRows(r))
	assert.Contains(t, md, "| TensorFlow's oneDNN kernels, both sides | on (machine default) |")

	off := sampleReport(true)
	for i := range off.Go {
		off.Go[i].OneDNN = "off (TF_ENABLE_ONEDNN_OPTS=0)"
		off.Go[i].EpochSeconds = []float64{2, 1.5, 1.5}
	}
	r.OtherOneDNN = off
	cmp := renderOneDNNComparison(r)
	assert.Contains(t, cmp, "| metric | Go, oneDNN on (machine default) | Go, oneDNN off (TF_ENABLE_ONEDNN_OPTS=0) | Keras, oneDNN on (machine default) | Keras, oneDNN off (TF_ENABLE_ONEDNN_OPTS=0) |")
	assert.Contains(t, cmp, "| seconds per epoch (median of epochs 2–N) | 1.88 | 1.50 | 5.70 | 5.70 |")
	assert.Contains(t, cmp, "| ms per step | 1.000 | 0.800 | 3.040 | 3.040 |")
	assert.NotContains(t, cmp, "InferenceShared", "neither pass timed it beside the default")
	for i := range off.Go {
		off.Go[i].SharedSession = &sharedSessionResult{PredictSeconds: []float64{0.4, 0.4, 0.4}, EvaluateSeconds: []float64{0.5, 0.5, 0.5}, MaxAbsDiff: 5e-7}
	}
	cmp = renderOneDNNComparison(r)
	assert.Contains(t, cmp, "| batch prediction, images per second | 100,000 | 100,000 | 20,000 | 20,000 |")
	assert.Contains(t, cmp, "| batch prediction, Go's `InferenceShared` (Keras's bits), images per second | 100,000 | 25,000 | — | — |", "on: the default's own figures")
	assert.Contains(t, cmp, "| evaluation, Go's `InferenceShared`, images per second | — | 20,000 | — | — |")
	assert.Contains(t, cmp, "Here, oneDNN off (TF_ENABLE_ONEDNN_OPTS=0): predictions of the test images within 5e-07 of each other")
	for i := range r.Go {
		r.Go[i].SharedSession = &sharedSessionResult{PredictSeconds: []float64{0.2}, EvaluateSeconds: []float64{0.3}}
	}
	cmp = renderOneDNNComparison(r)
	assert.Contains(t, cmp, "Here, oneDNN on (machine default): the same predictions to the bit", "no peers section: the first pass's sentence here")

	assert.NotContains(t, cmp, "Go XLA", "no Go XLA runs")
	xla := func(epoch, predict float64) []trainResult {
		return []trainResult{{Epochs: 3, BatchSize: 32, TrainExamples: 60000, EpochSeconds: []float64{2, epoch, epoch}, TestAccuracy: 0.881,
			PredictImages: 10000, PredictSeconds: []float64{predict, predict, predict}, EvaluateSeconds: []float64{2 * predict}}}
	}
	r.GoXLA, off.GoXLA = xla(0.3, 0.01), xla(0.35, 0.0125)
	cmp = renderOneDNNComparison(r)
	assert.Contains(t, cmp, "| Go XLA: seconds per epoch | 0.300 | 0.350 | — | — |")
	assert.Contains(t, cmp, "| Go XLA: test accuracy, % (mean over seeds) | 88.10 | 88.10 | — | — |")
	assert.Contains(t, cmp, "| Go XLA: batch prediction, images per second | 1,000,000 | 800,000 | — | — |")
	assert.Contains(t, cmp, "| Go XLA: evaluation, images per second | 500,000 | 400,000 | — | — |")
	assert.NotContains(t, cmp, "JAX lax.scan", "no peers in the run")
	assert.Contains(t, renderReport(r, buildRows(r)), "## oneDNN on and off")
	assert.Contains(t, renderText(r, buildRows(r)), "## oneDNN on and off")
}

func TestRenderSavedReport(t *testing.T) {
	dir := t.TempDir()
	js, md := filepath.Join(dir, "run.json"), filepath.Join(dir, "BENCHMARKS.md")
	require.NoError(t, writeJSON(js, sampleReport(true)))
	var out, log strings.Builder
	require.NoError(t, renderSaved(config{render: js, markdown: md}, &out, &log))
	assert.Contains(t, out.String(), "Fashion-MNIST, MLP: the tutorial's model: Go (TensorFlow C API) vs Python Keras")
	assert.Contains(t, out.String(), "Targets: 5 of 5 met.")
	assert.Contains(t, log.String(), "wrote the mlp section of "+md)
	doc, err := os.ReadFile(md)
	require.NoError(t, err)
	assert.Contains(t, string(doc), sectionMarker("mlp")+"\n## MLP")

	require.NoError(t, os.WriteFile(js, []byte(`{"config": {}}`), 0o644))
	assert.ErrorContains(t, renderSaved(config{render: js}, &out, &log), "no Go training runs in it")
}

func TestModelTextMatchesTheModels(t *testing.T) {
	for _, name := range tutorial.Models {
		m, err := newModel(name)
		require.NoError(t, err)
		assert.Contains(t, modelText[name].about, fmtF(float64(m.Params()), 0)+" parameters", name)
	}
}
