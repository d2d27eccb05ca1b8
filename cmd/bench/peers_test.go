package main

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParsePeers(t *testing.T) {
	everything := []string{"tf-xla", "jax-scan", "jax-scan-eigen", "jax-scan-bytes", "jax-step", "torch-eager", "torch-compile", "onnx"}
	tests := []struct {
		in   string
		want []string
		err  string
	}{
		{in: "", want: nil},
		{in: "all", want: everything},
		{in: "jax", want: []string{"jax-scan", "jax-scan-eigen", "jax-scan-bytes", "jax-step"}},
		{in: "torch,onnx", want: []string{"torch-eager", "torch-compile", "onnx"}},
		{in: "onnx, torch-eager", want: []string{"torch-eager", "onnx"}},
		{in: "jax-step,tf-xla,jax-step", want: []string{"tf-xla", "jax-step"}}, // the run's order, once each
		{in: "all,jax", want: everything},
		{in: "pytorch", err: `-peers "pytorch": unknown peer "pytorch"; want a comma-separated list of all, tf-xla, jax, jax-scan, jax-scan-eigen, jax-scan-bytes, jax-step, torch, torch-eager, torch-compile, onnx`},
		{in: "jax,JAX", err: `unknown peer "JAX"`},
		{in: "onnx", err: `-peers "onnx": onnx serves the model torch-eager trains: add torch or torch-eager`},
		{in: "torch-compile,onnx", err: "onnx serves the model torch-eager trains"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parsePeers(tc.in)
			if tc.err != "" {
				assert.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseFlagsPeers(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		peers []string
		goXLA bool
		err   string
	}{
		{name: "none: as before", args: nil, peers: nil, goXLA: false},
		{name: "peers bring Go's XLA side", args: []string{"-peers", "jax"}, peers: []string{"jax-scan", "jax-scan-eigen", "jax-scan-bytes", "jax-step"}, goXLA: true},
		{name: "unless told", args: []string{"-peers", "all", "-go-modes", "step"}, peers: []string{"tf-xla", "jax-scan", "jax-scan-eigen", "jax-scan-bytes", "jax-step", "torch-eager", "torch-compile", "onnx"}},
		{name: "Go XLA without peers", args: []string{"-go-modes", "step,xla"}, goXLA: true},
		{name: "unknown peer", args: []string{"-peers", "mxnet"}, err: `unknown peer "mxnet"`},
		{name: "XLA alone", args: []string{"-go-modes", "xla"}, err: `-go-modes "xla": step must be one of them`},
		{name: "unknown mode", args: []string{"-go-modes", "step,fast"}, err: `-go-modes "step,fast": want auto, or a comma-separated list of step and xla`},
		{name: "the peers train the MLP only", args: []string{"-peers", "jax", "-model", "cnn"}, err: "-peers: the peer sides train the tutorial's MLP only, not -model cnn"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var sink strings.Builder
			c, err := parseFlags(tc.args, &sink)
			if tc.err != "" {
				assert.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.peers, c.Peers)
			assert.Equal(t, tc.goXLA, c.GoXLA)
			assert.Empty(t, c.reduced(), "peers are no reduction")
		})
	}
}

func TestPeersVenv(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, ".venv.peers")
	_, err := peersPython(missing)
	require.Error(t, err)
	assert.Contains(t, err.Error(), filepath.Join(missing, "bin", "python")+" not found", "names the path")
	assert.Contains(t, err.Error(), "run scripts/peers-install.sh", "says how to make it")

	py := filepath.Join(dir, "venv", "bin", "python")
	require.NoError(t, os.MkdirAll(filepath.Dir(py), 0o755))
	require.NoError(t, os.WriteFile(py, nil, 0o755))
	got, err := peersPython(filepath.Join(dir, "venv"))
	require.NoError(t, err)
	assert.Equal(t, py, got)
}

func TestRunnerNeedsThePeersVenvOnlyForItsSides(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no-venv")
	tests := []struct {
		name  string
		peers []string
		err   bool
	}{
		{"no peers", nil, false},
		{"TensorFlow's runs in the main .venv", []string{"tf-xla"}, false},
		{"JAX", []string{"jax-scan"}, true},
		{"PyTorch and ONNX Runtime", []string{"torch-eager", "onnx"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// -python stands in for the main .venv, which this test does
			// not need either.
			cfg := config{SkipPython: true, Peers: tc.peers, peersVenv: missing, python: "/bin/true"}
			_, err := newRunner(cfg, t.TempDir(), &strings.Builder{})
			if !tc.err {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), filepath.Join(missing, "bin", "python"))
			assert.Contains(t, err.Error(), "scripts/peers-install.sh")
		})
	}
}

