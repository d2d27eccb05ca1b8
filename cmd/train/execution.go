package main

import (
	"fmt"

	"github.com/gokeras/fashion/internal/onednn"
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

// describeInference is the line train prints after describe: where
// evaluation and prediction (and so the validation logs) run, and whether
// their bits are Keras's. oneDNN is whether TensorFlow's oneDNN kernels are
// on in this process.
func describeInference(o tfmodel.CompileOptions, oneDNN bool) string {
	if !o.Threads.Inference.Own() {
		return "Evaluation and prediction: in the training session, as Keras (exact)"
	}
	bits := "Keras's bits with oneDNN on"
	if !oneDNN {
		bits = "oneDNN off: last bits differ from Keras's, within 1e-6; -exact-inference for Keras's"
	}
	return fmt.Sprintf("Evaluation and prediction: in a session of their own, one-thread kernels (%s)", bits)
}

// inferenceLine is describeInference for this process.
func inferenceLine(o tfmodel.CompileOptions) string { return describeInference(o, onednn.Enabled()) }
