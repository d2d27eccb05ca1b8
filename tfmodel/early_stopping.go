package tfmodel

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// EarlyStopping is Keras's EarlyStopping: it stops training when the
// monitored value (Monitor, "val_loss" when empty) has not improved by more
// than MinDelta for Patience epochs, and with RestoreBestWeights puts back
// the weights (and optimizer state) of the best epoch.
//
// Mode says which way is better: "min", "max", or "auto" (the default), as
// Keras decides it: max for names containing "acc" (accuracy), min for the
// rest (losses, mse, mae).
type EarlyStopping struct {
	Monitor            string
	Mode               string
	Patience           int
	MinDelta           float64
	RestoreBestWeights bool

	// StoppedEpoch is the epoch after which training stopped (0-based), or
	// -1; BestEpoch the epoch of the best monitored value.
	StoppedEpoch, BestEpoch int

	best     float64
	maximise bool
	wait     int
	snap     snapshot
}

// NewEarlyStopping returns an EarlyStopping on val_loss with the given
// patience that restores the best weights.
func NewEarlyStopping(patience int) *EarlyStopping {
	return &EarlyStopping{Monitor: "val_loss", Patience: patience, RestoreBestWeights: true}
}

func (e *EarlyStopping) monitor() string {
	if e.Monitor == "" {
		return "val_loss"
	}
	return e.Monitor
}

// TrainBegin starts the watch afresh.
func (e *EarlyStopping) TrainBegin(*Sequential, *Position) error {
	if e.Patience < 0 {
		return errors.New("early stopping: patience must not be negative")
	}
	switch e.Mode {
	case "", "auto":
		e.maximise = strings.Contains(e.monitor(), "acc")
	case "max":
		e.maximise = true
	case "min":
		e.maximise = false
	default:
		return fmt.Errorf("early stopping: mode %q: want auto, min or max", e.Mode)
	}
	e.best, e.wait, e.snap, e.StoppedEpoch, e.BestEpoch = math.Inf(1), 0, nil, -1, -1
	if e.maximise {
		e.best = math.Inf(-1)
	}
	return nil
}

// EpochEnd watches the monitored value.
func (e *EarlyStopping) EpochEnd(m *Sequential, epoch int, logs Logs) (Action, error) {
	v, ok := logs[e.monitor()]
	if !ok {
		hint := ""
		if strings.HasPrefix(e.monitor(), "val_") {
			hint = " (give validation data or a validation split)"
		}
		return Continue, fmt.Errorf("early stopping watches %s, which the logs do not have: they have %v%s", e.monitor(), logs.Keys(), hint)
	}
	e.wait++
	better := v < e.best-e.MinDelta
	if e.maximise {
		better = v > e.best+e.MinDelta
	}
	if better {
		e.best, e.BestEpoch, e.wait = v, epoch, 0
		if e.RestoreBestWeights {
			snap, err := m.takeSnapshot()
			if err != nil {
				return Continue, err
			}
			e.snap = snap
		}
		return Continue, nil
	}
	if e.wait < e.Patience {
		return Continue, nil
	}
	e.StoppedEpoch = epoch
	if e.RestoreBestWeights && e.snap != nil {
		if err := m.restoreSnapshot(e.snap); err != nil {
			return Stop, err
		}
	}
	return Stop, nil
}
