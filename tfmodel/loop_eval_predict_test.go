package tfmodel

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/graph"
	"github.com/gokeras/fashion/loader"
	"github.com/gokeras/fashion/tensor"
)

// inferenceXLABound is the largest absolute difference XLA's evaluation
// and prediction loops may make to a prediction (a probability, or a
// regression's output) and, relative to the larger of 1 and the value, to
// Evaluate's logs, against the per-batch path: XLA fuses the forward
// pass's operations and reorders its sums, which moves the last bits.
const inferenceXLABound = 1e-5

// inferenceCases are the parts of TestPartsMatchKeras whose layers the
// inference loops are tested on: Dense, Dropout (inference: none), Conv2D
// with MaxPooling2D, BatchNormalization (inference: the moving
// statistics, which a first epoch moves away from 0 and 1), with labels,
// one-hot and regression targets.
var inferenceCases = []string{
	"dense_relu_softmax_sparse_adam",
	"categorical_from_logits_rmsprop",
	"conv_valid_relu_maxpool_adam",
	"conv_batchnorm_maxpool_dropout_adam",
	"dense_batchnorm_adam",
	"mse_regression_adamw",
}

func partCaseNamed(t *testing.T, name string) partCase {
	t.Helper()
	for _, c := range partCases() {
		if c.name == name {
			return c
		}
	}
	require.FailNow(t, "no part case "+name)
	return partCase{}
}

// trainedPartModel is case c's model, compiled per step and trained for
// an epoch on n examples of its data (so that BatchNormalization's moving
// statistics have moved), and that data.
func trainedPartModel(t *testing.T, c partCase, n int) (*Sequential, tensor.Float32, tensor.Tensor) {
	t.Helper()
	m, _ := loopModel(t, c, loopRun{})
	x, y := partData(c, n, m.Classes())
	fit := FitOptions{Epochs: 1, BatchSize: 16, Shuffle: true, Seed: 2}
	_, err := m.Fit(context.Background(), x, y, fit)
	require.NoError(t, err)
	return m, x, y
}

// predictThrough predicts x through the prediction loop of kind.
func predictThrough(t *testing.T, m *Sequential, kind loopKind, x tensor.Float32, batch int) []float32 {
	t.Helper()
	loop, err := m.predictionLoop(kind)
	require.NoError(t, err)
	out := make([]float32, x.Len()*tensor.Size(m.OutputShape()))
	in, err := m.inference()
	require.NoError(t, err)
	require.NoError(t, m.predictChunks(in, loop, x, batch, out))
	return out
}

// evaluateThrough evaluates x and y through the evaluation loop of kind.
func evaluateThrough(t *testing.T, m *Sequential, kind loopKind, x tensor.Float32, y tensor.Tensor, batch int) Logs {
	t.Helper()
	loop, err := m.evaluationLoop(kind)
	require.NoError(t, err)
	_, err = m.session.Run(nil, nil, []*tf.Operation{m.net.evalReset})
	require.NoError(t, err)
	in, err := m.inference()
	require.NoError(t, err)
	logs, err := m.evaluateChunks(in, loop, x, y, batch, newProgbar(nil, ceilDiv(x.Len(), batch)))
	require.NoError(t, err)
	return logs
}

// maxAbsDiff is the largest |want-got|.
func maxAbsDiff(want, got []float32) float64 {
	worst := 0.0
	for i, w := range want {
		worst = max(worst, math.Abs(float64(w)-float64(got[i])))
	}
	return worst
}

