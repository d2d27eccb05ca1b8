package tfmodel

import (
	"fmt"
	"os"
	"path/filepath"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/gokeras/fashion/graph"
)

// Position is where training stands: the epoch and the step within it to
// run next, and the seed of the shuffling. Fit's order of examples depends
// on nothing else, so training resumed from a Position goes on exactly as
// it would have.
type Position struct {
	Epoch, Step int
	Seed        uint64
}

// Position is where the last Fit stopped: after its last step, or at the
// start of the epoch after the last complete one.
func (m *Sequential) Position() Position { return m.pos }

// SaveCheckpoint writes a TensorFlow checkpoint at prefix (prefix.index and
// prefix.data-00000-of-00001) with TensorFlow's SaveV2 kernel: the weights,
// the optimizer's state (OptimizerState.Variables(), under Keras's names), the running metrics of the epoch in progress, the training
// Position and the TrainingSettings of the last Fit. Keys are Keras's
// variable names ("dense/kernel", "adam/iteration", "sgd/dense_kernel_momentum",
// ...) and "training/epoch", "training/step", "training/shuffle_seed",
// "training/batch_size"..., "training/optimizer" (the optimizer's Keras
// class and config as JSON; see checkpointKeys), so Python reads it with
// tf.train.load_checkpoint. A model whose state is not finite (training
// diverged) is refused unless opts say AllowNonFinite: restoring it could
// only go on producing NaN. SaveV2 writes the two files in place: for a
// crash-safe series of checkpoints use BackupAndRestore.
func (m *Sequential) SaveCheckpoint(prefix string, opts ...SaveOption) error {
	if err := m.ready(); err != nil {
		return err
	}
	if !saveConfigOf(opts).allowNonFinite {
		if err := m.checkFinite(m.net.saved()); err != nil {
			return fmt.Errorf("tfmodel: save checkpoint %s: %w", prefix, err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(prefix), 0o755); err != nil {
		return fmt.Errorf("tfmodel: save checkpoint %s: %w", prefix, err)
	}
	optimizer, err := optimizerSetting(m.compiled.Optimizer)
	if err != nil {
		return fmt.Errorf("tfmodel: save checkpoint %s: %w", prefix, err)
	}
	r := m.run
	shuffle := int64(0)
	if r.settings.Shuffle {
		shuffle = 1
	}
	return m.runSaver(prefix, m.net.saver,
		int64(m.pos.Epoch), int64(m.pos.Step), int64(m.pos.Seed), int64(checkpointFormat),
		int64(r.settings.BatchSize), shuffle, r.settings.ValidationSplit, int64(r.settings.Examples),
		int64(r.initialEpoch), r.baseIteration, optimizer)
}

// RestoreCheckpoint loads a checkpoint written by SaveCheckpoint and returns
// its training Position. Every value is checked before any is assigned (see
// readCheckpoint): a checkpoint of another model (other shapes or names), a
// damaged one, one whose values are out of range or not finite, or one of
// format 1 (no training settings) is an error naming the checkpoint and the
// value, and the model is left unchanged.
func (m *Sequential) RestoreCheckpoint(prefix string) (Position, error) {
	if err := m.ready(); err != nil {
		return Position{}, err
	}
	c, err := m.readCheckpoint(prefix)
	if err != nil {
		return Position{}, err
	}
	if err := m.applyCheckpoint(c); err != nil {
		return Position{}, err
	}
	m.run.settings = c.run.settings
	return c.pos, nil
}

// checkpoint is a checkpoint read and checked, not yet assigned.
type checkpoint struct {
	prefix string
	pos    Position
	run    runState // its epochs are unknown: not recorded
	snap   snapshot
}

// applyCheckpoint assigns a checkpoint's variables and takes its position
// and the start of its run, which later checkpoints of the run record.
func (m *Sequential) applyCheckpoint(c *checkpoint) error {
	if err := m.restoreSnapshot(c.snap); err != nil {
		return fmt.Errorf("tfmodel: restore checkpoint %s: %w", c.prefix, err)
	}
	m.pos = c.pos
	m.run.initialEpoch, m.run.baseIteration = c.run.initialEpoch, c.run.baseIteration
	return nil
}

// runSaver runs a saver's Save operation with its prefix and its extras'
// values fed, in the extras' order and of their dtypes (int64, float64).
func (m *Sequential) runSaver(prefix string, saver *graph.Saver, extras ...any) error {
	feeds, err := prefixFeed(saver.Prefix, prefix)
	if err != nil {
		return fmt.Errorf("tfmodel: checkpoint %s: %w", prefix, err)
	}
	for i, v := range extras {
		if feeds[saver.Extras[i]], err = tf.NewTensor(v); err != nil {
			return fmt.Errorf("tfmodel: checkpoint %s: %w", prefix, err)
		}
	}
	if _, err := m.session.Run(feeds, nil, []*tf.Operation{saver.Save}); err != nil {
		return fmt.Errorf("tfmodel: checkpoint %s: %w", prefix, err)
	}
	return nil
}

func prefixFeed(placeholder tf.Output, prefix string) (map[tf.Output]*tf.Tensor, error) {
	p, err := tf.NewTensor(prefix)
	if err != nil {
		return nil, err
	}
	return map[tf.Output]*tf.Tensor{placeholder: p}, nil
}
