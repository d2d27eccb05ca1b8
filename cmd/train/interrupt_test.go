package main

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSignals: SIGINT and SIGTERM stop the command within a second
// whatever it waits on, except the training loop, which is let to save its
// checkpoint; a second signal exits at once from anywhere.
func TestSignals(t *testing.T) {
	bin := buildTrain(t)
	for _, tt := range []struct {
		name    string
		pause   string
		delay   string // TRAIN_TEST_STOP_DELAY
		signals []os.Signal
		limit   time.Duration // from the first signal to the exit
		want    string        // the own stderr after the pause line, as a regexp
	}{
		{
			name: "SIGINT while reading the data", pause: "load", signals: []os.Signal{syscall.SIGINT}, limit: 5 * time.Second,
			want: `^train: interrupted while loading the data; exiting without waiting for it to finish\n$`,
		},
		{
			name: "SIGTERM while reading the data", pause: "load", signals: []os.Signal{syscall.SIGTERM}, limit: 5 * time.Second,
			want: `^train: interrupted while loading the data; exiting without waiting for it to finish\n$`,
		},
		{
			// The step ends 1.5 s after the signal, three times the grace
			// given elsewhere: the checkpoint is still saved.
			name: "training saves its checkpoint however long it takes", pause: "1:50", delay: "1500ms",
			signals: []os.Signal{syscall.SIGINT}, limit: time.Minute,
			want: `^train: interrupted at epoch 1, step 50; saved the training state to \S+ckpt-epoch0-step50: rerun the same command to resume: context canceled\n$`,
		},
		{
			name: "a second signal exits at once", pause: "1:50", delay: "1h",
			signals: []os.Signal{syscall.SIGINT, syscall.SIGTERM}, limit: 5 * time.Second,
			want: `^train: interrupted again while training; exiting at once\n$`,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			env := []string{pauseAtVar + "=" + tt.pause}
			if tt.delay != "" {
				env = append(env, stopDelayVar+"="+tt.delay)
			}
			line := "train: paused before loading the data (" + pauseAtVar + ")"
			if tt.pause != "load" {
				line = "train: paused at epoch 1, step 50 (" + pauseAtVar + ")"
			}
			r := startUntil(t, bin, env, line, fastArgs(filepath.Join(dir, "model"), "-checkpoint-dir", filepath.Join(dir, "ckpt"))...)
			start := time.Now()
			for _, s := range tt.signals {
				require.NoError(t, r.cmd.Process.Signal(s))
			}
			code, stderr := r.wait(t, tt.limit)
			assert.Equal(t, exitInterrupted, code, "stderr: %s", stderr)
			assert.Regexp(t, tt.want, stderr)
			if tt.delay == "1500ms" {
				assert.GreaterOrEqual(t, time.Since(start), 1500*time.Millisecond, "waited for the step")
			}
		})
	}
}

// awaitExit's decisions, without a process: each case ends by an event
// (run's status, a signal), never by the clock, except where the clock is
// what is tested (the grace, set to nothing).
func TestAwaitExit(t *testing.T) {
	for _, tt := range []struct {
		name     string
		training bool
		events   func(done chan int, signals chan os.Signal)
		want     int
		wantErr  string
	}{
		{"run ends first", false, func(d chan int, _ chan os.Signal) { d <- 3 }, 3, ""},
		{"run ends after the signal", true, func(_ chan int, s chan os.Signal) { s <- syscall.SIGINT }, 130, ""},
		{"no grace outside training", false, func(_ chan int, s chan os.Signal) { s <- syscall.SIGINT }, exitInterrupted,
			"train: interrupted while loading the data; exiting without waiting for it to finish\n"},
		{"a second signal", true, func(_ chan int, s chan os.Signal) { s <- syscall.SIGINT; s <- syscall.SIGTERM }, exitInterrupted,
			"train: interrupted again while loading the data; exiting at once\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			done, signals := make(chan int, 1), make(chan os.Signal, 2)
			cancelled := false
			p := &phases{}
			p.enter("loading the data", tt.training)
			tt.events(done, signals)
			var stderr bytes.Buffer
			cancel := func() {
				cancelled = true
				if tt.name == "run ends after the signal" {
					done <- 130 // run sees the cancellation and returns
				}
			}
			code := awaitExit(done, signals, cancel, p, &stderr, 0, time.Millisecond)
			assert.Equal(t, tt.want, code)
			assert.Equal(t, tt.wantErr, stderr.String())
			assert.Equal(t, tt.name != "run ends first", cancelled)
		})
	}
}