// The fixtures are a real run's: go run ./cmd/bench -peers all -epochs 3
// -seeds 1 -latency-n 500 -json ... -workdir ... -keep, on the project's
// 2-core machine (an AMD EPYC with AVX-512, 2026-12-02); peer-torch-eager-seed1.json is
// that run's PyTorch eager child's result file.
const (
	peerRunFixture    = "testdata/peer-torch-eager-seed1.json"
	peerReportFixture = "testdata/peers-report.json"
)

func TestReadPeerRun(t *testing.T) {
	torch, _ := lookupPeer("torch-eager")
	jax, _ := lookupPeer("jax-scan")
	p, err := readPeerRun(peerRunFixture, torch, 1, 3)
	require.NoError(t, err)
	assert.Equal(t, "torch-eager", p.Side)
	assert.Equal(t, 60000, p.TrainExamples)
	assert.Equal(t, 1875, p.steps())
	assert.Len(t, p.EpochSeconds, 3)
	assert.InDelta(t, 0.87, p.TestAccuracy, 0.02, "after 3 epochs")
	assert.Equal(t, 10000, p.PredictImages)
	assert.Len(t, p.PredictSeconds, 3)
	assert.Len(t, p.EvaluateSeconds, 3, "evaluation timed as prediction")
	assert.Equal(t, "2.15.0", p.Versions["torch"])
	require.NotNil(t, p.Threads)
	assert.Equal(t, "OMP_WAIT_POLICY=unset (libgomp's default)", p.ThreadsNote)
	assert.Len(t, p.LatencySeconds["torch-eager"], 500)
	assert.Len(t, p.LatencySeconds["onnxruntime"], 500)
	require.Len(t, p.Runtimes, 1)
	assert.Equal(t, "onnxruntime", p.Runtimes[0].System)
	assert.Equal(t, p.TestAccuracy, p.Runtimes[0].TestAccuracy, "ONNX Runtime serves the weights PyTorch trained")

	for _, bad := range []struct {
		name   string
		side   peerSide
		seed   int64
		epochs int
		err    string
	}{
		{"another side's", jax, 1, 3, `side "torch-eager", want "jax-scan"`},
		{"another seed's", torch, 2, 3, "seed 1, want 2"},
		{"another length", torch, 1, 10, "3 epoch times, want 10"},
	} {
		t.Run(bad.name, func(t *testing.T) {
			_, err := readPeerRun(peerRunFixture, bad.side, bad.seed, bad.epochs)
			assert.ErrorContains(t, err, bad.err)
		})
	}
	_, err = readPeerRun(filepath.Join(t.TempDir(), "none.json"), torch, 1, 3)
	assert.Error(t, err, "no result file")
}