// TestInferenceLoopsMatchBatches predicts and evaluates each case's
// trained model per batch and through the loops in chunks of K batches
// (1, 3, and 1000, more than there are), on 148 examples in batches of 16
// (9 whole batches, which XLA's K=1000 is fed as 10, and a partial one of
// 4): without XLA the loops run the
// per-batch path's kernels on the same batches and give its bits, the
// predictions and Evaluate's logs alike; with XLA they are within
// inferenceXLABound.
func TestInferenceLoopsMatchBatches(t *testing.T) {
	const n, batch = 148, 16
	kinds := []loopKind{{k: 1}, {k: 3}, {k: 1000}, {k: 3, jit: true}, {k: 1000, jit: true}}
	for _, name := range inferenceCases {
		c := partCaseNamed(t, name)
		t.Run(name, func(t *testing.T) {
			m, x, y := trainedPartModel(t, c, n)
			want, err := m.Predict(x, PredictOptions{BatchSize: batch})
			require.NoError(t, err)
			wantLogs, err := m.Evaluate(x, y, EvaluateOptions{BatchSize: batch})
			require.NoError(t, err)
			for _, kind := range kinds {
				got := predictThrough(t, m, kind, x, batch)
				logs := evaluateThrough(t, m, kind, x, y, batch)
				if !kind.jit {
					assert.Equal(t, want.Data, got, "K=%d: predictions", kind.k)
					assert.Equal(t, wantLogs, logs, "K=%d: logs", kind.k)
					continue
				}
				predDiff, logsDiff := maxAbsDiff(want.Data, got), maxLogsDiff(wantLogs, logs)
				t.Logf("XLA, K=%d: predictions within %.3g, logs within %.3g", kind.k, predDiff, logsDiff)
				assert.LessOrEqual(t, predDiff, inferenceXLABound, "XLA, K=%d: predictions", kind.k)
				assert.LessOrEqual(t, logsDiff, inferenceXLABound, "XLA, K=%d: logs %v, want %v", kind.k, logs, wantLogs)
			}
		})
	}
}

// compiledPartModel is case c's model compiled with StepsPerExecution k
// and JITCompile jit.
func compiledPartModel(t *testing.T, c partCase, k int, jit bool) *Sequential {
	t.Helper()
	m, err := NewSequential(append([]Layer{Input(c.input...)}, c.layers()...)...)
	require.NoError(t, err)
	loss, err := graph.GetLoss(c.loss)
	require.NoError(t, err)
	opts := CompileOptions{Optimizer: c.opt, Loss: loss, Metrics: c.metrics, Seed: 17, StepsPerExecution: k, JITCompile: jit}
	require.NoError(t, m.Compile(opts))
	t.Cleanup(func() { m.Close() })
	return m
}

// TestInferenceLoopsFollowCompile compiles models with StepsPerExecution
// and JITCompile, gives them a trained model's state, and checks that
// Predict and Evaluate run through the loops, in exact mode with the
// per-batch path's bits: on whole batches and a partial one, on whole
// batches alone, and on fewer examples than a batch, which build no loop.
func TestInferenceLoopsFollowCompile(t *testing.T) {
	const batch = 16
	for _, name := range []string{"dense_relu_softmax_sparse_adam", "conv_batchnorm_maxpool_dropout_adam"} {
		c := partCaseNamed(t, name)
		ref, x, y := trainedPartModel(t, c, 100)
		for _, run := range []loopRun{{k: 3}, {k: 3, jit: true}, {k: 0, jit: true}} {
			t.Run(fmt.Sprintf("%s/%s", name, run), func(t *testing.T) {
				m := compiledPartModel(t, c, run.k, run.jit)
				moveState(t, ref, m)
				for _, n := range []int{100, 96, 7} {
					xs, ys := x.Slice(0, n), sliceOf(y, 0, n)
					want, err := ref.Predict(xs, PredictOptions{BatchSize: batch})
					require.NoError(t, err)
					wantLogs, err := ref.Evaluate(xs, ys, EvaluateOptions{BatchSize: batch})
					require.NoError(t, err)
					got, err := m.Predict(xs, PredictOptions{BatchSize: batch})
					require.NoError(t, err)
					logs, err := m.Evaluate(xs, ys, EvaluateOptions{BatchSize: batch})
					require.NoError(t, err)
					assert.Equal(t, want.Shape, got.Shape)
					if !run.jit || n < batch {
						assert.Equal(t, want.Data, got.Data, "%d examples: predictions", n)
						assert.Equal(t, wantLogs, logs, "%d examples: logs", n)
					} else {
						assert.LessOrEqual(t, maxAbsDiff(want.Data, got.Data), inferenceXLABound, "%d examples: predictions", n)
						assert.LessOrEqual(t, maxLogsDiff(wantLogs, logs), inferenceXLABound, "%d examples: logs", n)
					}
					kind := loopKind{k: max(run.k, 1), jit: run.jit}
					if n < batch {
						continue
					}
					assert.Contains(t, m.net.infer.predict, kind, "%d examples: the prediction loop", n)
					assert.Contains(t, m.net.infer.eval, kind, "%d examples: the evaluation loop", n)
				}
			})
		}
	}
}

