package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// How SIGINT and SIGTERM stop the command.
//
// The first signal cancels run's context. Training watches it between
// steps: Fit stops after the step in progress and, with -checkpoint-dir,
// saves where it stopped, then run returns (status 130). Elsewhere the
// command may be in something that does not watch a context: reading the
// data set, writing the model, drawing a figure. There main does not wait
// for it: if run has not returned forceExitAfter after the signal, main
// exits with status 130 itself. Nothing is lost by that: every file the
// command writes is written beside its final name and renamed into place,
// so an exit at any moment leaves the old file or the new one (and, at
// worst, a temporary file beside it, which the next save of a SavedModel
// removes).
//
// The exception is the training loop, including the checkpoint it saves
// on interruption: main waits for it however long it takes, because
// cutting it short would throw away the training since the last epoch's
// checkpoint, and it normally ends within milliseconds (one step, one
// checkpoint of 1.2 MB). On a disk so slow that this is too long, a second
// signal exits at once, from anywhere: the checkpoint in -checkpoint-dir is
// then the last complete one.
const forceExitAfter = 500 * time.Millisecond

// phases is what run is doing, for main to decide how to stop it. Its
// methods accept a nil *phases: run needs none when no one signals.
type phases struct {
	mu       sync.Mutex
	name     string // e.g. "loading the data"
	training bool   // in Fit, which stops by itself and must not be cut
}

// enter records that run is now doing name.
func (p *phases) enter(name string, training bool) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.name, p.training = name, training
	p.mu.Unlock()
}

func (p *phases) current() (name string, training bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.name, p.training
}

// awaitExit returns run's status once done delivers it, stopping run as
// the comment above says when signals come: cancel is called at the first,
// the command's status is exitInterrupted if main has to end it. poll is
// how often the phase is looked at while waiting out a signal.
func awaitExit(done <-chan int, signals <-chan os.Signal, cancel func(), p *phases, stderr io.Writer, grace, poll time.Duration) int {
	select {
	case code := <-done:
		return code
	case <-signals:
	}
	cancel()
	deadline := time.Now().Add(grace)
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		select {
		case code := <-done:
			return code
		case <-signals:
			name, _ := p.current()
			fmt.Fprintf(stderr, "train: interrupted again while %s; exiting at once\n", name)
			return exitInterrupted
		case now := <-tick.C:
			name, training := p.current()
			if training || now.Before(deadline) {
				continue
			}
			select {
			case code := <-done: // it was just finishing
				return code
			default:
			}
			fmt.Fprintf(stderr, "train: interrupted while %s; exiting without waiting for it to finish\n", name)
			return exitInterrupted
		}
	}
}
