package main

import (
	"bytes"
	"context"
	"fmt"
	"time"
	"unsafe"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/gokeras/fashion/graph"
	"github.com/gokeras/fashion/tfmodel"
)

// The probes measure, through the TensorFlow runtime the model trains on and
// with the benchmark's thread settings, what a training step is made of:
//
//   - the machine's MatMul peak: a large square float32 MatMul on
//     variables, repeated, so the achieved training GFLOP/s can be set
//     against what the same kernels reach at their best;
//   - the per-call cost: one Session.Run of a graph with the training step's
//     interface (32 int32 indices fed, two float scalars fetched) that
//     computes nothing of note: Go, cgo, the C API and the executor's set-up
//     and tear-down, paid once per step;
//   - the kernel floor: the training step of the benchmark's model rebuilt
//     op for op as tfmodel builds it (gather, the model's layers built by
//     their own Build and run by graph.Forward, sparse softmax
//     cross-entropy, C++ gradients, ResourceApplyAdam, the running loss and
//     accuracy, Dropout's seed-generator updates), unrolled probeSteps
//     times into one graph with each step's variable reads ordered after
//     the previous step's updates, and run as one Session.Run: the per-call
//     cost is paid once for all the steps, so time per step is the kernels
//     plus the executor's per-op scheduling. The same graph with one step
//     per run is also timed;
//   - for a model with convolutions, their kernels alone, unrolled the same
//     way (probe_conv.go): how much of the floor they are;
//   - for a model of Dense layers, the floor under the XLA-compiled
//     epochs (Go's, JAX's, Python TF's): the step's matrix products and
//     Adam's update alone, compiled in a loop (probe_xla_floor.go).

