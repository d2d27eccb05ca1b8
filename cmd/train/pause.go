package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/gokeras/fashion/tfmodel"
)

// pauseAtVar names a hidden setting for tests: "EPOCH:STEP" (both counted
// from 1) makes training stop after that step, say so on stderr, and wait
// there until it is interrupted. A test that must signal training in the
// middle of an epoch waits for that line instead of guessing with a timer,
// so it holds on a slow machine and a fast one alike.
const pauseAtVar = "TRAIN_TEST_PAUSE_AT"

// pausePoint is a step to pause after.
type pausePoint struct {
	epoch, step int // from 1
	ctx         context.Context
	stderr      io.Writer
}

// pauseFromEnv returns the pause the environment asks for, or nil.
func pauseFromEnv(ctx context.Context, stderr io.Writer) (*pausePoint, error) {
	v, set := os.LookupEnv(pauseAtVar)
	if !set {
		return nil, nil
	}
	p := &pausePoint{ctx: ctx, stderr: stderr}
	if _, err := fmt.Sscanf(v, "%d:%d", &p.epoch, &p.step); err != nil || p.epoch < 1 || p.step < 1 {
		return nil, fmt.Errorf("%s=%q: want EPOCH:STEP, both from 1", pauseAtVar, v)
	}
	return p, nil
}

// EpochEnd does nothing: the pause is per step.
func (p *pausePoint) EpochEnd(*tfmodel.Sequential, int, tfmodel.EpochLogs) (tfmodel.Action, error) {
	return tfmodel.Continue, nil
}

// BatchEnd waits at the chosen step until the context is done. It returns
// nil then, so Fit sees the cancellation as it would between two steps.
func (p *pausePoint) BatchEnd(_ *tfmodel.Sequential, epoch, step int, _ tfmodel.EpochLogs) error {
	if epoch+1 != p.epoch || step != p.step {
		return nil
	}
	fmt.Fprintf(p.stderr, "train: paused at epoch %d, step %d (%s)\n", p.epoch, p.step, pauseAtVar)
	<-p.ctx.Done()
	return nil
}