func TestPeersReportOfARealRun(t *testing.T) {
	r := new(report)
	require.NoError(t, readJSON(peerReportFixture, r))
	require.Len(t, r.Peers, 5, "one run of each training side")

	rows := peerTrainingRows(r)
	require.Len(t, rows, 8, "Go per step, Keras, Go XLA and the five peers")
	systems := map[string][]string{}
	for i, row := range rows {
		require.Len(t, row, len(peersHeader))
		systems[row[0]] = row
		if i > 0 {
			assert.LessOrEqual(t, leadingFloat(t, rows[i-1][1]), leadingFloat(t, row[1]), "fastest first")
		}
	}
	// The fixture's figures worked out with NumPy from its raw timings:
	// the median and the minimum of epochs 2–3, over 1,875 steps, 409,088
	// FLOPs per image, the probe's MatMul peak (494.1 GFLOP/s).
	want := map[string][]string{
		"**this project**, tfmodel's default: one session run per step":                                              {"0.514 (0.505)", "0.274", "87.37 ± 0.00", "47.77 (9.7%)", "1.63×"},
		"Keras 3 `fit`, `jit_compile=false`":                                                                         {"1.921 (1.449)", "1.024", "86.63 ± 0.00", "12.78 (2.6%)", "6.07×"},
		"**this project**, XLA: an epoch per session run (`StepsPerExecution` 1875, `JITCompile`)":                   {"0.310 (0.303)", "0.166", "87.34 ± 0.00", "79.10 (16.0%)", "0.98×"},
		"TF from Python: one `tf.function(jit_compile=True)` running a whole epoch in a `tf.while_loop` (TF 2.21.0)": {"0.313 (0.312)", "0.167", "87.04 ± 0.00", "78.48 (15.9%)", "0.99×"},
		"JAX, whole epoch compiled (`jax.lax.scan`) (JAX 0.10.2)":                                                    {"0.316 (0.312)", "0.169", "87.29 ± 0.00", "77.63 (15.7%)", "1.00×"},
		"JAX, jitted step called once per batch (JAX 0.10.2)":                                                        {"0.404 (0.403)", "0.216", "87.29 ± 0.00", "60.71 (12.3%)", "1.28×"},
		"PyTorch eager (PyTorch 2.15.0)":                                                                             {"0.984 (0.978)", "0.525", "86.80 ± 0.00", "24.94 (5.0%)", "3.11×"},
		"PyTorch, step in `torch.compile` (PyTorch 2.15.0)":                                                          {"0.951 (0.918)", "0.507", "86.66 ± 0.00", "25.80 (5.2%)", "3.01×"},
	}
	for text, cells := range want {
		require.Contains(t, systems, text)
		assert.Equal(t, cells, systems[text][1:], text)
	}
	const verdict = "Go XLA / JAX lax.scan, median epoch: 0.98× (0.310 s against 0.316 s; target ≤ 0.80: NO)"
	assert.Equal(t, verdict, xlaVerdict(r))

	// Batch prediction and evaluation, images/s: 10,000 over the median
	// of the runs' timings (JAX's two sides together), with NumPy.
	inference := peerInferenceRows(r)
	require.Len(t, inference, 8)
	wantInference := [][]string{
		{"**this project**: `Sequential.Predict` and `Evaluate` (batch), `savedmodel.Predict` (one image)", "360,870", "203,464"},
		{"**this project**, XLA: `Sequential.Predict` and `Evaluate` with `StepsPerExecution` and `JITCompile` (batch)", "651,619", "408,624"},
		{"Keras 3 `model.predict`, `model.evaluate`", "62,109", "51,116"},
		{"JAX: jitted forward", "423,895", "415,307"},
		{"PyTorch eager (`torch.inference_mode`)", "436,838", "396,644"},
		{"PyTorch: the `torch.compile`d model", "388,987", "352,231"},
		{"ONNX Runtime (CPU provider), the PyTorch eager side's weights", "1,148,343", "—"},
		{"TF from Python: jit-compiled forward", "154,254", "122,473"},
	}
	for i, row := range inference {
		require.Len(t, row, len(inferenceHeader))
		assert.Equal(t, wantInference[i], row[:3], "row %d", i)
	}
	for i, row := range inference[:5] {
		if i == 1 {
			assert.Equal(t, "—", row[3], "Go XLA: no single-image latency")
			continue
		}
		assert.NotEqual(t, "—", row[3], "latency p50: %s", row[0])
	}

	md := renderReport(r, buildRows(r))
	assert.Contains(t, md, "### Peers: the same model in other frameworks\n")
	assert.Contains(t, md, "| system | s/epoch, median (min) | ms/step | test acc %, mean ± std | GFLOP/s (% of MatMul peak) | × JAX lax.scan |\n| :-- | --: | --: | --: | --: | --: |\n")
	assert.Contains(t, md, "**"+verdict+".**")
	assert.Contains(t, md, "| peer sides | JAX 0.10.2, jaxlib 0.10.2, PyTorch 2.15.0, ONNX Runtime 1.32.0, ONNX 1.23.2, NumPy 2.4.6, Python 3.11.7 (.venv.peers); TensorFlow 2.21.0 (.venv) for TF-XLA |")
	assert.Contains(t, md, "ONNX Runtime's test accuracy on the PyTorch eager side's weights:")
	text := renderText(r, buildRows(r))
	assert.Contains(t, text, "\nPeers: the same model in other frameworks, this run, fastest first\n")
	assert.NotContains(t, text, "`", "no Markdown on the terminal")
	assert.Contains(t, text, verdict+".\n")
}

