package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/gokeras/fashion/tensor"
	"github.com/gokeras/fashion/tfmodel"
)

// prepared is a probe's session, built and ready to time.
type prepared struct {
	run   func() error
	close func()
}

// probeRounds is how many timed rounds probeStep takes, after one untimed.
const probeRounds = 20

// probeStep times the parts of a training step of the benchmark's model
// round by round, so that the machine's load drifting during the
// measurement hits them all alike and their ratios hold even when their
// absolute times do not: the kernel floor (k steps unrolled, one run), the
// same graph one step per run (k runs), the convolutions alone (k steps,
// one run; models with Conv2D) and tfmodel's own training of the same
// model, an epoch of k steps in Fit. Fit drives the rounds: its epoch-end
// callback runs the other parts, and the epoch is timed from the
// callback's return to its next call.
func probeStep(ctx context.Context, cfg config, opts *tf.SessionOptions, p *probe) error {
	const batchSize = 32
	k := cfg.ProbeSteps
	// Each part builds the model afresh: layers are built into one graph.
	build := func(probe func(*tfmodel.Sequential) (*prepared, error)) (*prepared, error) {
		m, err := newModel(cfg.Model)
		if err != nil {
			return nil, err
		}
		return probe(m)
	}
	type part struct {
		name string
		out  *[]float64
		run  func() error
		per  int // runs' worth of work in one call of run
	}
	var parts []part
	floor, err := build(func(m *tfmodel.Sequential) (*prepared, error) { return probeStepFloor(opts, m, k) })
	if err != nil {
		return wrapProbe("step floor", err)
	}
	defer floor.close()
	parts = append(parts, part{"step floor", &p.FloorRunSeconds, floor.run, 1})
	one, err := build(func(m *tfmodel.Sequential) (*prepared, error) { return probeStepFloor(opts, m, 1) })
	if err != nil {
		return wrapProbe("one-step run", err)
	}
	defer one.close()
	parts = append(parts, part{"one-step run", &p.OneStepRunSeconds, func() error {
		for range k {
			if err := one.run(); err != nil {
				return err
			}
		}
		return nil
	}, k})
	conv, err := build(func(m *tfmodel.Sequential) (*prepared, error) { return probeConvKernels(opts, m, k) })
	if err != nil {
		return wrapProbe("convolutions", err)
	}
	if conv != nil {
		defer conv.close()
		parts = append(parts, part{"convolutions", &p.ConvRunSeconds, conv.run, 1})
	}

	m, err := newModel(cfg.Model)
	if err != nil {
		return err
	}
	copts := tfmodel.DefaultCompileOptions()
	copts.Seed = 1
	copts.Threads = tfmodel.Threads{IntraOp: cfg.IntraOp, InterOp: cfg.InterOp}
	if err := m.Compile(copts); err != nil {
		return wrapProbe("Fit", err)
	}
	defer m.Close()
	// k batches of random images: one epoch is k steps.
	rng := rand.New(rand.NewPCG(1, 2))
	n := k * batchSize
	x := tensor.Float32{Shape: append([]int{n}, m.InputShape()...)}
	for range n * tensorSize(m.InputShape()) {
		x.Data = append(x.Data, rng.Float32())
	}
	labels := make([]uint8, n)
	for i := range labels {
		labels[i] = uint8(rng.IntN(m.Classes()))
	}
	fit := tfmodel.DefaultFitOptions()
	fit.Epochs, fit.BatchSize, fit.Seed = probeRounds+1, batchSize, 1
	var mark time.Time
	fit.Callbacks = []tfmodel.Callback{tfmodel.CallbackFunc(func(_ *tfmodel.Sequential, epoch int, _ tfmodel.Logs) (tfmodel.Action, error) {
		end := time.Now()
		// The first epoch uploads the data and the first round warms the
		// sessions up: neither is timed.
		timed := epoch > 0
		if timed {
			p.FitEpochSeconds = append(p.FitEpochSeconds, end.Sub(mark).Seconds())
		}
		for _, pt := range parts {
			t := time.Now()
			if err := pt.run(); err != nil {
				return tfmodel.Stop, wrapProbe(pt.name, err)
			}
			if timed {
				*pt.out = append(*pt.out, time.Since(t).Seconds()/float64(pt.per))
			}
		}
		mark = time.Now()
		return tfmodel.Continue, nil
	})}
	if _, err := m.Fit(ctx, x, tensor.Labels(labels), fit); err != nil {
		return wrapProbe("Fit", err)
	}
	return nil
}

func wrapProbe(name string, err error) error { return fmt.Errorf("%s: %w", name, err) }

// tensorSize is the number of values in a tensor of the shape.
func tensorSize(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
