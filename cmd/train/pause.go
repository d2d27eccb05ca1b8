package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/gokeras/fashion/tfmodel"
)

// pauseAtVar names a hidden setting for tests: "EPOCH:STEP" (both counted
// from 1) makes training stop after that step, say so on stderr, and wait
// there until it is interrupted. A test that must signal training in the
// middle of an epoch waits for that line instead of guessing with a timer,
// so it holds on a slow machine and a fast one alike.
//
// "load" pauses before the data set is read, and for good: it stands for a
// read that does not watch for signals (a hung network file system), which
// main must end by itself (see interrupt.go).
const pauseAtVar = "TRAIN_TEST_PAUSE_AT"

// stopDelayVar names a second hidden setting: a duration the paused step
// takes to end once interrupted, as if the disk the checkpoint goes to
// were that slow, to show that main lets training finish saving.
const stopDelayVar = "TRAIN_TEST_STOP_DELAY"

// pausePoint is a step to pause after.
type pausePoint struct {
	epoch, step int // from 1; 0 with atLoad
	atLoad      bool
	chunk       int // steps per execution: Fit reports every chunk-th step
	stopDelay   time.Duration
	ctx         context.Context
	stderr      io.Writer
}

// pauseFromEnv returns the pause the environment asks for, or nil.
func pauseFromEnv(ctx context.Context, stderr io.Writer) (*pausePoint, error) {
	v, set := os.LookupEnv(pauseAtVar)
	if !set {
		return nil, nil
	}
	p := &pausePoint{ctx: ctx, stderr: stderr, atLoad: v == "load", chunk: 1}
	if !p.atLoad {
		if _, err := fmt.Sscanf(v, "%d:%d", &p.epoch, &p.step); err != nil || p.epoch < 1 || p.step < 1 {
			return nil, fmt.Errorf("%s=%q: want EPOCH:STEP, both from 1, or \"load\"", pauseAtVar, v)
		}
	}
	if d, set := os.LookupEnv(stopDelayVar); set {
		var err error
		if p.stopDelay, err = time.ParseDuration(d); err != nil {
			return nil, fmt.Errorf("%s=%q: %w", stopDelayVar, d, err)
		}
	}
	return p, nil
}

// beforeLoad pauses for good if asked to pause at "load".
func (p *pausePoint) beforeLoad() {
	if p == nil || !p.atLoad {
		return
	}
	fmt.Fprintf(p.stderr, "train: paused before loading the data (%s)\n", pauseAtVar)
	select {} // deaf to the context on purpose: see pauseAtVar
}

// EpochEnd does nothing: the pause is per step.
func (p *pausePoint) EpochEnd(*tfmodel.Sequential, int, tfmodel.Logs) (tfmodel.Action, error) {
	return tfmodel.Continue, nil
}

// BatchEnd waits at the chosen step, or with -steps-per-execution at the
// end of the chunk of steps that holds it (Fit reports each chunk's last
// step; chunks end on the multiples of their size, also in a resumed run),
// until the context is done. It returns nil then, so Fit sees the
// cancellation as it would between two steps.
func (p *pausePoint) BatchEnd(_ *tfmodel.Sequential, epoch, step int, _ tfmodel.Logs) error {
	if epoch+1 != p.epoch || step < p.step || step-p.chunk >= p.step {
		return nil
	}
	fmt.Fprintf(p.stderr, "train: paused at epoch %d, step %d (%s)\n", epoch+1, step, pauseAtVar)
	<-p.ctx.Done()
	time.Sleep(p.stopDelay) // a slow disk, simulated: see stopDelayVar
	return nil
}
