package tfmodel

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// checkpointLockFile is the file in a checkpoint directory that its user
// holds an flock(2) on, and writes its process id into. The kernel drops
// the lock when the process ends, however it ends, so a crash never leaves
// a directory locked; the file itself stays (removing it would let a third
// trainer lock a new file while the second still holds the old one).
const checkpointLockFile = ".lock"

// ErrCheckpointDirBusy is matched by the error of a BackupAndRestore whose
// directory another training run holds: two runs writing checkpoints into
// one directory would each resume from, and delete, the other's.
var ErrCheckpointDirBusy = errors.New("checkpoint directory in use")

// DirBusyError names the directory and the process holding it.
type DirBusyError struct {
	Dir string
	PID string // as the holder wrote it; "unknown" if it has not yet
}

func (e *DirBusyError) Error() string {
	return fmt.Sprintf("checkpoint directory %s is in use by another training run (pid %s)", e.Dir, e.PID)
}

func (e *DirBusyError) Is(target error) bool { return target == ErrCheckpointDirBusy }

// checkpointLock is a held lock on a checkpoint directory.
type checkpointLock struct{ f *os.File }

// lockCheckpointDir creates dir if needed and locks it, without waiting: a
// second trainer is told at once, before it trains for nothing.
func lockCheckpointDir(dir string) (*checkpointLock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("tfmodel: checkpoint directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, checkpointLockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("tfmodel: lock checkpoint directory: %w", err)
	}
	busy, err := tryFlock(f.Fd())
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("tfmodel: lock checkpoint directory %s: %w", dir, err)
	}
	if busy {
		b, _ := io.ReadAll(io.LimitReader(f, 32))
		f.Close()
		pid := strings.TrimSpace(string(b))
		if _, err := strconv.Atoi(pid); err != nil {
			pid = "unknown" // the holder has not written it yet
		}
		return nil, &DirBusyError{Dir: dir, PID: pid}
	}
	// The pid is for people; the lock is the flock, so a stale pid left by
	// a dead holder misleads no one: its lock went with it.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &checkpointLock{f}, nil
}

func (l *checkpointLock) unlock() error {
	if l == nil {
		return nil
	}
	return l.f.Close()
}

// discardCheckpoints removes what BackupAndRestore wrote in dir but the
// lock: the state file first, so that a crash halfway leaves no name of a
// removed checkpoint, then the checkpoints and any temporary state file.
func discardCheckpoints(dir string) error {
	if err := os.Remove(filepath.Join(dir, checkpointStateFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("tfmodel: discard checkpoints in %s: %w", dir, err)
	}
	temps, err := filepath.Glob(filepath.Join(dir, "."+checkpointStateFile+".tmp-*"))
	if err != nil {
		return err
	}
	for _, f := range temps {
		os.Remove(f)
	}
	return removeCheckpointsExcept(dir)
}
