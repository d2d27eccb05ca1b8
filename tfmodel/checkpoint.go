package tfmodel

import (
	"fmt"
	"os"
	"path/filepath"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/gokeras/fashion/graph"
)

// SaveCheckpoint writes the weights and the optimizer's state as a
// TensorFlow checkpoint at prefix (prefix.index and
// prefix.data-00000-of-00001), with TensorFlow's SaveV2 kernel. Keys are
// Keras's variable names ("dense/kernel", "adam/iteration", ...), so Python
// reads it with tf.train.load_checkpoint(prefix).
func (m *Sequential) SaveCheckpoint(prefix string) error {
	if err := m.ready(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(prefix), 0o755); err != nil {
		return fmt.Errorf("tfmodel: save checkpoint %s: %w", prefix, err)
	}
	return m.runSaver(prefix, m.net.saver, m.net.saver.Save)
}

// RestoreCheckpoint loads weights and optimizer state written by
// SaveCheckpoint (or by Python with the same names and shapes).
func (m *Sequential) RestoreCheckpoint(prefix string) error {
	if err := m.ready(); err != nil {
		return err
	}
	if _, err := os.Stat(prefix + ".index"); err != nil {
		return fmt.Errorf("tfmodel: restore checkpoint %s: %w", prefix, err)
	}
	return m.runSaver(prefix, m.net.saver, m.net.saver.Restore)
}

// runSaver runs a saver's Save or Restore operation with its prefix fed.
func (m *Sequential) runSaver(prefix string, saver *graph.Saver, target *tf.Operation) error {
	p, err := tf.NewTensor(prefix)
	if err != nil {
		return fmt.Errorf("tfmodel: checkpoint %s: %w", prefix, err)
	}
	if _, err := m.session.Run(map[tf.Output]*tf.Tensor{saver.Prefix: p}, nil, []*tf.Operation{target}); err != nil {
		return fmt.Errorf("tfmodel: checkpoint %s: %w", prefix, err)
	}
	return nil
}