// TestInferenceLoopsBuildOnFirstUse: a model compiled with
// StepsPerExecution builds no loop until it predicts or evaluates a batch
// or more, and one of each kind then.
func TestInferenceLoopsBuildOnFirstUse(t *testing.T) {
	c := partCaseNamed(t, "dense_relu_softmax_sparse_adam")
	m := compiledPartModel(t, c, 4, false)
	x, y := partData(c, 40, m.Classes())
	_, err := m.Predict(x.Slice(0, 1), PredictOptions{})
	require.NoError(t, err)
	assert.Empty(t, m.net.infer.predict)
	assert.Empty(t, m.net.infer.eval)
	for range 2 {
		_, err = m.Predict(x, PredictOptions{BatchSize: 8})
		require.NoError(t, err)
		_, err = m.Evaluate(x, y, EvaluateOptions{BatchSize: 8})
		require.NoError(t, err)
	}
	assert.Len(t, m.net.infer.predict, 1)
	assert.Len(t, m.net.infer.eval, 1)
}

// TestEvaluateLoopProgress: Evaluate through the loop draws the progress
// bar at chunks' ends only (on a terminal, each chunk's last batch when
// the bar wants it, and the last batch always), and prints the per-batch
// path's final line.
func TestEvaluateLoopProgress(t *testing.T) {
	const n, batch = 100, 16 // 6 whole batches in chunks of 3 (two runs at a time), and a partial one
	c := partCaseNamed(t, "dense_relu_softmax_sparse_adam")
	ref, x, y := trainedPartModel(t, c, n)
	m := compiledPartModel(t, c, 4, false)
	moveState(t, ref, m)
	m.runsAtOnce = 2

	var want, got bytes.Buffer
	wantLogs, err := ref.Evaluate(x, y, EvaluateOptions{BatchSize: batch, Progress: &want})
	require.NoError(t, err)
	logs, err := m.Evaluate(x, y, EvaluateOptions{BatchSize: batch, Progress: &got})
	require.NoError(t, err)
	assert.Equal(t, wantLogs, logs)
	metrics := func(line string) string { return line[strings.Index(line, " - "):] }
	assert.True(t, strings.HasPrefix(got.String(), "7/7 "), got.String())
	assert.Equal(t, metrics(want.String()), metrics(got.String()))

	// On a terminal.
	loop, err := m.evaluationLoop(loopKind{k: 4})
	require.NoError(t, err)
	_, err = m.session.Run(nil, nil, []*tf.Operation{m.net.evalReset})
	require.NoError(t, err)
	var drawn bytes.Buffer
	bar := newProgbar(&drawn, 7)
	bar.terminal = true
	in, err := m.inference()
	require.NoError(t, err)
	_, err = m.evaluateChunks(in, loop, x, y, batch, bar)
	require.NoError(t, err)
	var steps []string
	for _, line := range strings.Split(drawn.String(), "\r")[1:] {
		steps = append(steps, strings.Fields(stripANSI(line))[0])
	}
	require.NotEmpty(t, steps)
	assert.Equal(t, "3/7", steps[0], "the first chunk's end is always drawn")
	assert.Equal(t, "7/7", steps[len(steps)-1])
	for _, s := range steps {
		assert.Contains(t, []string{"3/7", "6/7", "7/7"}, s, "drawn at a chunk's end")
	}
}

