package tfmodel

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// BackupAndRestore is Keras's BackupAndRestore callback with checkpoints
// that keep everything: at the end of every epoch, and when training is
// interrupted (ctx cancelled, e.g. on SIGINT), it writes a checkpoint of
// the weights, the optimizer's state, the epoch's running metrics and the
// training Position into Dir; when Fit starts and Dir has one, it restores it and
// training goes on from there, ending with the same weights as a run that
// was never interrupted.
//
// Each checkpoint is written beside the previous ones, then the "checkpoint"
// file (TensorFlow's CheckpointState, so tf.train.latest_checkpoint(Dir)
// finds it) is replaced atomically to name it, and only then are older
// ones removed. A crash at any moment leaves the last good checkpoint
// named and complete.
//
// A checkpoint is resumed only by a run it belongs to: every value in it is
// checked first (see RestoreCheckpoint), then its TrainingSettings must be
// the run's and its epoch within the run's epochs; otherwise Fit fails with
// an error matching ErrCheckpointSettings (a *SettingsMismatchError names
// each difference) and nothing is restored. Restart discards it instead.
//
// Dir is locked (an flock on Dir/.lock) from TrainBegin to TrainEnd, or
// from Lock to Unlock, so that a second run using Dir fails at once with a
// *DirBusyError rather than resuming from, and deleting, the first one's
// checkpoints.
type BackupAndRestore struct {
	Dir string
	// Restart discards the checkpoints in Dir when training begins, instead
	// of resuming from them: training starts over, with this run's
	// settings, and checkpoints into Dir as it goes.
	Restart bool
	// Saved is told each checkpoint written, Restored the one training
	// resumes from: cmd/train prints where.
	Saved, Restored func(prefix string, pos Position)

	lock        *checkpointLock
	lockedByFit bool // by TrainBegin, so TrainEnd unlocks
}

const checkpointStateFile = "checkpoint"

// Lock locks Dir (creating it) for this BackupAndRestore until Unlock, or
// fails at once with a *DirBusyError if another run holds it. A command
// calls it before loading data and building the model, to fail fast; Fit
// locks Dir itself otherwise, for its own length.
func (b *BackupAndRestore) Lock() error {
	if b.lock != nil {
		return nil
	}
	l, err := lockCheckpointDir(b.Dir)
	if err != nil {
		return err
	}
	b.lock, b.lockedByFit = l, false
	return nil
}

// Unlock releases the lock taken by Lock.
func (b *BackupAndRestore) Unlock() error {
	err := b.lock.unlock()
	b.lock = nil
	return err
}

// TrainBegin locks Dir, then restores the newest checkpoint there, if any,
// once it has checked that the checkpoint belongs to this run; or, with
// Restart, discards it.
func (b *BackupAndRestore) TrainBegin(m *Sequential, start *Position) (err error) {
	if b.lock == nil {
		if err := b.Lock(); err != nil {
			return err
		}
		b.lockedByFit = true
		defer func() {
			if err != nil {
				b.unlockAfterFit()
			}
		}()
	}
	if b.Restart {
		return discardCheckpoints(b.Dir)
	}
	prefix, err := LatestCheckpoint(b.Dir)
	if err != nil || prefix == "" {
		return err
	}
	c, err := m.readCheckpoint(prefix)
	if err != nil {
		return err
	}
	if err := belongsToRun(c, m.run); err != nil {
		return err
	}
	if err := m.applyCheckpoint(c); err != nil {
		return err
	}
	*start = c.pos
	if b.Restored != nil {
		b.Restored(prefix, c.pos)
	}
	return nil
}

// belongsToRun reports why a checkpoint cannot be resumed by a run, if it
// cannot: its settings differ, or it is past the run's end.
func belongsToRun(c *checkpoint, run runState) error {
	if c.run.settings.BatchSize == 0 {
		return fmt.Errorf("tfmodel: checkpoint %s records no training run (saved before any Fit): %w", c.prefix, ErrCheckpointSettings)
	}
	if err := compareSettings(c.prefix, c.run.settings, run.settings); err != nil {
		return fmt.Errorf("tfmodel: %w", err)
	}
	if c.pos.Epoch > run.epochs || (c.pos.Epoch == run.epochs && c.pos.Step > 0) {
		done := plural(c.pos.Epoch, "epoch")
		if c.pos.Step > 0 {
			done += " and " + plural(c.pos.Step, "step")
		}
		return fmt.Errorf("tfmodel: checkpoint %s has trained %s, beyond this run's %s: %w",
			c.prefix, done, plural(run.epochs, "epoch"), ErrCheckpointSettings)
	}
	return nil
}

