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
// Adam's state, the running metrics of the epoch in progress and the
// training Position. Keys are Keras's variable names ("dense/kernel",
// "adam/iteration", ...) and "training/epoch", "training/step",
// "training/shuffle_seed", so Python reads it with tf.train.load_checkpoint.
// SaveV2 writes the two files in place: for a crash-safe series of
// checkpoints use Checkpoints.
func (m *Sequential) SaveCheckpoint(prefix string) error {
	if err := m.ready(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(prefix), 0o755); err != nil {
		return fmt.Errorf("tfmodel: save checkpoint %s: %w", prefix, err)
	}
	return m.runSaver(prefix, m.net.saver, int64(m.pos.Epoch), int64(m.pos.Step), int64(m.pos.Seed))
}

// RestoreCheckpoint loads a checkpoint written by SaveCheckpoint and returns
// its training Position. A checkpoint of another model (other shapes or
// names) or a damaged one is an error, and the model is left unchanged.
func (m *Sequential) RestoreCheckpoint(prefix string) (Position, error) {
	if err := m.ready(); err != nil {
		return Position{}, err
	}
	fail := func(err error) (Position, error) {
		return Position{}, fmt.Errorf("tfmodel: restore checkpoint %s: %w", prefix, err)
	}
	if _, err := os.Stat(prefix + ".index"); err != nil {
		return fail(err)
	}
	s := m.net.saver
	feeds, err := prefixFeed(s, prefix)
	if err != nil {
		return fail(err)
	}
	out, err := m.session.Run(feeds, s.Restored, nil)
	if err != nil {
		return fail(err)
	}
	snap := make(snapshot, len(s.Vars))
	for i, v := range s.Vars {
		snap[v] = out[i]
	}
	if err := m.restoreSnapshot(snap); err != nil {
		return fail(err)
	}
	extras := out[len(s.Vars):]
	pos := Position{Epoch: int(extras[0].Value().(int64)), Step: int(extras[1].Value().(int64)), Seed: uint64(extras[2].Value().(int64))}
	m.pos = pos
	return pos, nil
}

// runSaver runs a saver's Save operation with its prefix and its extras'
// values fed.
func (m *Sequential) runSaver(prefix string, saver *graph.Saver, extras ...int64) error {
	feeds, err := prefixFeed(saver, prefix)
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

func prefixFeed(s *graph.Saver, prefix string) (map[tf.Output]*tf.Tensor, error) {
	p, err := tf.NewTensor(prefix)
	if err != nil {
		return nil, err
	}
	return map[tf.Output]*tf.Tensor{s.Prefix: p}, nil
}