// TestInferenceLoopsRejectBadInput: a model compiled with
// StepsPerExecution and JITCompile returns errors, not panics, for data
// that does not fit it, and after Close.
func TestInferenceLoopsRejectBadInput(t *testing.T) {
	c := partCaseNamed(t, "dense_relu_softmax_sparse_adam")
	m := compiledPartModel(t, c, 3, true)
	x, y := partData(c, 40, m.Classes())
	labels := y.(tensor.Int32)
	wrongShape := tensor.Float32{Shape: []int{4, 10}, Data: make([]float32, 40)}
	for name, call := range map[string]func() error{
		"predict: wrong example shape": func() error { _, err := m.Predict(wrongShape, PredictOptions{}); return err },
		"predict: bad shape":           func() error { _, err := m.Predict(tensor.Float32{Shape: []int{5, 12}}, PredictOptions{}); return err },
		"predict: negative batch":      func() error { _, err := m.Predict(x, PredictOptions{BatchSize: -2}); return err },
		"evaluate: fewer targets":      func() error { _, err := m.Evaluate(x, labels.Slice(0, 30), EvaluateOptions{}); return err },
		"evaluate: no targets":         func() error { _, err := m.Evaluate(x, nil, EvaluateOptions{}); return err },
		"evaluate: float targets": func() error {
			_, err := m.Evaluate(x, tensor.Float32{Shape: []int{40}, Data: make([]float32, 40)}, EvaluateOptions{})
			return err
		},
		"evaluate: label out of range": func() error {
			bad := tensor.Int32{Shape: []int{40}, Data: make([]int32, 40)}
			bad.Data[33] = 9
			_, err := m.Evaluate(x, bad, EvaluateOptions{BatchSize: 8})
			return err
		},
	} {
		assert.Error(t, call(), name)
	}
	// The loops still work after the errors, and none after Close.
	_, err := m.Predict(x, PredictOptions{BatchSize: 8})
	require.NoError(t, err)
	require.NoError(t, m.Close())
	_, err = m.Predict(x, PredictOptions{BatchSize: 8})
	assert.ErrorIs(t, err, ErrNotCompiled)
	_, err = m.Evaluate(x, y, EvaluateOptions{BatchSize: 8})
	assert.ErrorIs(t, err, ErrNotCompiled)
}

// TestInferenceChunks: chunks of K whole batches, the last one shorter;
// with XLA a shorter chunk is fed as more batches, rounded up to three
// significant bits, at most K, so that XLA compiles few shapes whatever
// the data's size.
func TestInferenceChunks(t *testing.T) {
	for _, c := range []struct {
		kind loopKind
		full int
		want []chunk
	}{
		{loopKind{k: 4}, 10, []chunk{{0, 4, 4}, {4, 8, 4}, {8, 10, 2}}},
		{loopKind{k: 4, jit: true}, 10, []chunk{{0, 4, 4}, {4, 8, 4}, {8, 10, 2}}},
		{loopKind{k: 313}, 312, []chunk{{0, 312, 312}}},
		{loopKind{k: 313, jit: true}, 312, []chunk{{0, 312, 313}}},
		{loopKind{k: 1875, jit: true}, 312, []chunk{{0, 312, 320}}},
		{loopKind{k: 1875, jit: true}, 257, []chunk{{0, 257, 320}}},
		{loopKind{k: 1875, jit: true}, 256, []chunk{{0, 256, 256}}},
		{loopKind{k: 1000, jit: true}, 9, []chunk{{0, 9, 10}}},
		{loopKind{k: 1000, jit: true}, 6, []chunk{{0, 6, 6}}},
		{loopKind{k: 1000, jit: true}, 1, []chunk{{0, 1, 1}}},
		{loopKind{k: 5, jit: true}, 13, []chunk{{0, 5, 5}, {5, 10, 5}, {10, 13, 3}}},
		{loopKind{k: 1, jit: true}, 3, []chunk{{0, 1, 1}, {1, 2, 1}, {2, 3, 1}}},
		{loopKind{k: 3}, 0, nil},
	} {
		assert.Equal(t, c.want, c.kind.chunks(c.full, c.kind.k), "%+v, %d batches", c.kind, c.full)
	}
	var sizes []int
	for n := 1; n <= 64; n++ {
		if r := roundUpBits(n, 3); len(sizes) == 0 || sizes[len(sizes)-1] != r {
			sizes = append(sizes, r)
		}
	}
	assert.Equal(t, []int{1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64}, sizes)
}

