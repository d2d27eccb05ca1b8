package tfmodel

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/internal/onednn"
	"github.com/gokeras/fashion/loader"
	"github.com/gokeras/fashion/tensor"
)

// sharedBound is how far the inference session's outputs (InferenceOwn) may
// be from the training session's (InferenceShared): with oneDNN off,
// Eigen's MatMul blocks its sums by the size of its pool, one thread
// against one per core.
const sharedBound = 1e-6

// inBothSessions predicts and evaluates x and y in the inference session
// and again in the training session, switching m's Threads.Inference from
// InferenceOwn to InferenceShared and back.
func inBothSessions(t *testing.T, m *Sequential, x tensor.Float32, y tensor.Tensor, batch int) (own, shared tensor.Float32, ownLogs, sharedLogs Logs) {
	t.Helper()
	var err error
	m.compiled.Threads.Inference = InferenceOwn
	own, err = m.Predict(x, PredictOptions{BatchSize: batch})
	require.NoError(t, err)
	ownLogs, err = m.Evaluate(x, y, EvaluateOptions{BatchSize: batch})
	require.NoError(t, err)
	require.NotNil(t, m.inferSession.session, "Predict ran in the inference session")
	m.compiled.Threads.Inference = InferenceShared
	defer func() { m.compiled.Threads.Inference = InferenceOwn }()
	shared, err = m.Predict(x, PredictOptions{BatchSize: batch})
	require.NoError(t, err)
	sharedLogs, err = m.Evaluate(x, y, EvaluateOptions{BatchSize: batch})
	require.NoError(t, err)
	return own, shared, ownLogs, sharedLogs
}

// assertSameModel holds the inference session's outputs to the training
// session's, within sharedBound.
func assertSameModel(t *testing.T, m *Sequential, x tensor.Float32, y tensor.Tensor, batch int, when string) {
	t.Helper()
	own, shared, ownLogs, sharedLogs := inBothSessions(t, m, x, y, batch)
	assert.LessOrEqual(t, maxAbsDiff(shared.Data, own.Data), sharedBound, "%s: predictions", when)
	require.Equal(t, len(sharedLogs), len(ownLogs), when)
	for k, v := range sharedLogs {
		assert.InDelta(t, v, ownLogs[k], sharedBound, "%s: %s", when, k)
	}
}

// predictAt is a BatchEnder that checks, after the given steps, that the
// inference session predicts with the weights of the step just taken.
type predictAt struct {
	t       *testing.T
	x       tensor.Float32
	y       tensor.Tensor
	steps   map[int]bool
	checked int
}

func (p *predictAt) EpochEnd(*Sequential, int, Logs) (Action, error) { return Continue, nil }

func (p *predictAt) BatchEnd(m *Sequential, epoch, step int, _ Logs) error {
	if p.steps[step] {
		assertSameModel(p.t, m, p.x, p.y, 8, "mid-epoch")
		p.checked++
	}
	return nil
}

// TestInferenceSessionFollowsTheWeights changes a model's weights every way
// a model's weights change and checks after each that Predict and Evaluate
// in the inference session (InferenceOwn, whether oneDNN is on or off) use
// the new ones: stale weights would miss by
// far more than sharedBound after a step of training. BatchNormalization
// brings non-trainable variables (its moving statistics), which the
// inference session reads too.
func TestInferenceSessionFollowsTheWeights(t *testing.T) {
	const n = 64
	for _, c := range []struct {
		name string
		k    int
	}{{"dense_batchnorm_adam", 0}, {"dense_batchnorm_adam", 4}, {"dense_relu_softmax_sparse_adam", 0}} {
		t.Run(c.name+map[int]string{0: "/per_step", 4: "/loop_K=4"}[c.k], func(t *testing.T) {
			pc := partCaseNamed(t, c.name)
			m := compiledPartModel(t, pc, c.k, false)
			m.compiled.Threads.Inference = InferenceOwn
			x, y := partData(pc, n, m.Classes())
			assertSameModel(t, m, x, y, 8, "compiled")

			fit := FitOptions{Epochs: 1, BatchSize: 8, Shuffle: true, Seed: 3}
			_, err := m.Fit(context.Background(), x, y, fit)
			require.NoError(t, err)
			assertSameModel(t, m, x, y, 8, "after Fit")

			probe := &predictAt{t: t, x: x, y: y, steps: map[int]bool{4: true, 8: true}}
			fit.Epochs, fit.Callbacks = 2, []Callback{probe}
			_, err = m.Fit(context.Background(), x, y, fit)
			require.NoError(t, err)
			assert.Equal(t, 4, probe.checked, "BatchEnd at steps 4 and 8 of two epochs")

			// Fit's validation after each epoch runs in the inference
			// session: the last epoch's is the trained model's.
			fit.Epochs, fit.Callbacks = 5, nil
			fit.ValidationX, fit.ValidationY = x, y
			h, err := m.Fit(context.Background(), x, y, fit)
			require.NoError(t, err)
			_, _, _, sharedLogs := inBothSessions(t, m, x, y, 8)
			assert.InDelta(t, sharedLogs["loss"], h.History["val_loss"][len(h.History["val_loss"])-1], sharedBound, "the last epoch's validation")

			other := compiledPartModel(t, pc, 0, false)
			_, err = other.Fit(context.Background(), x, y, FitOptions{Epochs: 2, BatchSize: 16, Shuffle: true, Seed: 9})
			require.NoError(t, err)
			moveState(t, other, m)
			assertSameModel(t, m, x, y, 8, "after a restore")
		})
	}
}