// TestSharedSessionRow: a run whose default predicted in an inference
// session of its own shows InferenceShared's figures (the training
// session, Keras's bits) beside it, and how far apart their predictions
// were.
func TestSharedSessionRow(t *testing.T) {
	r := new(report)
	require.NoError(t, readJSON(peerReportFixture, r))
	require.Len(t, r.Go, 1)
	r.Go[0].SharedSession = &sharedSessionResult{
		PredictSeconds:  []float64{0.021, 0.020, 0.022},
		EvaluateSeconds: []float64{0.030, 0.035, 0.031},
		MaxAbsDiff:      6.3e-7,
		TestAccuracy:    r.Go[0].TestAccuracy,
	}
	inference := peerInferenceRows(r)
	require.Len(t, inference, 9)
	assert.Equal(t, []string{
		"**this project**, `Threads.Inference` `InferenceShared`: `Sequential.Predict` and `Evaluate` in the training session, Keras's bits (batch)",
		"476,190", "322,581", "—", "—",
	}, inference[1], "10,000 images over the median timing")
	const note = "predictions of the test images within 6.3e-07 of each other (largest over the seeds; Eigen's MatMul blocks its sums by its pool's size), test accuracy 87.37 % against 87.37 %."
	assert.Contains(t, renderReport(r, buildRows(r)), note)
	assert.Contains(t, renderText(r, buildRows(r)), note)

	r.Go[0].SharedSession.MaxAbsDiff = 0
	assert.Contains(t, sharedSessionText(r), ": the same predictions to the bit, test accuracy 87.37 % against 87.37 %.")
	r.Go[0].SharedSession = nil
	assert.Empty(t, sharedSessionText(r), "the default was the training session: nothing beside it")
}

func TestNoPeersSectionWithoutPeers(t *testing.T) {
	r := sampleReport(true)
	assert.NotContains(t, renderReport(r, buildRows(r)), "Peers")
	assert.NotContains(t, renderText(r, buildRows(r)), "Peers")
	assert.Empty(t, xlaVerdict(r))
}

func TestGoXLAWithoutPeers(t *testing.T) {
	r := sampleReport(true)
	r.GoXLA = []trainResult{{Epochs: 3, BatchSize: 32, TrainExamples: 60000, EpochSeconds: []float64{5, 0.75, 0.75},
		TestAccuracy: 0.881, StepsPerExecution: 1875}}
	rows := peerTrainingRows(r)
	require.Len(t, rows, 3)
	assert.Equal(t, "**this project**, XLA: an epoch per session run (`StepsPerExecution` 1875, `JITCompile`)", rows[0][0])
	assert.Equal(t, []string{"0.750 (0.750)", "0.400", "88.10 ± 0.00", "—"}, []string{rows[0][1], rows[0][2], rows[0][3], rows[0][5]})
	assert.Empty(t, xlaVerdict(r), "no JAX side: no ratio")
	assert.Contains(t, renderReport(r, buildRows(r)), "### Peers")
}

func TestRenderGrid(t *testing.T) {
	header := []string{"system", "figure"}
	rows := [][]string{{"a | b", "1"}, {"longer name", "1,234"}}
	assert.Equal(t, "| system | figure |\n| :-- | --: |\n| a \\| b | 1 |\n| longer name | 1,234 |\n", renderGridMarkdown(header, rows))
	assert.Equal(t, "system      | figure\na | b       |      1\nlonger name |  1,234\n", renderGridText(header, rows))
}

func leadingFloat(t *testing.T, s string) float64 {
	t.Helper()
	f, _, _ := strings.Cut(s, " ")
	v, err := strconv.ParseFloat(strings.ReplaceAll(f, ",", ""), 64)
	require.NoError(t, err, s)
	return v
}

