package tfmodel

import (
	"errors"
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/gokeras/fashion/graph"
)

// ErrNotFinite is matched by the error of Save, SaveKeras and
// SaveCheckpoint when the model holds NaN or infinite values: training
// diverged, and a model that predicts NaN must not be written where a good
// one is expected (or over one).
var ErrNotFinite = errors.New("the model holds values that are not finite")

// SaveOption changes what Save, SaveKeras and SaveCheckpoint accept.
type SaveOption func(*saveConfig)

type saveConfig struct{ allowNonFinite bool }

// AllowNonFinite makes a save write a model holding NaN or infinite
// values, e.g. to study how training diverged.
func AllowNonFinite() SaveOption { return func(c *saveConfig) { c.allowNonFinite = true } }

func saveConfigOf(opts []SaveOption) saveConfig {
	var c saveConfig
	for _, o := range opts {
		o(&c)
	}
	return c
}

// checkFinite reads the float variables among vars and reports the first
// that holds a NaN or an infinity, naming it.
func (m *Sequential) checkFinite(vars []*graph.Variable) error {
	var floats []*graph.Variable
	for _, v := range vars {
		if v.DType == tf.Float {
			floats = append(floats, v)
		}
	}
	out, err := m.readVariables(floats)
	if err != nil {
		return err
	}
	for i, v := range floats {
		values := make([]float32, v.Size())
		if err := copyFloat32s(values, out[i]); err != nil {
			return fmt.Errorf("%s: %w", v.Name, err)
		}
		if err := checkFiniteValues(v.Name, values); err != nil {
			return fmt.Errorf("%w: %w; not saving it (training diverged?)", ErrNotFinite, err)
		}
	}
	return nil
}
