package savedmodel

import (
	"errors"
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/gokeras/fashion/tensor"
)

// Run runs the signature key on feeds, one tensor per input name, and
// returns the outputs named in fetch by name, every output when fetch is
// empty. Every input must be fed, with its declared dtype and a shape that
// fits the declared one (see TensorSpec.Fits); errors name both. This is
// the way to signatures Predict does not take: several inputs, or uint8
// pixels, say. TensorFlow's own errors are returned as a *RunError (see
// its Code), after Close ErrClosed.
func (m *Model) Run(key string, feeds map[string]*tf.Tensor, fetch ...string) (map[string]*tf.Tensor, error) {
	fail := func(err error) error { return fmt.Errorf("savedmodel: run %q with %s: %w", key, m.dir, err) }
	spec, ok := m.specs[key]
	if !ok {
		return nil, fail(fmt.Errorf("no such signature (it has %v)", sortedKeys(m.specs)))
	}
	feedMap := make(map[tf.Output]*tf.Tensor, len(feeds))
	for _, name := range sortedKeys(feeds) {
		if _, ok := spec.Input(name); !ok {
			return nil, fail(fmt.Errorf("no input %q (it has %v)", name, specNames(spec.Inputs)))
		}
	}
	var missing []string
	for _, in := range spec.Inputs {
		t, ok := feeds[in.Name]
		if !ok {
			missing = append(missing, in.Name)
			continue
		}
		if err := checkFeed(in, t); err != nil {
			return nil, fail(err)
		}
		feedMap[m.feeds[key][in.Name]] = t
	}
	if len(missing) > 0 {
		return nil, fail(fmt.Errorf("inputs %v are not fed (it takes %v)", missing, specNames(spec.Inputs)))
	}
	if len(fetch) == 0 {
		fetch = specNames(spec.Outputs)
	}
	var names []string
	var outs []tf.Output
	seen := map[string]bool{}
	for _, name := range fetch {
		o, ok := m.fetch[key][name]
		if !ok {
			return nil, fail(fmt.Errorf("no output %q (it has %v)", name, specNames(spec.Outputs)))
		}
		if !seen[name] {
			seen[name] = true
			names, outs = append(names, name), append(outs, o)
		}
	}
	res, err := m.run(feedMap, outs)
	if errors.Is(err, ErrClosed) {
		return nil, err
	}
	if err != nil {
		return nil, fail(err)
	}
	byName := make(map[string]*tf.Tensor, len(res))
	for i, t := range res {
		byName[names[i]] = t
	}
	return byName, nil
}

// checkFeed checks t is what in declares.
func checkFeed(in TensorSpec, t *tf.Tensor) error {
	if t == nil {
		return fmt.Errorf("input %q is nil", in.Name)
	}
	if t.DataType() != in.DType {
		return fmt.Errorf("input %q is %s, the signature takes %s", in.Name, dtypeName(t.DataType()), dtypeName(in.DType))
	}
	if !in.Fits(t.Shape()) {
		return fmt.Errorf("%w: input %q has shape %v, the signature takes %s", tensor.ErrShape, in.Name, t.Shape(), in.ShapeString())
	}
	return nil
}

// run runs the session, holding the read lock so that Close waits for it.
func (m *Model) run(feeds map[tf.Output]*tf.Tensor, fetch []tf.Output) ([]*tf.Tensor, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.saved == nil {
		return nil, ErrClosed
	}
	res, err := m.saved.Session.Run(feeds, fetch, nil)
	if err != nil {
		return nil, &RunError{err: err}
	}
	return res, nil
}

// RunError is an error TensorFlow returned from a run; Code tells its kind.
// Its message is TensorFlow's own, without the context Run and Predict wrap
// it in.
type RunError struct{ err error }

func (e *RunError) Error() string { return e.err.Error() }
func (e *RunError) Unwrap() error { return e.err }

// Code is TensorFlow's status code of the error (TF_Code: 3 is
// INVALID_ARGUMENT, 13 INTERNAL...), 2 (UNKNOWN) if it cannot be read.
func (e *RunError) Code() int {
	if c, ok := statusCode(e.err); ok {
		return c
	}
	return 2
}
