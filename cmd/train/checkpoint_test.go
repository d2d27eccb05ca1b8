package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/internal/pyenv"
)

// checkpointed trains one fast epoch into dir/ckpt (see fastArgs) and
// returns the checkpoint's prefix.
func checkpointed(t *testing.T, bin, dir string) string {
	t.Helper()
	_, stderr, code := runCommand(t, bin, fastArgs(filepath.Join(dir, "model"), "-seed", "4", "-checkpoint-dir", filepath.Join(dir, "ckpt"))...)
	require.Equal(t, 0, code, stderr)
	return filepath.Join(dir, "ckpt", "ckpt-epoch1")
}

// TestResumeWithOtherSettings: a checkpoint is resumed only by a run with
// its settings; any other is refused, naming every flag that differs and
// both values, before it trains, unless -restart discards the checkpoint.
func TestResumeWithOtherSettings(t *testing.T) {
	bin := buildTrain(t)
	dir := t.TempDir()
	prefix := checkpointed(t, bin, dir)
	ckpt := filepath.Join(dir, "ckpt")
	out := filepath.Join(dir, "model")
	ways := "rerun with the checkpoint's settings to resume it, or add -restart to discard it and train from scratch"

	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"batch size", []string{"-batch-size", "64"},
			"checkpoint " + prefix + " was written with -batch-size 32, this run has -batch-size 64: " + ways},
		{"seed", []string{"-seed", "5"},
			"checkpoint " + prefix + " was written with -seed 4, this run has -seed 5: " + ways},
		{"learning rate", []string{"-lr", "0.01"},
			"checkpoint " + prefix + " was written with -lr 0.001, this run has -lr 0.01: " + ways},
		{"validation split", []string{"-validation-split", "0.8"},
			"checkpoint " + prefix + " was written with -validation-split 0.9, this run has -validation-split 0.8: " + ways},
		{"optimizer", []string{"-optimizer", "sgd"},
			"checkpoint " + prefix + " was written with -optimizer adam, this run has -optimizer sgd: " + ways},
		{"all at once", []string{"-batch-size", "64", "-seed", "5", "-lr", "0.01"},
			"checkpoint " + prefix + " was written with -batch-size 32 -seed 4 -lr 0.001, this run has -batch-size 64 -seed 5 -lr 0.01: " + ways},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append(fastArgs(out, "-seed", "4", "-epochs", "2", "-checkpoint-dir", ckpt), tt.args...)
			stdout, stderr, code := runCommand(t, bin, args...)
			assert.Equal(t, 1, code)
			assert.Equal(t, "train: "+tt.want+"\n", stderr)
			assert.NotContains(t, stdout, "Resuming")
			assert.NotContains(t, stdout, "Trained")
		})
	}

	t.Run("the same settings resume", func(t *testing.T) {
		stdout, stderr, code := runCommand(t, bin, fastArgs(out, "-seed", "4", "-epochs", "2", "-checkpoint-dir", ckpt)...)
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, stdout, "Resuming from checkpoint "+prefix+" at epoch 2, step 0\n")
		assert.Contains(t, stdout, "Trained 1 epoch:")
	})

	t.Run("fewer epochs than the checkpoint's", func(t *testing.T) {
		_, stderr, code := runCommand(t, bin, fastArgs(out, "-seed", "4", "-checkpoint-dir", ckpt)...)
		assert.Equal(t, 1, code)
		assert.Regexp(t, `^train: tfmodel: fit: tfmodel: checkpoint \S+ckpt-epoch2 has trained 2 epochs, beyond this run's 1 epoch: the checkpoint does not belong to this run; add -restart to discard it and train from scratch\n$`, stderr)
	})

	t.Run("-restart trains from scratch with the new settings", func(t *testing.T) {
		stdout, stderr, code := runCommand(t, bin, fastArgs(out, "-seed", "5", "-batch-size", "64", "-restart", "-checkpoint-dir", ckpt)...)
		require.Equal(t, 0, code, stderr)
		assert.NotContains(t, stdout, "Resuming")
		assert.Contains(t, stdout, "Trained 1 epoch:")
		// The new run's checkpoint is the one now: its settings resume.
		stdout, stderr, code = runCommand(t, bin, fastArgs(out, "-seed", "5", "-batch-size", "64", "-epochs", "2", "-checkpoint-dir", ckpt)...)
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, stdout, "Resuming from checkpoint "+prefix+" at epoch 2, step 0\n")
	})

	t.Run("-restart needs -checkpoint-dir", func(t *testing.T) {
		stdout, stderr, code := runCommand(t, bin, fastArgs(out, "-restart")...)
		assert.Equal(t, 2, code)
		assert.Empty(t, stdout)
		assert.Equal(t, "train: -restart: needs -checkpoint-dir, the checkpoint to discard\n", stderr)
	})
}

