package tfmodel

import (
	"errors"
	"math"
)

// EarlyStopping is Keras's EarlyStopping(monitor="val_loss"): it stops
// training when the validation loss has not improved by more than MinDelta
// for Patience epochs, and with RestoreBestWeights puts back the weights
// (and optimizer state) of the best epoch.
type EarlyStopping struct {
	Patience           int
	MinDelta           float64
	RestoreBestWeights bool

	// StoppedEpoch is the epoch after which training stopped (0-based), or
	// -1; BestEpoch the epoch of the lowest validation loss.
	StoppedEpoch, BestEpoch int

	best float64
	wait int
	snap snapshot
}

// NewEarlyStopping returns an EarlyStopping with the given patience that
// restores the best weights.
func NewEarlyStopping(patience int) *EarlyStopping {
	return &EarlyStopping{Patience: patience, RestoreBestWeights: true}
}

// TrainBegin starts the watch afresh.
func (e *EarlyStopping) TrainBegin(*Sequential, *Position) error {
	if e.Patience < 0 {
		return errors.New("early stopping: patience must not be negative")
	}
	e.best, e.wait, e.snap, e.StoppedEpoch, e.BestEpoch = math.Inf(1), 0, nil, -1, -1
	return nil
}

// EpochEnd watches the validation loss.
func (e *EarlyStopping) EpochEnd(m *Sequential, epoch int, logs EpochLogs) (Action, error) {
	if !logs.HasValidation {
		return Continue, errors.New("early stopping watches val_loss: give validation data or a validation split")
	}
	e.wait++
	if logs.ValLoss < e.best-e.MinDelta {
		e.best, e.BestEpoch, e.wait = logs.ValLoss, epoch, 0
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
