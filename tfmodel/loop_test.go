package tfmodel

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/graph"
	"github.com/gokeras/fashion/tensor"
)

// xlaBound is the largest difference XLA's loop may make, relative to
// the larger of 1 and the value, to the logs and the predictions after
// the steps these tests train, against the per-step path (which matches
// Keras bit for bit): XLA fuses and reorders sums, so the last bits
// differ, and the difference grows slowly with the steps taken. The
// variables themselves are not held to it: a direction the loss does not
// see (a bias before BatchNormalization, the weights of a ReLU that never
// fires) takes whole optimizer steps on rounding noise alone.
const xlaBound = 1e-5

// xlaException says why XLA's loop changes a part's outputs by more than
// xlaBound, or "".
func xlaException(c partCase) string {
	layers := c.layers()
	for i, l := range layers {
		if d, ok := l.(*graph.Dropout); ok && d.Rate > 0 {
			return xlaDropout
		}
		if i+1 == len(layers) {
			break
		}
		if _, ok := layers[i+1].(*graph.BatchNormalization); !ok {
			continue
		}
		biased := false
		switch l := l.(type) {
		case *graph.Dense:
			biased = l.UseBias
		case *graph.Conv2D:
			biased = l.UseBias
		}
		switch c.opt.(type) {
		case graph.Adam, graph.AdamW, graph.RMSprop:
			if biased {
				return "a bias before BatchNormalization has a gradient of zero but for rounding, which " + c.opt.ClassName() +
					" scales up to whole steps: the bias wanders with the rounding, and the moving mean, which predictions use, follows it"
			}
		}
	}
	return ""
}

const xlaDropout = "XLA draws other dropout masks: TensorFlow's XLA kernels of the stateless draw Keras's Dropout makes " +
	"(StatelessRandomGetKeyCounter, StatelessRandomUniformV2) give another stream than its CPU kernels for the same seed, " +
	"whatever the algorithm, as under Keras's own jit_compile"

// loopRun is how a test trains: per step (k 0), through the loop in
// chunks of k, or through XLA's loop in chunks of k.
type loopRun struct {
	k   int
	jit bool
}

func (r loopRun) String() string {
	switch {
	case r.k == 0:
		return "per step"
	case r.jit:
		return fmt.Sprintf("XLA loop of %d", r.k)
	}
	return fmt.Sprintf("loop of %d", r.k)
}

// loopModel compiles layers as case c does, with run's training loop.
func loopModel(t *testing.T, c partCase, run loopRun) (*Sequential, *trainLoop) {
	t.Helper()
	m, err := NewSequential(append([]Layer{Input(c.input...)}, c.layers()...)...)
	require.NoError(t, err)
	loss, err := graph.GetLoss(c.loss)
	require.NoError(t, err)
	opts := CompileOptions{Optimizer: c.opt, Loss: loss, Metrics: c.metrics, Seed: 17}
	require.NoError(t, m.Compile(opts))
	t.Cleanup(func() { m.Close() })
	return m, addLoop(t, m, opts, run)
}

// addLoop builds run's training loop into m, compiled with opts; nil for
// run.k 0, one step per session run.
func addLoop(tb testing.TB, m *Sequential, opts CompileOptions, run loopRun) *trainLoop {
	tb.Helper()
	if run.k == 0 {
		return nil
	}
	loop, err := m.net.buildTrainLoop(m, opts, m.metrics, run.k, run.jit)
	require.NoError(tb, err)
	return loop
}

// trainEpochs trains epochs of shuffled batches, as Fit does, from step
// first of epoch from on (a resumed run), through loop when there is one,
// and stops after the chunk or step that reaches stop (epoch, step) if
// stop is not zero. It returns the last epoch's logs and every step the
// callbacks heard of.
func trainEpochs(t *testing.T, m *Sequential, loop *trainLoop, x tensor.Float32, y tensor.Tensor, batch, epochs int, from Position, stop Position) (Logs, []int) {
	t.Helper()
	require.NoError(t, m.upload(x, y))
	defer m.session.Run(nil, nil, []*tf.Operation{m.net.unload})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	heard := &stepRecorder{stop: stop, cancel: cancel}
	var logs Logs
	var err error
	for epoch := from.Epoch; epoch < epochs; epoch++ {
		first := 0
		if epoch == from.Epoch {
			first = from.Step
		}
		order := Order(3, epoch, x.Len(), true)
		bar := newProgbar(nil, ceilDiv(x.Len(), batch))
		if loop == nil {
			logs, err = m.trainEpoch(ctx, epoch, order, batch, first, bar, []BatchEnder{heard})
		} else {
			logs, err = m.trainEpochLoop(ctx, loop, epoch, order, batch, first, bar, []BatchEnder{heard})
		}
		if ctx.Err() != nil {
			require.ErrorIs(t, err, context.Canceled)
			return logs, heard.steps
		}
		require.NoError(t, err)
	}
	return logs, heard.steps
}