// TestInferenceChunkSize: a chunk is at most K batches, about
// maxChunkBytes of examples, and a parallel-th of the batches; with XLA
// rounded up as chunks rounds a shorter chunk, so that all but the last
// share a shape.
func TestInferenceChunkSize(t *testing.T) {
	const image = 28 * 28 * 4 * 32 // a batch of 32 of the tutorial's images, bytes
	for _, c := range []struct {
		kind                       loopKind
		full, batchBytes, parallel int
		want                       int
	}{
		{loopKind{k: 313}, 312, 400, 1, 312},
		{loopKind{k: 313}, 312, 400, 2, 156},
		{loopKind{k: 313, jit: true}, 312, 400, 2, 160},
		{loopKind{k: 1875, jit: true}, 312, 400, 3, 112},
		{loopKind{k: 4}, 312, 400, 2, 4},
		{loopKind{k: 1875}, 312, image, 1, maxChunkBytes / image},
		{loopKind{k: 1875, jit: true}, 312, image, 1, 96},
		{loopKind{k: 90, jit: true}, 312, image, 1, 90},
		{loopKind{k: 1875}, 312, 2 * maxChunkBytes, 2, 1},
		{loopKind{k: 1875}, 3, 400, 8, 1},
		{loopKind{k: 1875}, 0, 400, 2, 1},
	} {
		assert.Equal(t, c.want, c.kind.chunkSize(c.full, c.batchBytes, c.parallel), "%+v, %d batches of %d bytes, %d at a time", c.kind, c.full, c.batchBytes, c.parallel)
	}
	assert.Equal(t, []chunk{{0, 160, 160}, {160, 312, 160}}, loopKind{k: 313, jit: true}.chunks(312, 160), "two runs of one shape")
}

// TestPredictionRunsInParallel: Predict's chunks run four at a time from
// their own goroutines and give the per-batch path's
// bits, without XLA, and XLA's one-run predictions, with it.
func TestPredictionRunsInParallel(t *testing.T) {
	const n, batch = 200, 16 // 12 whole batches: 4 runs of 3, and a partial one per batch
	c := partCaseNamed(t, "conv_batchnorm_maxpool_dropout_adam")
	ref, x, _ := trainedPartModel(t, c, n)
	want, err := ref.Predict(x, PredictOptions{BatchSize: batch})
	require.NoError(t, err)
	for _, jit := range []bool{false, true} {
		m := compiledPartModel(t, c, 1000, jit)
		moveState(t, ref, m)
		m.runsAtOnce = 4
		require.Equal(t, 4, m.inferenceRuns())
		got, err := m.Predict(x, PredictOptions{BatchSize: batch})
		require.NoError(t, err)
		if !jit {
			assert.Equal(t, want.Data, got.Data, "without XLA: the per-batch path's bits")
			continue
		}
		assert.LessOrEqual(t, maxAbsDiff(want.Data, got.Data), inferenceXLABound, "XLA")
		m.runsAtOnce = 1
		one, err := m.Predict(x, PredictOptions{BatchSize: batch})
		require.NoError(t, err)
		assert.Equal(t, one.Data, got.Data, "XLA: one run at a time (12 rows) and four (3 rows each) agree")
	}
}

