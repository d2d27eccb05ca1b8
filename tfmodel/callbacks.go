package tfmodel

// Callback is told about each finished epoch, as Keras's
// Callback.on_epoch_end. Returning Stop ends training after this epoch;
// an error ends it and Fit returns the error.
type Callback interface {
	EpochEnd(model *Sequential, epoch int, logs EpochLogs) (Action, error)
}

// Action is what a callback asks of Fit.
type Action int

const (
	Continue Action = iota
	Stop
)

// EpochLogs are an epoch's results, Keras's logs dict.
type EpochLogs struct {
	Loss, Accuracy       float64
	ValLoss, ValAccuracy float64 // meaningful when HasValidation
	HasValidation        bool
}

// CallbackFunc adapts a function to Callback.
type CallbackFunc func(model *Sequential, epoch int, logs EpochLogs) (Action, error)

// EpochEnd calls f.
func (f CallbackFunc) EpochEnd(m *Sequential, epoch int, logs EpochLogs) (Action, error) {
	return f(m, epoch, logs)
}