// stepRecorder records the steps BatchEnd hears of, and cancels training
// at stop.
type stepRecorder struct {
	steps  []int
	stop   Position
	cancel func()
}

func (r *stepRecorder) EpochEnd(*Sequential, int, Logs) (Action, error) { return Continue, nil }

func (r *stepRecorder) BatchEnd(_ *Sequential, epoch, step int, _ Logs) error {
	r.steps = append(r.steps, step)
	if r.stop.Step > 0 && epoch == r.stop.Epoch && step >= r.stop.Step {
		r.cancel()
	}
	return nil
}

// stateByName reads every variable a checkpoint holds, exactly, by name.
func stateByName(t *testing.T, m *Sequential) map[string][]float64 {
	t.Helper()
	snap, err := m.takeSnapshot()
	require.NoError(t, err)
	state := map[string][]float64{}
	for v, value := range snap {
		state[v.Name] = flatFloats(reflect.ValueOf(value.Value()))
	}
	return state
}

// flatFloats flattens a tensor's Go value, exactly (float32 and int64
// step counts fit a float64).
func flatFloats(v reflect.Value) []float64 {
	switch v.Kind() {
	case reflect.Slice:
		var out []float64
		for i := range v.Len() {
			out = append(out, flatFloats(v.Index(i))...)
		}
		return out
	case reflect.Float32, reflect.Float64:
		return []float64{v.Float()}
	case reflect.Int32, reflect.Int64:
		return []float64{float64(v.Int())}
	}
	panic(fmt.Sprintf("flatFloats: %s", v.Type()))
}

// maxStateDiff is the largest difference between two states' values,
// relative to the larger of 1 and the value, and the variable where it is.
func maxStateDiff(t *testing.T, want, got map[string][]float64) (float64, string) {
	t.Helper()
	require.Equal(t, len(want), len(got))
	worst, where := 0.0, ""
	for name, w := range want {
		g := got[name]
		require.Len(t, g, len(w), name)
		for i := range w {
			if d := relDiff(w[i], g[i]); d > worst || math.IsNaN(d) {
				worst, where = d, name
			}
		}
	}
	return worst, where
}

func maxLogsDiff(want, got Logs) float64 {
	worst := 0.0
	for k, w := range want {
		worst = max(worst, relDiff(w, got[k]))
	}
	return worst
}

func maxDataDiff(want, got []float32) float64 {
	worst := 0.0
	for i, w := range want {
		worst = max(worst, relDiff(float64(w), float64(got[i])))
	}
	return worst
}

// relDiff is |want-got| relative to the larger of 1 and |want|.
func relDiff(want, got float64) float64 {
	return math.Abs(want-got) / max(1, math.Abs(want))
}

