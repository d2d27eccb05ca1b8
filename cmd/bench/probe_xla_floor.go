package main

import (
	"fmt"
	"math/rand/v2"
	"time"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	fpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/function_go_proto"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/gokeras/fashion/graph"
	"github.com/gokeras/fashion/internal/tffunc"
)

// The XLA floor of a training step of a model made of Dense layers: what
// the step cannot do without, compiled the way the fastest trainers
// compile a whole epoch (Go's -jit-compile loop, JAX's lax.scan, Python
// TF's jit_compile loop), so that it sets a floor under all three.
//
// A While loop of n steps inside one function XLA compiles
// (_XlaMustCompile), each step the model's matrix products at their own
// shapes on a fixed batch — per Dense layer the forward x·W, the weight
// gradient xᵀ·dz and, but for the first layer, the input gradient dz·Wᵀ:
// the FLOPs flops.go counts — then Adam's update of every kernel (its
// moments and the kernel: the memory traffic the step must make). Each
// step reads the kernels the previous one wrote, so XLA can neither hoist
// nor drop a product. Left out, as cheap next to these: the batch gather,
// biases, activations, softmax, the loss and the metrics. Timed twice:
// the products alone (plain gradient descent), then with Adam.

// xlaFloor is the probe's result, seconds per run of Steps steps.
type xlaFloor struct {
	Steps           int       `json:"steps"`
	Batch           int       `json:"batch"`
	Kernels         [][2]int  `json:"kernels"` // (inputs, units) per Dense layer
	MatMulSeconds   []float64 `json:"matmul_run_seconds"`
	WithAdamSeconds []float64 `json:"with_adam_run_seconds"`
}

// stepSeconds are the two floors per step: the products, and the
// products with Adam's update.
func (f *xlaFloor) stepSeconds() (matmuls, withAdam float64) {
	n := float64(f.Steps)
	return median(f.MatMulSeconds) / n, median(f.WithAdamSeconds) / n
}

// denseKernels are the (inputs, units) of the model's Dense layers, or an
// error when another layer has weights (the probe knows only Dense).
func denseKernels(in []int, layers []graph.Layer) ([][2]int, error) {
	var kernels [][2]int
	for i, l := range layers {
		out, err := l.OutputShape(in)
		if err != nil {
			return nil, fmt.Errorf("layer %d (%s): %w", i+1, l.Name(), err)
		}
		if d, ok := l.(*graph.Dense); ok {
			kernels = append(kernels, [2]int{in[0], d.Units})
		} else if l.Params(in) > 0 {
			return nil, fmt.Errorf("layer %d (%s) has weights and is not Dense", i+1, l.Name())
		}
		in = out
	}
	if len(kernels) == 0 {
		return nil, fmt.Errorf("no Dense layer")
	}
	return kernels, nil
}

// probeXLAFloor times the floor for kernels at batch, steps steps per
// run: a compiling run, then rounds alternating the two variants, at
// least 5 rounds and 2 seconds, at most 30.
func probeXLAFloor(opts *tf.SessionOptions, kernels [][2]int, batch, steps int) (*xlaFloor, error) {
	f := &xlaFloor{Steps: steps, Batch: batch, Kernels: kernels}
	var runs [2]func() error
	for i, adam := range []bool{false, true} {
		run, closeFn, err := xlaFloorSession(opts, kernels, batch, steps, adam)
		if err != nil {
			return nil, fmt.Errorf("xla floor (adam %v): %w", adam, err)
		}
		defer closeFn()
		if err := run(); err != nil { // XLA compiles here
			return nil, fmt.Errorf("xla floor (adam %v): %w", adam, err)
		}
		runs[i] = run
	}
	start := time.Now()
	for round := 0; round < 30 && (round < 5 || time.Since(start) < 2*time.Second); round++ {
		for i, into := range []*[]float64{&f.MatMulSeconds, &f.WithAdamSeconds} {
			t := time.Now()
			if err := runs[i](); err != nil {
				return nil, err
			}
			*into = append(*into, time.Since(t).Seconds())
		}
	}
	return f, nil
}