// TestHostileCheckpoint: checkpoints whose values are out of range, as
// TensorFlow's own writer wrote them (the step −1 that sliced out of range,
// the epoch −5 that trained 8 epochs of 3, the learning rate −1 that was
// restored), are refused before training with an error naming the
// checkpoint and the value.
func TestHostileCheckpoint(t *testing.T) {
	bin := buildTrain(t)
	dir := t.TempDir()
	prefix := checkpointed(t, bin, dir)

	cases := []struct {
		name string
		set  map[string]any
		want string
	}{
		{"negative step", map[string]any{"training/step": -1}, "training/step is -1: must not be negative"},
		{"negative epoch", map[string]any{"training/epoch": -5}, "training/epoch is -5: must not be negative"},
		{"negative learning rate", map[string]any{"adam/learning_rate": -1}, "adam/learning_rate is -1: must be positive"},
		{"NaN weight", map[string]any{"dense_1/bias": []any{"nan", 0, 0, 0, 0, 0, 0, 0, 0, 0}}, "dense_1/bias holds NaN at index 0 (1 of its 10 values are not finite)"},
	}
	type copySpec struct {
		Dir  string         `json:"dir"`
		Name string         `json:"name"`
		Set  map[string]any `json:"set"`
	}
	spec := struct {
		Src    string     `json:"src"`
		Copies []copySpec `json:"copies"`
	}{Src: prefix}
	for i, c := range cases {
		spec.Copies = append(spec.Copies, copySpec{Dir: filepath.Join(dir, "hostile"+strconv.Itoa(i)), Name: "ckpt-epoch1", Set: c.set})
	}
	b, err := json.Marshal(spec)
	require.NoError(t, err)
	specFile := filepath.Join(dir, "spec.json")
	require.NoError(t, os.WriteFile(specFile, b, 0o644))
	_, err = pyenv.Run(context.Background(), "testdata/rewrite_checkpoint.py", specFile)
	require.NoError(t, err)

	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ckpt := spec.Copies[i].Dir
			stdout, stderr, code := runCommand(t, bin, fastArgs(filepath.Join(dir, "model"), "-seed", "4", "-epochs", "3", "-checkpoint-dir", ckpt)...)
			assert.Equal(t, 1, code)
			assert.Equal(t, "train: training stopped: tfmodel: fit: tfmodel: restore checkpoint "+filepath.Join(ckpt, "ckpt-epoch1")+": "+c.want+"\n", stderr)
			assert.NotContains(t, stdout, "Trained")
		})
	}
}

// TestSecondTrainerIsRefused: while a run holds a checkpoint directory, a
// second one with the same -checkpoint-dir fails at once, naming the
// first's process, without loading anything.
func TestSecondTrainerIsRefused(t *testing.T) {
	bin := buildTrain(t)
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "ckpt")
	first := startUntil(t, bin, []string{pauseAtVar + "=1:5"}, "train: paused at epoch 1, step 5 ("+pauseAtVar+")",
		fastArgs(filepath.Join(dir, "model1"), "-checkpoint-dir", ckpt)...)

	stdout, stderr, code := runCommand(t, bin, fastArgs(filepath.Join(dir, "model2"), "-checkpoint-dir", ckpt)...)
	assert.Equal(t, 1, code)
	assert.Empty(t, stdout, "nothing started")
	assert.Equal(t, "train: checkpoint directory "+ckpt+" is in use by another training run (pid "+strconv.Itoa(first.cmd.Process.Pid)+")\n", stderr)

	require.NoError(t, first.cmd.Process.Signal(syscall.SIGINT))
	code, stderr = first.wait(t, time.Minute)
	assert.Equal(t, exitInterrupted, code, stderr)

	// Once the first has exited, the directory is free: the second resumes.
	stdout, stderr, code = runCommand(t, bin, fastArgs(filepath.Join(dir, "model2"), "-checkpoint-dir", ckpt)...)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "Resuming from checkpoint "+filepath.Join(ckpt, "ckpt-epoch0-step5")+" at epoch 1, step 5")
}