// TestEvaluationRunsInParallel: Evaluate's batches, run four at a time
// and their sums added up in Go, give the bits of the running means the
// graph keeps when the batches run one after another (evalUpdate, then
// evalResults), with a partial last batch, for the loss and every metric;
// and the progress bar shows them.
func TestEvaluationRunsInParallel(t *testing.T) {
	const n, batch = 200, 16 // 12 whole batches and a partial one
	for _, name := range []string{"conv_batchnorm_maxpool_dropout_adam", "mse_regression_adamw", "binary_from_logits_sgd"} {
		t.Run(name, func(t *testing.T) {
			m, x, y := trainedPartModel(t, partCaseNamed(t, name), n)
			_, err := m.session.Run(nil, nil, []*tf.Operation{m.net.evalReset})
			require.NoError(t, err)
			for lo := 0; lo < n; lo += batch {
				require.NoError(t, m.evalBatch(x, y, lo, min(lo+batch, n)))
			}
			want, err := m.evalResult()
			require.NoError(t, err)
			require.Len(t, want, 1+len(m.metrics))

			var wantBar, gotBar bytes.Buffer
			m.runsAtOnce = 1
			serial, err := m.Evaluate(x, y, EvaluateOptions{BatchSize: batch, Progress: &wantBar})
			require.NoError(t, err)
			m.runsAtOnce = 4
			got, err := m.Evaluate(x, y, EvaluateOptions{BatchSize: batch, Progress: &gotBar})
			require.NoError(t, err)
			for k, v := range want {
				assert.Equal(t, math.Float64bits(v), math.Float64bits(got[k]), "%s: in-graph %v, four runs at a time %v", k, v, got[k])
				assert.Equal(t, math.Float64bits(v), math.Float64bits(serial[k]), "%s: one run at a time", k)
			}
			metrics := func(line string) string { return line[strings.Index(line, " - "):] }
			assert.True(t, strings.HasPrefix(gotBar.String(), "13/13 "), gotBar.String())
			assert.Equal(t, metrics(wantBar.String()), metrics(gotBar.String()))
		})
	}
}

// TestEvaluationChunksRunInParallel: Evaluate's chunks run four at a time
// from their own goroutines, each giving its batches' terms, added up in
// Go in the batches' order: without XLA the per-batch path's bits; with
// XLA the same bits whether its chunks run one or four at a time, and
// within inferenceXLABound of the per-batch path.
func TestEvaluationChunksRunInParallel(t *testing.T) {
	const n, batch = 200, 16 // 12 whole batches: 4 runs of 3, and a partial one per batch
	c := partCaseNamed(t, "conv_batchnorm_maxpool_dropout_adam")
	ref, x, y := trainedPartModel(t, c, n)
	want, err := ref.Evaluate(x, y, EvaluateOptions{BatchSize: batch})
	require.NoError(t, err)
	for _, jit := range []bool{false, true} {
		m := compiledPartModel(t, c, 1000, jit)
		moveState(t, ref, m)
		m.runsAtOnce = 4
		got, err := m.Evaluate(x, y, EvaluateOptions{BatchSize: batch})
		require.NoError(t, err)
		require.Len(t, m.net.infer.eval, 1, "the chunks went through the loop")
		if !jit {
			assert.Equal(t, want, got, "without XLA: the per-batch path's bits")
			continue
		}
		assert.LessOrEqual(t, maxLogsDiff(want, got), inferenceXLABound, "XLA: %v, want %v", got, want)
		m.runsAtOnce = 1
		one, err := m.Evaluate(x, y, EvaluateOptions{BatchSize: batch})
		require.NoError(t, err)
		assert.Equal(t, one, got, "XLA: one run at a time (12 rows) and four (3 rows each) agree")
	}
}

// TestChunkTensorPads: a chunk's examples, then zero rows up to its rows.
func TestChunkTensorPads(t *testing.T) {
	x := tensor.Int32{Shape: []int{6, 2}, Data: []int32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}
	got, err := chunkTensor(x, chunk{step: 1, next: 2, rows: 2}, 2)
	require.NoError(t, err)
	assert.Equal(t, []int64{2, 2, 2}, got.Shape())
	assert.Equal(t, [][][]int32{{{5, 6}, {7, 8}}, {{0, 0}, {0, 0}}}, got.Value())
}