func TestRenderSavedPeersRun(t *testing.T) {
	md := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	var out, log strings.Builder
	require.NoError(t, renderSaved(config{render: peerReportFixture, markdown: md}, &out, &log))
	assert.Contains(t, out.String(), "Go XLA / JAX lax.scan, median epoch: 0.98×")
	doc, err := os.ReadFile(md)
	require.NoError(t, err)
	section := modelSections(string(doc))["mlp"]
	assert.Contains(t, section, "```sh\ngo run ./cmd/bench -peers all -epochs 3 -seeds 1 -latency-n 500 ")
	assert.Less(t, strings.Index(section, "### Results"), strings.Index(section, "### Peers"), "the peers after the Go/Keras results")
	assert.Contains(t, section, "| ONNX Runtime (CPU provider), the PyTorch eager side's weights | ")
}

// TestVerdictWithJAXUnderGoXLAOptions: with JAX also run under Go's XLA
// option, the verdict says how Go's compiled epoch compares with that too,
// and the side is a row of both tables of its own.
func TestVerdictWithJAXUnderGoXLAOptions(t *testing.T) {
	r := reportWithJAXSide(t, "jax-scan-eigen", []float64{9, 0.25, 0.35}) // median of epochs 2-3: 0.300

	assert.Equal(t, "Go XLA / JAX lax.scan, median epoch: 0.98× (0.310 s against 0.316 s; target ≤ 0.80: NO); "+
		"against JAX lax.scan with Go's XLA option (0.300 s): 1.03×", xlaVerdict(r))
	assert.Contains(t, systemsOf(peerTrainingRows(r)), "JAX, whole epoch compiled (`jax.lax.scan`), with Go's XLA option (`--xla_cpu_experimental_ynn_fusion_type=-individual_dot`) (JAX 0.10.2)")
	assert.Contains(t, systemsOf(peerInferenceRows(r)), "JAX: jitted forward, with Go's XLA option")
}

// TestVerdictWithJAXOnBytes: with JAX's side on images resident as bytes,
// the verdict compares Go's compiled epoch with it too; its predictions
// are not a system of the inference table (jax-jit's are the same).
func TestVerdictWithJAXOnBytes(t *testing.T) {
	inference := len(peerInferenceRows(reportWithJAXSide(t, "", nil)))
	r := reportWithJAXSide(t, "jax-scan-bytes", []float64{9, 0.27, 0.35}) // median of epochs 2-3: 0.310

	assert.Equal(t, "Go XLA / JAX lax.scan, median epoch: 0.98× (0.310 s against 0.316 s; target ≤ 0.80: NO); "+
		"against JAX lax.scan with its images as bytes (0.310 s): 1.00×", xlaVerdict(r))
	assert.Contains(t, systemsOf(peerTrainingRows(r)), "JAX, whole epoch compiled (`jax.lax.scan`), its images resident as bytes and divided by 255 in the step, as Go's (JAX 0.10.2)")
	assert.Len(t, peerInferenceRows(r), inference)
}

// systemsOf is a table's first column: the systems its rows are of.
func systemsOf(rows [][]string) []string {
	var systems []string
	for _, row := range rows {
		systems = append(systems, row[0])
	}
	return systems
}

// reportWithJAXSide is the real run's report with one more peer run, a
// copy of its first jax-scan run as side with these epoch times and no
// latencies; side "": the report as it is.
func reportWithJAXSide(t *testing.T, side string, epochSeconds []float64) *report {
	t.Helper()
	r := new(report)
	require.NoError(t, readJSON(peerReportFixture, r))
	if side == "" {
		return r
	}
	i := slices.IndexFunc(r.Peers, func(p peerRun) bool { return p.Side == "jax-scan" })
	require.GreaterOrEqual(t, i, 0)
	run := r.Peers[i]
	run.Side, run.EpochSeconds, run.LatencySeconds = side, epochSeconds, nil
	r.Peers = append(r.Peers, run)
	return r
}

// TestChildKeepsItsEnvironment: the runner adds its variables to a
// child's own environment (jax-scan-eigen's XLA_FLAGS) instead of
// replacing it with the parent's.
func TestChildKeepsItsEnvironment(t *testing.T) {
	r := &runner{cfg: config{}, work: t.TempDir(), stderr: io.Discard}
	cmd := exec.Command("sh", "-c", `test "$XLA_FLAGS" = "--x=1" && test "$TF_CPP_MIN_LOG_LEVEL" = 2`)
	cmd.Env = append(os.Environ(), "XLA_FLAGS=--x=1")
	_, err := r.run(context.Background(), "env child", cmd)
	require.NoError(t, err)
}
