package main

import (
	"context"
	"fmt"
	"os/exec"
)

// A training child of any side (Go, Go XLA, Keras, a peer) ends the same
// way: the parent runs it, reads the result it wrote, and adds to that
// result what only the parent can measure of the child.

// measuredResult is a pointer to a training child's result: a trainResult,
// or a result embedding one (peerRun), so that the child's peak RSS and wall
// time can be set on it.
type measuredResult[R any] interface {
	*R
	setChildRun(childRun)
}

// setChildRun records the parent's view of the child that wrote t.
func (t *trainResult) setChildRun(run childRun) {
	t.ChildMaxRSSKB, t.ChildSeconds = run.maxRSSKB, run.seconds
}

// runTrainingChild runs cmd, a training child writing its result to out,
// and returns that result as read reads (and checks) it, with the child's
// peak RSS and wall time. name names the child in errors.
func runTrainingChild[R any, P measuredResult[R]](ctx context.Context, r *runner, name string, cmd *exec.Cmd, out string, read func(path string) (R, error)) (R, error) {
	run, err := r.run(ctx, name, cmd)
	if err != nil {
		var none R
		return none, err // run's error already names the child
	}
	res, err := read(out)
	if err != nil {
		return res, fmt.Errorf("%s: %w", name, err)
	}
	P(&res).setChildRun(run)
	return res, nil
}

// readResult reads a child's result file as an R, for results that need no
// check beyond decoding.
func readResult[R any](path string) (R, error) {
	var res R
	err := readJSON(path, &res)
	return res, err
}
