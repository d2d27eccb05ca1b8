package main

import (
	"fmt"

	"github.com/gokeras/fashion/tfmodel"
)

// execution is how Fit runs the steps: -steps-per-execution steps per
// session run, compiled with XLA or not (-jit-compile). Keras's defaults,
// one step per run without XLA, are the exact mode: the tutorial's
// bit-exact test against Keras holds in it.
type execution struct {
	steps int
	jit   bool
}

// apply sets the options' execution to e.
func (e execution) apply(o *tfmodel.CompileOptions) {
	o.StepsPerExecution, o.JITCompile = e.steps, e.jit
}

// describe is the line train prints before training, so that a log says
// which arithmetic produced the model.
func describe(o tfmodel.CompileOptions) string {
	steps := max(o.StepsPerExecution, 1)
	per := "one step per session run"
	if steps > 1 {
		per = fmt.Sprintf("%d steps per session run (a graph loop)", steps)
	}
	if o.JITCompile {
		return fmt.Sprintf("Execution: %s, compiled with XLA (jit_compile=True: sums in XLA's order, last bits differ from Keras's)", per)
	}
	return fmt.Sprintf("Execution: %s, TensorFlow's kernels in Keras's order (exact)", per)
}