func (b *BackupAndRestore) unlockAfterFit() {
	if b.lockedByFit {
		b.Unlock()
		b.lockedByFit = false
	}
}

// EpochEnd checkpoints the finished epoch.
func (b *BackupAndRestore) EpochEnd(m *Sequential, _ int, _ Logs) (Action, error) {
	return Continue, b.save(m)
}

// TrainEnd checkpoints an interrupted run where it stopped. A run that
// finished was checkpointed by its last EpochEnd.
// The lock Fit took is released then.
func (b *BackupAndRestore) TrainEnd(m *Sequential, err error) error {
	defer b.unlockAfterFit()
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		if m.pos.Step > 0 {
			return b.save(m)
		}
	}
	return nil
}

func (b *BackupAndRestore) save(m *Sequential) error {
	pos := m.Position()
	name := fmt.Sprintf("ckpt-epoch%d", pos.Epoch)
	if pos.Step > 0 {
		name = fmt.Sprintf("ckpt-epoch%d-step%d", pos.Epoch, pos.Step)
	}
	prefix := filepath.Join(b.Dir, name)
	if err := m.SaveCheckpoint(prefix); err != nil {
		return err
	}
	previous, err := LatestCheckpoint(b.Dir)
	if err != nil {
		previous = "" // a damaged state file is replaced, its checkpoint kept
	}
	if err := writeCheckpointState(b.Dir, name, previous); err != nil {
		return err
	}
	if err := removeCheckpointsExcept(b.Dir, prefix, previous); err != nil {
		return err
	}
	if b.Saved != nil {
		b.Saved(prefix, pos)
	}
	return nil
}

// LatestCheckpoint returns the prefix of the newest checkpoint in dir, as
// named by its "checkpoint" file, or "" when dir has none. A state file
// that names a missing checkpoint is an error, not a fresh start.
func LatestCheckpoint(dir string) (string, error) {
	f, err := os.Open(filepath.Join(dir, checkpointStateFile))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("tfmodel: checkpoints in %s: %w", dir, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || strings.TrimSpace(key) != "model_checkpoint_path" {
			continue
		}
		name, err := strconv.Unquote(strings.TrimSpace(value))
		if err != nil || name == "" {
			break
		}
		prefix := name
		if !filepath.IsAbs(prefix) {
			prefix = filepath.Join(dir, name)
		}
		if _, err := os.Stat(prefix + ".index"); err != nil {
			return "", fmt.Errorf("tfmodel: checkpoints in %s: the %s file names %s, which is missing: %w", dir, checkpointStateFile, name, err)
		}
		return prefix, nil
	}
	return "", fmt.Errorf("tfmodel: checkpoints in %s: the %s file names no checkpoint (damaged?)", dir, checkpointStateFile)
}

// writeCheckpointState replaces dir's state file atomically: write beside,
// then rename.
func writeCheckpointState(dir, latest, previous string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "model_checkpoint_path: %q\n", latest)
	if previous != "" && filepath.Base(previous) != latest {
		fmt.Fprintf(&b, "all_model_checkpoint_paths: %q\n", filepath.Base(previous))
	}
	fmt.Fprintf(&b, "all_model_checkpoint_paths: %q\n", latest)
	tmp, err := os.CreateTemp(dir, "."+checkpointStateFile+".tmp-*")
	if err != nil {
		return fmt.Errorf("tfmodel: checkpoint state in %s: %w", dir, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(b.String()); err != nil {
		tmp.Close()
		return fmt.Errorf("tfmodel: checkpoint state in %s: %w", dir, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("tfmodel: checkpoint state in %s: %w", dir, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("tfmodel: checkpoint state in %s: %w", dir, err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, checkpointStateFile)); err != nil {
		return fmt.Errorf("tfmodel: checkpoint state in %s: %w", dir, err)
	}
	return nil
}

// removeCheckpointsExcept deletes the checkpoints in dir other than keep:
// the newest and the one before it, so that one damaged file never leaves
// nothing to resume from.
func removeCheckpointsExcept(dir string, keep ...string) error {
	files, err := filepath.Glob(filepath.Join(dir, "ckpt-epoch*"))
	if err != nil {
		return err
	}
	for _, f := range files {
		kept := false
		for _, k := range keep {
			if k != "" && (f == k+".index" || strings.HasPrefix(f, k+".data-")) {
				kept = true
			}
		}
		if !kept {
			if err := os.Remove(f); err != nil {
				return fmt.Errorf("tfmodel: remove old checkpoint: %w", err)
			}
		}
	}
	return nil
}

// plural is "1 epoch", "8 epochs".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
