package tfmodel

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/gokeras/fashion/graph"
)

// maxIteration bounds the optimizer's step count in a checkpoint: 2^53 steps would
// take hundreds of millions of years, and a count near 2^63 would wrap to a
// negative one a few steps later, which turns Adam's bias correction into
// NaN.
const maxIteration = 1 << 53

// readCheckpoint reads the checkpoint at prefix and checks everything in it
// before the caller assigns anything: a checkpoint is a file, and a damaged
// or hostile one must be an error naming it and the value, not a panic
// (a negative step slices out of range), a run of the wrong length (a
// negative epoch), or a model that trains into NaN (a negative velocity,
// a NaN weight, a negative step count).
//
// The training values are read first, alone (network.header), so that a
// checkpoint of format 1, which lacks the settings, is recognised as such
// and refused with that reason.
func (m *Sequential) readCheckpoint(prefix string) (*checkpoint, error) {
	fail := func(err error) (*checkpoint, error) {
		return nil, fmt.Errorf("tfmodel: restore checkpoint %s: %w", prefix, err)
	}
	if _, err := os.Stat(prefix + ".index"); err != nil {
		return fail(err)
	}
	header, err := m.readKeys(m.net.header, prefix)
	format := int64(checkpointFormat)
	if err != nil {
		if h, adamErr := m.readKeys(m.net.adamHeader, prefix); adamErr == nil {
			header, format = h, adamCheckpointFormat
		} else if _, legacyErr := m.readKeys(m.net.legacyHeader, prefix); legacyErr == nil {
			return fail(fmt.Errorf("%w: it is of format 1, written by an earlier version that did not record the training settings (batch size, validation split, data set size), so it cannot be checked against this run", ErrCheckpointSettings))
		} else {
			return fail(err)
		}
	}
	c := &checkpoint{prefix: prefix}
	if err := c.parseHeader(header, format); err != nil {
		return fail(err)
	}
	// The optimizer decides which variables the checkpoint holds: one of
	// another optimizer, or of other hyper-parameters, is refused before
	// they are read, naming the difference.
	own, err := optimizerSetting(m.compiled.Optimizer)
	if err != nil {
		return fail(err)
	}
	if diffs := optimizerDiffs(c.run.settings.Optimizer, own); len(diffs) > 0 {
		return fail(&SettingsMismatchError{Prefix: prefix, Diffs: diffs})
	}
	if c.run.settings.Optimizer == "" {
		c.run.settings.Optimizer = own // format 2: Adam's, config unrecorded
	}

	out, err := m.readKeys(m.net.variables, prefix)
	if err != nil {
		// A checkpoint of another model (other layers, other shapes) lacks
		// this one's variables or holds them in other shapes.
		return fail(fmt.Errorf("%w: it holds another model's variables: %v", ErrCheckpointSettings, err))
	}
	vars := m.net.saved()
	c.snap = make(snapshot, len(vars))
	for i, v := range vars {
		c.snap[v] = out[i]
	}
	if err := m.checkSnapshot(c.snap); err != nil {
		return fail(err)
	}
	if err := m.checkState(c); err != nil {
		return fail(err)
	}
	return c, nil
}

// readKeys runs a checkpoint reader.
func (m *Sequential) readKeys(r checkpointReader, prefix string) ([]*tf.Tensor, error) {
	feeds, err := prefixFeed(r.prefix, prefix)
	if err != nil {
		return nil, err
	}
	return m.session.Run(feeds, r.values, nil)
}

// parseHeader checks the training values of a checkpoint on their own and
// against each other, and keeps them: those of checkpointKeys(), or of
// adamKeys() for a checkpoint of format 2 (want).
func (c *checkpoint) parseHeader(values []*tf.Tensor, want int64) error {
	keys := checkpointKeys()[:len(values)]
	ints := make([]int64, len(checkpointKeys()))
	var split float64
	var optimizer string
	for i, t := range values {
		if len(t.Shape()) != 0 {
			return fmt.Errorf("%s has shape %v, want a scalar", keys[i].Name, t.Shape())
		}
		switch v := t.Value().(type) {
		case int64:
			ints[i] = v
		case float64:
			split = v
		case string:
			optimizer = v
		default:
			return fmt.Errorf("%s is of dtype %s", keys[i].Name, dtypeName(t.DataType()))
		}
	}
	epoch, step, seed, format := ints[0], ints[1], ints[2], ints[3]
	batch, shuffle, examples, initialEpoch, base := ints[4], ints[5], ints[7], ints[8], ints[9]
	bad := func(key string, value any, want string) error {
		return fmt.Errorf("%s is %v: %s", key, value, want)
	}
	switch {
	case format != want && want == checkpointFormat:
		return bad("training/format", format, fmt.Sprintf("this version reads format %d (and %d)", checkpointFormat, adamCheckpointFormat))
	case format != want:
		return bad("training/format", format, fmt.Sprintf("a checkpoint without training/optimizer must be of format %d", adamCheckpointFormat))
	case epoch < 0:
		return bad("training/epoch", epoch, "must not be negative")
	case step < 0:
		return bad("training/step", step, "must not be negative")
	case shuffle != 0 && shuffle != 1:
		return bad("training/shuffle", shuffle, "must be 0 or 1")
	case initialEpoch < 0 || initialEpoch > epoch:
		return bad("training/initial_epoch", initialEpoch, fmt.Sprintf("must be in [0, %d], the checkpoint's epoch", epoch))
	case base < 0 || base > maxIteration:
		return bad("training/base_iteration", base, fmt.Sprintf("must be in [0, %d]", int64(maxIteration)))
	case batch < 0 || batch > math.MaxInt:
		return bad("training/batch_size", batch, "must be positive")
	case examples < 0 || examples > math.MaxInt:
		return bad("training/examples", examples, "must be positive")
	case math.IsNaN(split) || split < 0 || split >= 1:
		return bad("training/validation_split", split, "must be in [0, 1)")
	}
	if want == checkpointFormat {
		if _, err := parseOptimizerSetting(optimizer); err != nil || optimizer == "" {
			return bad("training/optimizer", fmt.Sprintf("%q", optimizer), "want a Keras optimizer's class_name and config, as JSON")
		}
	}
	c.pos = Position{Epoch: int(epoch), Step: int(step), Seed: uint64(seed)}
	c.run = runState{
		settings: TrainingSettings{BatchSize: int(batch), Shuffle: shuffle == 1, Seed: uint64(seed), ValidationSplit: split, Examples: int(examples),
			Optimizer: optimizer},
		initialEpoch: int(initialEpoch), baseIteration: base,
	}
	if batch == 0 {
		// Saved by a model that never trained (SaveCheckpoint before Fit):
		// no settings, and nothing done.
		if examples != 0 || split != 0 || shuffle != 0 || epoch != 0 || step != 0 || initialEpoch != 0 {
			return bad("training/batch_size", batch, "a checkpoint of no training run, but its other training values say otherwise")
		}
		return nil
	}
	st := c.run.settings
	switch {
	case examples == 0:
		return bad("training/examples", examples, "must be positive")
	case st.trainExamples() < 1 || (split > 0 && st.trainExamples() == st.Examples):
		return bad("training/validation_split", split, fmt.Sprintf("leaves an empty part of the %d examples", examples))
	}
	if steps := st.stepsPerEpoch(); step >= int64(steps) {
		return bad("training/step", step, fmt.Sprintf("must be less than %d, the steps of an epoch of %d examples in batches of %d", steps, st.trainExamples(), batch))
	}
	return nil
}

