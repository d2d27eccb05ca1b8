package tfmodel

import (
	"errors"
	"fmt"
	"math"
)

// ErrLossNotFinite is matched by the error TerminateOnNaN stops training
// with.
var ErrLossNotFinite = errors.New("the loss is not finite")

// TerminateOnNaN is Keras's TerminateOnNaN callback: after every step it
// looks at the loss and stops training at the first NaN or infinity. Once
// the loss is NaN the weights are NaN too (or will be after the next Adam
// step) and nothing later can bring them back, so going on only wastes the
// time and, worse, ends in a "trained" model that predicts NaN. Keras stops
// quietly; here Fit returns an error wrapping ErrLossNotFinite, with
// Position at the step, so that a command fails instead of saving.
//
// The loss looked at is the epoch's running mean, as in Keras 3, which is
// not finite from the first step whose loss is not.
type TerminateOnNaN struct{}

// EpochEnd does nothing: the watch is per step.
func (TerminateOnNaN) EpochEnd(*Sequential, int, Logs) (Action, error) { return Continue, nil }

// BatchEnd stops training when the loss is NaN or infinite.
func (TerminateOnNaN) BatchEnd(_ *Sequential, _, _ int, logs Logs) error {
	if math.IsNaN(logs["loss"]) || math.IsInf(logs["loss"], 0) {
		return fmt.Errorf("%w (%g): training diverged, stopping (a lower learning rate may help)", ErrLossNotFinite, logs["loss"])
	}
	return nil
}
