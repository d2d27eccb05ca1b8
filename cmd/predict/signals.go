package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"
)

// exitInterrupted is the exit status after SIGINT or SIGTERM: 128 + 2, as a
// shell reports a process SIGINT killed, and as cmd/train uses.
const exitInterrupted = 130

// interruptGrace is how long a first SIGINT or SIGTERM leaves run to stop by
// itself, between two files, before predict exits anyway: long enough for
// run to finish printing what it has, short enough that a signal always
// stops predict within a second.
const interruptGrace = 500 * time.Millisecond

// runInterruptible returns run's exit status, unless a signal comes first.
// The first signal cancels run's context, which run looks at between steps;
// if run has not returned after grace, or a second signal comes, it reports
// "predict: interrupted" on stderr and returns exitInterrupted without
// waiting for run any longer. That is for what run cannot be interrupted
// in: a call into TensorFlow's C library (loading a model, a session run
// whose graph never ends) does not look at a context, and a goroutine
// cannot be stopped, so main then exits the process with run still in it.
func runInterruptible(signals <-chan os.Signal, grace time.Duration, stderr io.Writer, run func(context.Context) int) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- run(ctx) }()
	select {
	case code := <-done:
		return code
	case <-signals:
		cancel()
	}
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case code := <-done:
		return code
	case <-timer.C:
	case <-signals:
	}
	fmt.Fprintln(stderr, "predict: interrupted")
	return exitInterrupted
}