func childGoProbe(ctx context.Context, cfg config) (*probe, error) {
	opts, err := sessionOptions(cfg)
	if err != nil {
		return nil, err
	}
	p := &probe{MatMulN: cfg.MatMulN, FloorSteps: cfg.ProbeSteps}
	if p.MatMulSeconds, err = probeMatMul(opts, cfg.MatMulN); err != nil {
		return nil, fmt.Errorf("matmul: %w", err)
	}
	if p.TrivialRunSeconds, err = probeTrivialRun(opts, 5*cfg.LatencyN); err != nil {
		return nil, fmt.Errorf("trivial run: %w", err)
	}
	caller, err := callerThreadOptions(cfg)
	if err != nil {
		return nil, err
	}
	if p.TrivialCallerRunSeconds, err = probeTrivialRun(caller, 5*cfg.LatencyN); err != nil {
		return nil, fmt.Errorf("trivial run in the caller's thread: %w", err)
	}
	if err := probeStep(ctx, cfg, opts, p); err != nil {
		return nil, err
	}
	m, err := newModel(cfg.Model)
	if err != nil {
		return nil, err
	}
	if kernels, err := denseKernels(m.InputShape(), m.Layers()); err == nil {
		// As many steps per run as an epoch of the 60,000 training images
		// has, as the XLA loops run.
		if p.XLAFloor, err = probeXLAFloor(opts, kernels, cfg.BatchSize, 60000/cfg.BatchSize); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func newSession(s *op.Scope, opts *tf.SessionOptions, init []*tf.Operation) (*tf.Session, error) {
	g, err := s.Finalize()
	if err != nil {
		return nil, err
	}
	sess, err := tf.NewSession(g, opts)
	if err != nil {
		return nil, err
	}
	if len(init) > 0 {
		if _, err := sess.Run(nil, nil, init); err != nil {
			sess.Close()
			return nil, err
		}
	}
	return sess, nil
}

// probeMatMul times an n×n by n×n float32 MatMul of two variables, run as a
// target so that no result is copied out: at least 5 runs and 3 seconds
// after two warm-up runs, at most 50 runs.
func probeMatMul(opts *tf.SessionOptions, n int) ([]float64, error) {
	s := op.NewScope()
	shape := op.Const(s.SubScope("shape"), []int64{int64(n), int64(n)})
	a, err := graph.NewVariable(s, "a", tf.Float, []int64{int64(n), int64(n)}, op.RandomUniform(s.SubScope("ra"), shape, tf.Float))
	if err != nil {
		return nil, err
	}
	b, err := graph.NewVariable(s, "b", tf.Float, []int64{int64(n), int64(n)}, op.RandomUniform(s.SubScope("rb"), shape, tf.Float))
	if err != nil {
		return nil, err
	}
	mm := op.MatMul(s.SubScope("matmul"), a.Value, b.Value)
	sess, err := newSession(s, opts, []*tf.Operation{a.Init, b.Init})
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	run := func() error { _, err := sess.Run(nil, nil, []*tf.Operation{mm.Op}); return err }
	for range 2 {
		if err := run(); err != nil {
			return nil, err
		}
	}
	var out []float64
	start := time.Now()
	for len(out) < 50 && (len(out) < 5 || time.Since(start) < 3*time.Second) {
		t := time.Now()
		if err := run(); err != nil {
			return nil, err
		}
		out = append(out, time.Since(t).Seconds())
	}
	return out, nil
}

// probeTrivialRun times n runs of a graph with the training step's feeds
// and fetches and almost nothing in between, driven from Go as tfmodel
// drives a step: a new int32 tensor of 32 indices per run, two scalars read
// back.
func probeTrivialRun(opts *tf.SessionOptions, n int) ([]float64, error) {
	s := op.NewScope()
	batch := op.Placeholder(s.SubScope("batch"), tf.Int32, op.PlaceholderShape(tf.MakeShape(-1)))
	sum := op.Cast(s.SubScope("sum_f"), op.Sum(s.SubScope("sum"), batch, op.Const(s.SubScope("axis"), []int32{0})), tf.Float)
	size := op.Cast(s.SubScope("size_f"), op.Size(s.SubScope("size"), batch), tf.Float)
	sess, err := newSession(s, opts, nil)
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	order := tfmodel.Order(1, 0, 60000, true)
	lo := 0
	return timeCalls(n/10, n, func() error {
		if lo+32 > len(order) {
			lo = 0
		}
		t, err := int32Tensor(order[lo:lo+32], 32)
		lo += 32
		if err != nil {
			return err
		}
		out, err := sess.Run(map[tf.Output]*tf.Tensor{batch: t}, []tf.Output{sum, size}, nil)
		if err != nil {
			return err
		}
		_, _ = out[0].Value().(float32), out[1].Value().(float32)
		return nil
	})
}

func int32Tensor(data []int32, shape ...int64) (*tf.Tensor, error) {
	b := unsafe.Slice((*byte)(unsafe.Pointer(&data[0])), len(data)*4)
	return tf.ReadTensor(tf.Int32, shape, bytes.NewReader(b))
}

// probeStepFloor builds k training steps of the model, batch 32, on 60,000
// random resident examples, unrolled into one graph, in a session whose
// run trains all k at once.
func probeStepFloor(opts *tf.SessionOptions, m *tfmodel.Sequential, k int) (*prepared, error) {
	const n, batchSize = 60000, 32
	layers, example := m.Layers(), m.InputShape()
	dataShape := []int64{n}
	for _, d := range example {
		dataShape = append(dataShape, int64(d))
	}
	classes := m.Classes()

	s := op.NewScope()
	init := s.SubScope("init")
	var inits []*tf.Operation
	variable := func(name string, dtype tf.DataType, shape []int64, initial tf.Output) *graph.Variable {
		v, err := graph.NewVariable(s, name, dtype, shape, initial)
		if err != nil {
			s.UpdateErr("variable", err)
			return &graph.Variable{}
		}
		inits = append(inits, v.Init)
		return v
	}
	images := variable("data/images", tf.Float, dataShape,
		op.RandomUniform(init.SubScope("images"), op.Const(init.SubScope("images_shape"), dataShape), tf.Float))
	labels := variable("data/labels", tf.Int32, []int64{n},
		op.RandomUniformInt(init.SubScope("labels"), op.Const(init.SubScope("labels_shape"), []int64{n}),
			op.Const(init.SubScope("lo"), int32(0)), op.Const(init.SubScope("hi"), int32(classes))))
	// The model's layers, built once for their variables (Keras's initial
	// weights, Dropout's seed generator), then again per step over fresh
	// reads of the weights, so that each step runs the model's own forward
	// pass (graph.Forward).
	var weights []*graph.Variable
	vars := map[string]*graph.Variable{}
	b := &graph.Builder{Root: s, Seed: 1}
	in := example
	for _, l := range layers {
		built, err := l.Build(b, in)
		if err != nil {
			return nil, err
		}
		for _, v := range append(append(built.Weights(), built.NonTrainable()...), built.State()...) {
			inits = append(inits, v.Init)
			vars[v.Name] = v
		}
		weights = append(weights, built.Weights()...)
		if in, err = l.OutputShape(in); err != nil {
			return nil, err
		}
	}
	adam := graph.DefaultAdam()
	state, err := adam.NewState(s, weights)
	if err != nil {
		return nil, err
	}
	for _, v := range state.Variables() {
		inits = append(inits, v.Init)
	}
	lossMean, err := graph.NewMean(s, "loss")
	if err != nil {
		return nil, err
	}
	accMean, err := graph.NewMean(s, "accuracy")
	if err != nil {
		return nil, err
	}
	inits = append(inits, lossMean.Reset, accMean.Reset)
	if err := s.Err(); err != nil {
		return nil, err
	}

	accuracy, err := graph.GetMetric("accuracy", []int{}, []int{classes})
	if err != nil {
		return nil, err
	}
	isWeight := map[string]bool{}
	for _, w := range weights {
		isWeight[w.Name] = true
	}
	batch := op.Placeholder(s.SubScope("batch"), tf.Int32, op.PlaceholderShape(tf.MakeShape(int64(k*batchSize))))
	var prev []*tf.Operation
	for step := range k {
		ss := s.SubScope(fmt.Sprintf("step%d", step))
		// Everything the step reads waits for the previous step's updates.
		after := ss.WithControlDependencies(prev...)
		idx := op.Slice(after.SubScope("idx"), batch,
			op.Const(ss.SubScope("begin"), []int32{int32(step * batchSize)}), op.Const(ss.SubScope("size"), []int32{batchSize}))
		x := op.ResourceGather(ss.SubScope("x"), images.Handle, idx, tf.Float)
		y := op.ResourceGather(ss.SubScope("y"), labels.Handle, idx, tf.Int32)
		// Weights come in as this step's reads (what the gradients are
		// taken with respect to); other variables, such as Dropout's seed
		// generator, as themselves: their layers read and update them.
		sb := &graph.Builder{Root: s, Variable: func(name string, dtype tf.DataType, shape []int64) (*graph.Variable, error) {
			v, ok := vars[name]
			if !ok {
				return nil, fmt.Errorf("step %d: layer variable %q was not built the first time", step, name)
			}
			if !isWeight[name] {
				return v, nil
			}
			read := op.ReadVariableOp(after.SubScope("read"), v.Handle, v.DType)
			return &graph.Variable{Name: v.Name, DType: v.DType, Shape: v.Shape, Handle: v.Handle, Value: read}, nil
		}}
		var built []graph.Built
		var reads []*graph.Variable
		in := example
		for _, l := range layers {
			bl, err := l.Build(sb, in)
			if err != nil {
				return nil, err
			}
			built = append(built, bl)
			reads = append(reads, bl.Weights()...)
			in, _ = l.OutputShape(in)
		}
		// The forward pass waits too: Dropout reads its seed generator
		// itself, and must read it after the previous step advanced it, as
		// one step per run would.
		out := graph.Forward(after, built, x, true)
		loss := graph.NewSparseCategoricalCrossentropy(false).Compute(ss, y, out)
		grads, err := graph.Gradients(ss, loss.Wrt, loss.Grad, reads)
		if err != nil {
			return nil, err
		}
		apply, err := adam.Apply(after.SubScope("adam"), state, weights, grads)
		if err != nil {
			return nil, err
		}
		// The running loss and accuracy, as tfmodel updates them; the
		// layers' own updates (Dropout's seed generator) run with the step.
		ms := ss.SubScope("metrics")
		count := op.Cast(ms.SubScope("n"), op.Size(ms.SubScope("size"), y), tf.Float)
		correct := op.Sum(ms.SubScope("correct"), accuracy.Values(ms, y, out.Out), op.Const(ms.SubScope("axis"), []int32{0}))
		updates := append([]*tf.Operation{apply,
			lossMean.Update(ms.SubScope("loss"), op.Mul(ms.SubScope("weighted"), loss.Mean, count), count),
			accMean.Update(ms.SubScope("accuracy"), correct, count)}, out.Updates...)
		prev = []*tf.Operation{op.NoOp(ss.WithControlDependencies(updates...).SubScope("done"))}
	}
	rs := s.SubScope("result")
	fetches := []tf.Output{lossMean.Read(rs, prev...), accMean.Read(rs, prev...)}
	sess, err := newSession(s, opts, inits)
	if err != nil {
		return nil, err
	}
	order := tfmodel.Order(1, 0, n, true)
	lo := 0
	return &prepared{close: func() { sess.Close() }, run: func() error {
		if lo+k*batchSize > len(order) {
			lo = 0
		}
		t, err := int32Tensor(order[lo:lo+k*batchSize], int64(k*batchSize))
		lo += k * batchSize
		if err != nil {
			return err
		}
		out, err := sess.Run(map[tf.Output]*tf.Tensor{batch: t}, fetches, nil)
		if err != nil {
			return err
		}
		_, _ = out[0].Value().(float32), out[1].Value().(float32)
		return nil
	}}, nil
}
