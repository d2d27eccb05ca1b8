package tfmodel

import (
	"bytes"
	"fmt"

	"github.com/gokeras/fashion/tensorboard"
)

// TensorBoard is Keras's TensorBoard callback: it writes the model's graph
// and, each epoch, epoch_loss and epoch_accuracy under LogDir/train (and
// LogDir/validation with validation data) as event files, through
// TensorFlow's own summary kernels. Point `tensorboard --logdir` at LogDir.
type TensorBoard struct {
	LogDir string
	run    *tensorboard.Run
}

// TrainBegin opens the event files and writes the graph.
func (t *TensorBoard) TrainBegin(m *Sequential, _ *Position) error {
	run, err := tensorboard.Open(t.LogDir)
	if err != nil {
		return err
	}
	var def bytes.Buffer
	if _, err := m.net.graph.WriteTo(&def); err != nil {
		run.Close()
		return fmt.Errorf("tensorboard: graph: %w", err)
	}
	if err := run.Graph(def.Bytes()); err != nil {
		run.Close()
		return err
	}
	t.run = run
	return nil
}

// EpochEnd writes the epoch's metrics.
func (t *TensorBoard) EpochEnd(_ *Sequential, epoch int, logs Logs) (Action, error) {
	if t.run == nil {
		return Continue, fmt.Errorf("tensorboard %s: not open (Fit calls TrainBegin first)", t.LogDir)
	}
	return Continue, t.run.Epoch(epoch, logs)
}

// TrainEnd closes the event files.
func (t *TensorBoard) TrainEnd(*Sequential, error) error {
	if t.run == nil {
		return nil
	}
	err := t.run.Close()
	t.run = nil
	return err
}