// stepsSinceStart is how many steps the checkpoint's run has taken since
// it began, or math.MaxInt64 if that overflows (a hostile epoch).
func (c *checkpoint) stepsSinceStart() int64 {
	steps := int64(c.run.settings.stepsPerEpoch())
	epochs := int64(c.pos.Epoch - c.run.initialEpoch)
	if steps > 0 && epochs > (math.MaxInt64-int64(c.pos.Step))/steps {
		return math.MaxInt64
	}
	return epochs*steps + int64(c.pos.Step)
}

// checkSnapshot checks each value's dtype and shape against its variable:
// values from a file may belong to another model.
func (m *Sequential) checkSnapshot(s snapshot) error {
	for _, v := range m.net.assigner.Vars {
		t, ok := s[v]
		if !ok {
			return fmt.Errorf("no value for %s", v.Name)
		}
		if t.DataType() != v.DType || !slices.Equal(t.Shape(), v.Shape) {
			return fmt.Errorf("%s is %s %v, want %s %v: saved from another model?", v.Name, dtypeName(t.DataType()), t.Shape(), dtypeName(v.DType), v.Shape)
		}
	}
	return nil
}

// checkState checks the variables' values of a checkpoint whose shapes are
// right: every float finite, the optimizer's velocities (Adam's and
// RMSprop's running means of squares) and the metrics' counts not
// negative, the learning rate positive, and the optimizer's step count
// within what the run can have taken.
func (m *Sequential) checkState(c *checkpoint) error {
	adam := m.net.optState
	nonNegative := map[*graph.Variable]bool{}
	for _, v := range adam.Slot("velocity") {
		nonNegative[v] = true
	}
	for _, mean := range m.net.trainMetrics {
		nonNegative[mean.Count] = true
	}
	for _, v := range m.net.saved() {
		if v.DType != tf.Float {
			continue
		}
		values, err := c.snap.floats(v)
		if err != nil {
			return err
		}
		if err := checkFiniteValues(v.Name, values); err != nil {
			return err
		}
		if nonNegative[v] {
			for i, x := range values {
				if x < 0 {
					return fmt.Errorf("%s holds %g at index %d: must not be negative", v.Name, x, i)
				}
			}
		}
	}
	lr := c.snap[adam.LearningRate].Value().(float32)
	if !(lr > 0) {
		return fmt.Errorf("%s is %g: must be positive", adam.LearningRate.Name, lr)
	}
	c.run.settings.LearningRate = lr

	iterations := c.snap[adam.Iterations].Value().(int64)
	low, high := int64(0), int64(maxIteration)
	if c.run.settings.BatchSize > 0 {
		// Not more steps than the run took since it began; fewer when
		// EarlyStopping put back an earlier epoch's state.
		low = c.run.baseIteration
		if done := c.stepsSinceStart(); done < high-low {
			high = low + done
		}
	}
	if iterations < low || iterations > high {
		return fmt.Errorf("%s is %d: must be in [%d, %d], the step counts possible at epoch %d, step %d of a run that began at epoch %d with count %d",
			adam.Iterations.Name, iterations, low, high, c.pos.Epoch, c.pos.Step, c.run.initialEpoch, c.run.baseIteration)
	}
	return nil
}

// errNotFinite is wrapped by the errors of values that are NaN or infinite.
var errNotFinite = errors.New("not finite")

// checkFiniteValues reports the first NaN or infinite value, and how many.
func checkFiniteValues(name string, values []float32) error {
	first, count := -1, 0
	for i, x := range values {
		if f := float64(x); math.IsNaN(f) || math.IsInf(f, 0) {
			if first < 0 {
				first = i
			}
			count++
		}
	}
	if count == 0 {
		return nil
	}
	return fmt.Errorf("%s holds %g at index %d (%d of its %d values are %w)", name, values[first], first, count, len(values), errNotFinite)
}