// xlaFloorSession builds the compiled loop in a graph of its own and
// returns a call that runs it once (steps steps) and the session's Close.
func xlaFloorSession(opts *tf.SessionOptions, kernels [][2]int, batch, steps int, adam bool) (run func() error, closeFn func(), err error) {
	// The loop's state: step i, then x, then per kernel W (and with Adam
	// its moments m and v).
	perKernel := 1
	if adam {
		perKernel = 3
	}
	dtypes := []tf.DataType{tf.Int32, tf.Float}
	for range len(kernels) * perKernel {
		dtypes = append(dtypes, tf.Float)
	}
	cond, err := xlaFloorCond(dtypes, steps)
	if err != nil {
		return nil, nil, err
	}
	body, err := xlaFloorBody(dtypes, len(kernels), adam)
	if err != nil {
		return nil, nil, err
	}

	// The session's graph: the loop's initial state as constants, and a
	// compiled function, the loop, called on them; its results are the
	// kernels after the loop.
	s := op.NewScope()
	rng := rand.New(rand.NewPCG(1, 2))
	inputs := []tf.Output{op.Const(s.SubScope("i"), int32(0)), op.Const(s.SubScope("x"), randomMatrix(rng, batch, kernels[0][0], 1))}
	for k, kw := range kernels {
		inputs = append(inputs, op.Const(s.SubScope(fmt.Sprintf("w%d", k)), randomMatrix(rng, kw[0], kw[1], 0.05)))
		if adam {
			zeros := zeroMatrix(kw[0], kw[1])
			inputs = append(inputs, op.Const(s.SubScope(fmt.Sprintf("m%d", k)), zeros), op.Const(s.SubScope(fmt.Sprintf("v%d", k)), zeros))
		}
	}
	g, err := s.Finalize()
	if err != nil {
		return nil, nil, err
	}
	call, err := tffunc.AddCompiled(g, tffunc.Compiled{
		Call: "floor_call", Name: "floor_loop", Inputs: inputs, DTypes: dtypes,
		Body: func(_ *op.Scope, fg *tf.Graph, args []tf.Output) ([]tf.Output, error) {
			loop, err := tffunc.AddWhile(fg, tffunc.While{Name: "while", Inputs: args, Cond: cond, Body: body})
			if err != nil {
				return nil, err
			}
			var kernelsAfter []tf.Output
			for k := range kernels {
				kernelsAfter = append(kernelsAfter, loop.Output(2+k*perKernel))
			}
			return kernelsAfter, nil
		},
		Functions: []*fpb.FunctionDef{cond, body},
	})
	if err != nil {
		return nil, nil, err
	}
	sess, err := tf.NewSession(g, opts)
	if err != nil {
		return nil, nil, err
	}
	// The last kernel is fetched: it is small, and it depends on every
	// product of every step.
	fetch := []tf.Output{call.Output(len(kernels) - 1)}
	run = func() error {
		_, err := sess.Run(nil, fetch, nil)
		return err
	}
	return run, func() { sess.Close() }, nil
}

// xlaFloorCond is the loop's condition: i < steps.
func xlaFloorCond(dtypes []tf.DataType, steps int) (*fpb.FunctionDef, error) {
	s := op.NewScope()
	state := tffunc.Placeholders(s, dtypes)
	less := op.Less(s, state[0], op.Const(s.SubScope("steps"), int32(steps)))
	g, err := s.Finalize()
	if err != nil {
		return nil, err
	}
	return tffunc.Define(g, "floor_cond", tffunc.Signature{Inputs: state, Outputs: []tf.Output{less}})
}

// xlaFloorBody is one step: the products, then the update.
func xlaFloorBody(dtypes []tf.DataType, layers int, adam bool) (*fpb.FunctionDef, error) {
	s := op.NewScope()
	state := tffunc.Placeholders(s, dtypes)
	perKernel := 1
	if adam {
		perKernel = 3
	}
	kernel := func(k int) tf.Output { return state[2+k*perKernel] }

	// Forward: a[k+1] = a[k]·W[k]. The output stands in for its own
	// gradient, so that the backward products depend on the forward ones.
	acts := []tf.Output{state[1]}
	for k := range layers {
		acts = append(acts, op.MatMul(s.SubScope(fmt.Sprintf("forward%d", k)), acts[k], kernel(k)))
	}
	grads := make([]tf.Output, layers)
	dz := acts[layers]
	for k := layers - 1; k >= 0; k-- {
		ks := s.SubScope(fmt.Sprintf("backward%d", k))
		grads[k] = op.MatMul(ks.SubScope("dw"), acts[k], dz, op.MatMulTransposeA(true))
		if k > 0 {
			dz = op.MatMul(ks.SubScope("dx"), dz, kernel(k), op.MatMulTransposeB(true))
		}
	}

	// The update. A learning rate small enough that the kernels, and so
	// the products' magnitudes, stay where they started over any run.
	next := []tf.Output{op.AddV2(s.SubScope("next"), state[0], op.Const(s.SubScope("one"), int32(1))), state[1]}
	c := func(name string, v float32) tf.Output { return op.Const(s.SubScope(name), v) }
	lr := c("lr", 1e-6)
	for k := range layers {
		ks := s.SubScope(fmt.Sprintf("update%d", k))
		w, g := kernel(k), grads[k]
		if !adam {
			next = append(next, op.Sub(ks, w, op.Mul(ks.SubScope("step"), lr, g)))
			continue
		}
		m, v := state[3+k*perKernel], state[4+k*perKernel]
		m = op.AddV2(ks.SubScope("m"), op.Mul(ks.SubScope("m1"), c("b1", 0.9), m), op.Mul(ks.SubScope("m2"), c("nb1", 0.1), g))
		v = op.AddV2(ks.SubScope("v"), op.Mul(ks.SubScope("v1"), c("b2", 0.999), v), op.Mul(ks.SubScope("v2"), c("nb2", 0.001), op.Square(ks, g)))
		step := op.RealDiv(ks.SubScope("ratio"), m, op.AddV2(ks.SubScope("denom"), op.Sqrt(ks, v), c("eps", 1e-7)))
		next = append(next, op.Sub(ks.SubScope("w"), w, op.Mul(ks.SubScope("step"), lr, step)), m, v)
	}
	g, err := s.Finalize()
	if err != nil {
		return nil, err
	}
	return tffunc.Define(g, "floor_body", tffunc.Signature{Inputs: state, Outputs: next})
}

// zeroMatrix is rows×cols zeros.
func zeroMatrix(rows, cols int) [][]float32 {
	m := make([][]float32, rows)
	for r := range m {
		m[r] = make([]float32, cols)
	}
	return m
}

// randomMatrix is rows×cols values uniform in [0, scale).
func randomMatrix(rng *rand.Rand, rows, cols int, scale float32) [][]float32 {
	m := make([][]float32, rows)
	for r := range m {
		m[r] = make([]float32, cols)
		for c := range m[r] {
			m[r][c] = scale * rng.Float32()
		}
	}
	return m
}
