package graph

import (
	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// MeanSquaredError is keras.losses.MeanSquaredError ("mse"): the mean over
// the last axis of (target - pred)², then over the batch.
type MeanSquaredError struct{ lossBase }

// NewMeanSquaredError is keras.losses.MeanSquaredError().
func NewMeanSquaredError() *MeanSquaredError {
	return &MeanSquaredError{lossBase{name: "mean_squared_error"}}
}

func (l *MeanSquaredError) ClassName() string      { return "MeanSquaredError" }
func (l *MeanSquaredError) Sparse() bool           { return false }
func (l *MeanSquaredError) Config() map[string]any { return lossConfig(l.name, nil) }

func (l *MeanSquaredError) Compute(s *op.Scope, target tf.Output, pred Value) LossValue {
	s = sub(s, "mean_squared_error")
	mean, _ := meanOverBatch(s, squaredErrors(s, target, pred.Out))
	return plainLoss(s, mean)
}

// MeanAbsoluteError is keras.losses.MeanAbsoluteError ("mae"): the mean
// over the last axis of |target - pred|, then over the batch.
type MeanAbsoluteError struct{ lossBase }

// NewMeanAbsoluteError is keras.losses.MeanAbsoluteError().
func NewMeanAbsoluteError() *MeanAbsoluteError {
	return &MeanAbsoluteError{lossBase{name: "mean_absolute_error"}}
}

func (l *MeanAbsoluteError) ClassName() string      { return "MeanAbsoluteError" }
func (l *MeanAbsoluteError) Sparse() bool           { return false }
func (l *MeanAbsoluteError) Config() map[string]any { return lossConfig(l.name, nil) }

func (l *MeanAbsoluteError) Compute(s *op.Scope, target tf.Output, pred Value) LossValue {
	s = sub(s, "mean_absolute_error")
	mean, _ := meanOverBatch(s, absoluteErrors(s, target, pred.Out))
	return plainLoss(s, mean)
}

// squaredErrors is Keras's mean_squared_error per example:
// mean(square(target - pred), axis=-1).
func squaredErrors(s *op.Scope, target, pred tf.Output) tf.Output {
	d := op.Sub(sub(s, "sub"), target, pred)
	return op.Mean(sub(s, "Mean"), op.Square(sub(s, "Square"), d), lastAxis(s))
}

// absoluteErrors is Keras's mean_absolute_error per example:
// mean(abs(target - pred), axis=-1).
func absoluteErrors(s *op.Scope, target, pred tf.Output) tf.Output {
	d := op.Sub(sub(s, "sub"), target, pred)
	return op.Mean(sub(s, "Mean"), op.Abs(sub(s, "Abs"), d), lastAxis(s))
}