// TestTrainLoopMatchesSteps trains every part of TestPartsMatchKeras
// (every layer, optimizer, loss and metric) for 10 epochs of 10 whole
// batches and a partial one, per step and through the loop: without XLA
// the loop runs the same kernels in the same order and ends with the same
// bits, whatever the chunk's size; with XLA its logs and predictions are
// within xlaBound, but for the parts of xlaException.
func TestTrainLoopMatchesSteps(t *testing.T) {
	const n, batch, epochs = 330, 32, 10
	runs := []struct {
		run   loopRun
		bound float64
	}{
		{loopRun{k: 1}, 0},
		{loopRun{k: 4}, 0},
		{loopRun{k: 1000}, 0},
		{loopRun{k: 4, jit: true}, xlaBound},
	}
	for _, c := range partCases() {
		t.Run(c.name, func(t *testing.T) {
			m, _ := loopModel(t, c, loopRun{})
			x, y := partData(c, n, m.Classes())
			wantLogs, _ := trainEpochs(t, m, nil, x, y, batch, epochs, Position{}, Position{})
			want := stateByName(t, m)
			wantPred, err := m.Predict(x, PredictOptions{})
			require.NoError(t, err)
			for _, r := range runs {
				m, loop := loopModel(t, c, r.run)
				logs, _ := trainEpochs(t, m, loop, x, y, batch, epochs, Position{}, Position{})
				pred, err := m.Predict(x, PredictOptions{})
				require.NoError(t, err)
				diff, where := maxStateDiff(t, want, stateByName(t, m))
				logsDiff, predDiff := maxLogsDiff(wantLogs, logs), maxDataDiff(wantPred.Data, pred.Data)
				t.Logf("%s: largest difference %.3g (%s), logs %.3g, predictions %.3g", r.run, diff, where, logsDiff, predDiff)
				if r.run.jit {
					if why := xlaException(c); why != "" {
						t.Logf("%s: not compared: %s", r.run, why)
						continue
					}
				} else {
					assert.Zero(t, diff, "%s: %s", r.run, where)
				}
				assert.LessOrEqual(t, logsDiff, r.bound, "%s: logs %v, want %v", r.run, logs, wantLogs)
				assert.LessOrEqual(t, predDiff, r.bound, "%s: predictions", r.run)
			}
		})
	}
}

// moveState gives to's variables from's values, by name: a checkpoint
// restored into a new process, without the file.
func moveState(t *testing.T, from, to *Sequential) {
	t.Helper()
	snap, err := from.takeSnapshot()
	require.NoError(t, err)
	byName := map[string]*tf.Tensor{}
	for v, value := range snap {
		byName[v.Name] = value
	}
	moved := snapshot{}
	for _, v := range to.net.saved() {
		moved[v] = byName[v.Name]
	}
	require.NoError(t, to.restoreSnapshot(moved))
}

// TestTrainLoopResumesExactly interrupts training through the loop and
// resumes it in a new model (a new session, and for XLA a new
// compilation) from where it stopped: at the end of a chunk, or, after a
// run with chunks of another size, inside one of the resumed run's. The
// resumed run ends with the uninterrupted run's bits, with XLA too: chunks
// end on multiples of their size, and XLA computes a step alike whatever
// the chunk it is in.
func TestTrainLoopResumesExactly(t *testing.T) {
	c := partCases()[0]
	const n, batch, epochs, k = 330, 32, 3, 4 // 10 whole batches and a partial one
	for _, jit := range []bool{false, true} {
		run := loopRun{k: k, jit: jit}
		t.Run(run.String(), func(t *testing.T) {
			m, loop := loopModel(t, c, run)
			x, y := partData(c, n, m.Classes())
			wantLogs, heard := trainEpochs(t, m, loop, x, y, batch, epochs, Position{}, Position{})
			// Callbacks hear of each chunk's last step, then of the
			// partial batch's.
			assert.Equal(t, []int{4, 8, 10, 11, 4, 8, 10, 11, 4, 8, 10, 11}, heard)
			want := stateByName(t, m)

			for _, stop := range []struct {
				name string
				k    int      // the interrupted run's chunks
				at   Position // asked to stop after this step
				got  Position // where it stops: the end of the chunk
			}{
				{"at a chunk's end", k, Position{Epoch: 1, Step: 5}, Position{Epoch: 1, Step: 8}},
				{"inside a chunk", 3, Position{Epoch: 1, Step: 4}, Position{Epoch: 1, Step: 6}},
				{"before the partial batch", k, Position{Epoch: 2, Step: 9}, Position{Epoch: 2, Step: 10}},
			} {
				first, firstLoop := loopModel(t, c, loopRun{k: stop.k, jit: jit})
				trainEpochs(t, first, firstLoop, x, y, batch, epochs, Position{}, stop.at)
				require.Equal(t, stop.got, first.pos, stop.name)

				resumed, resumedLoop := loopModel(t, c, run)
				moveState(t, first, resumed)
				logs, _ := trainEpochs(t, resumed, resumedLoop, x, y, batch, epochs, first.pos, Position{})
				diff, where := maxStateDiff(t, want, stateByName(t, resumed))
				assert.Zero(t, diff, "%s: %s", stop.name, where)
				assert.Equal(t, wantLogs, logs, stop.name)
			}
		})
	}
}
