package tfmodel

import "slices"

// Callback is told about each finished epoch, as Keras's
// Callback.on_epoch_end. Returning Stop ends training after this epoch;
// an error ends it and Fit returns the error.
//
// A Callback may also implement TrainBeginner and TrainEnder.
type Callback interface {
	EpochEnd(model *Sequential, epoch int, logs Logs) (Action, error)
}

// TrainBeginner is a Callback told when Fit starts, before the first step.
// It may move the start: BackupAndRestore resumes an interrupted run.
type TrainBeginner interface {
	TrainBegin(model *Sequential, start *Position) error
}

// TrainEnder is a Callback told when Fit ends, however it ends: err is nil
// when training finished or a callback stopped it, and the reason
// otherwise (ctx's error when it was interrupted). model.Position() is
// where it stopped.
type TrainEnder interface {
	TrainEnd(model *Sequential, err error) error
}

// BatchEnder is a Callback told after each training step, as Keras's
// Callback.on_train_batch_end: step counts the epoch's steps from 1, and
// logs hold the epoch's running means so far. An error ends training and
// Fit returns it, with Position at the step just taken.
type BatchEnder interface {
	BatchEnd(model *Sequential, epoch, step int, logs Logs) error
}

// Action is what a callback asks of Fit.
type Action int

const (
	Continue Action = iota
	Stop
)

// Logs are an epoch's (or a step's) results keyed by Keras's names: "loss"
// and each metric's name, and with validation data "val_loss",
// "val_accuracy", ...: Keras's logs dict.
type Logs map[string]float64

// Keys are the logs' names in the order Keras prints them: sorted.
func (l Logs) Keys() []string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// HasValidation reports whether the logs hold validation results.
func (l Logs) HasValidation() bool {
	_, ok := l["val_loss"]
	return ok
}

// CallbackFunc adapts a function to Callback.
type CallbackFunc func(model *Sequential, epoch int, logs Logs) (Action, error)

// EpochEnd calls f.
func (f CallbackFunc) EpochEnd(m *Sequential, epoch int, logs Logs) (Action, error) {
	return f(m, epoch, logs)
}