// TestXLAPredictionsIgnoreCallSize: XLA's outputs for an example are the
// same whatever the size of the call it is in (chunks of other shapes,
// each compiled on its own): the loop's count is fed, so every program
// runs the same body.
func TestXLAPredictionsIgnoreCallSize(t *testing.T) {
	const batch = 16
	c := partCaseNamed(t, "conv_batchnorm_maxpool_dropout_adam")
	ref, x, _ := trainedPartModel(t, c, 200)
	m := compiledPartModel(t, c, 1000, true)
	moveState(t, ref, m)
	all, err := m.Predict(x, PredictOptions{BatchSize: batch}) // 12 whole batches: 12 rows
	require.NoError(t, err)
	for _, n := range []int{48, 100, 150} { // 3, 6 and 9 whole batches: 3, 6 and 10 rows
		part, err := m.Predict(x.Slice(0, n), PredictOptions{BatchSize: batch})
		require.NoError(t, err)
		whole := n / batch * batch * m.Classes()
		assert.Equal(t, all.Data[:whole], part.Data[:whole], "%d examples", n)
	}
}

// TestInferenceLoopsTutorial is issue 15's case: the tutorial's model,
// trained for 100 steps, predicts and evaluates the 10,000 test images at
// batch 32 per batch, in one run of 312 batches (StepsPerExecution 313;
// the partial batch per batch), bit for bit, and in XLA's, within
// inferenceXLABound.
func TestInferenceLoopsTutorial(t *testing.T) {
	d, err := loader.Load("")
	require.NoError(t, err, "the real Fashion-MNIST is needed: run scripts/libtensorflow-install.sh")
	x := d.Test.ScaledTensor()
	y := tensor.Labels(d.Test.Labels)
	trainX := d.Train.ScaledTensor().Slice(0, 3200)
	trainY := tensor.Labels(d.Train.Labels).Slice(0, 3200)
	tutorial := func(k int, jit bool) *Sequential {
		m, err := NewSequential(Flatten(28, 28), Dense(128, "relu"), Dense(10, "softmax"))
		require.NoError(t, err)
		opts := DefaultCompileOptions()
		opts.Seed, opts.StepsPerExecution, opts.JITCompile = 1, k, jit
		require.NoError(t, m.Compile(opts))
		t.Cleanup(func() { m.Close() })
		return m
	}
	ref := tutorial(0, false)
	fit := DefaultFitOptions()
	fit.Epochs = 1
	_, err = ref.Fit(context.Background(), trainX, trainY, fit)
	require.NoError(t, err)
	want, err := ref.Predict(x, PredictOptions{})
	require.NoError(t, err)
	wantLogs, err := ref.Evaluate(x, y, EvaluateOptions{})
	require.NoError(t, err)

	for _, jit := range []bool{false, true} {
		m := tutorial(313, jit)
		moveState(t, ref, m)
		got, err := m.Predict(x, PredictOptions{})
		require.NoError(t, err)
		logs, err := m.Evaluate(x, y, EvaluateOptions{})
		require.NoError(t, err)
		if !jit {
			assert.Equal(t, want.Data, got.Data, "predictions")
			assert.Equal(t, wantLogs, logs)
			continue
		}
		predDiff, logsDiff := maxAbsDiff(want.Data, got.Data), maxLogsDiff(wantLogs, logs)
		t.Logf("XLA: predictions within %.3g, logs within %.3g (%v, want %v)", predDiff, logsDiff, logs, wantLogs)
		assert.LessOrEqual(t, predDiff, inferenceXLABound, "XLA: predictions")
		assert.LessOrEqual(t, logsDiff, inferenceXLABound, "XLA: logs %v, want %v", logs, wantLogs)
	}
}

// evalBatch adds examples [lo, hi) of x and y to the running means, in one
// session run: the graph's own way of adding a batch up (evalUpdate), the
// reference Evaluate's sums in Go are held to.
func (m *Sequential) evalBatch(x tensor.Float32, y tensor.Tensor, lo, hi int) error {
	feeds, err := m.batchFeeds(x.Slice(lo, hi), sliceOf(y, lo, hi))
	if err != nil {
		return err
	}
	defer releaseFeeds(feeds)
	_, err = m.session.Run(feeds, nil, []*tf.Operation{m.net.evalUpdate})
	return err
}

// evalResult reads the running means evalBatch added to.
func (m *Sequential) evalResult() (Logs, error) {
	out, err := m.session.Run(nil, m.net.evalResults, nil)
	if err != nil {
		return nil, fmt.Errorf("tfmodel: evaluate: read metrics: %w", err)
	}
	return m.net.logs(out), nil
}