// TestInferenceSessionMatchesTheTrainingSession trains the tutorial's model
// on real images for an epoch and predicts and evaluates the 10,000 test
// images at Keras's batch of 32 in both sessions: to the bit with oneDNN
// on, within sharedBound with it off (InferenceOwn's stated bound), the
// test accuracy the same. InferenceAuto is the inference session. The two
// are sessions of their own, each with its own intra-op pool (tfmodel sets
// TF_OVERRIDE_GLOBAL_THREADPOOL).
func TestInferenceSessionMatchesTheTrainingSession(t *testing.T) {
	d, err := loader.Load("")
	require.NoError(t, err, "the real Fashion-MNIST is needed: run scripts/libtensorflow-install.sh")
	m, err := NewSequential(Flatten(28, 28), Dense(128, "relu"), Dense(10, "softmax"))
	require.NoError(t, err)
	require.NoError(t, m.Compile(DefaultCompileOptions()))
	defer m.Close()
	train := d.Train.ScaledTensor()
	_, err = m.Fit(context.Background(), train.Slice(0, 6400), tensor.Labels(d.Train.Labels[:6400]), FitOptions{Epochs: 1, BatchSize: 32, Shuffle: true, Seed: 1})
	require.NoError(t, err)
	testX, testY := d.Test.ScaledTensor(), tensor.Labels(d.Test.Labels)
	auto, err := m.Predict(testX.Slice(0, 96), PredictOptions{}) // three whole batches, as below
	require.NoError(t, err)
	assert.NotNil(t, m.inferSession.session, "InferenceAuto runs in the inference session")

	own, shared, ownLogs, sharedLogs := inBothSessions(t, m, testX, testY, 32)
	diff := maxAbsDiff(shared.Data, own.Data)
	t.Logf("oneDNN %s: predictions within %g, loss %v against %v", onednn.Setting(), diff, ownLogs["loss"], sharedLogs["loss"])
	assert.Equal(t, own.Data[:len(auto.Data)], auto.Data, "InferenceAuto's predictions")
	if onednn.Enabled() {
		assert.Equal(t, shared.Data, own.Data, "predictions")
		assert.Equal(t, sharedLogs, ownLogs, "evaluation")
	}
	assert.LessOrEqual(t, diff, sharedBound)
	assert.InDelta(t, sharedLogs["loss"], ownLogs["loss"], sharedBound)
	assert.Equal(t, sharedLogs["accuracy"], ownLogs["accuracy"])
	assert.NotSame(t, m.session, m.inferSession.session)
	assert.Equal(t, "1", os.Getenv(poolsEnv))
}

// TestInferenceSessionOwn checks which session each setting names.
func TestInferenceSessionOwn(t *testing.T) {
	for _, c := range []struct {
		setting InferenceSession
		own     bool
	}{
		{InferenceAuto, true},
		{InferenceShared, false},
		{InferenceOwn, true},
		{InferenceOwn + 1, false},
	} {
		assert.Equal(t, c.own, c.setting.Own(), "setting %d", c.setting)
	}
}
