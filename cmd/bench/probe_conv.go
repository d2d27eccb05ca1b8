package main

import (
	"fmt"
	"strings"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/gokeras/fashion/graph"
	"github.com/gokeras/fashion/tfmodel"
)

// probeConvKernels times the convolutions of a training step alone, to
// show how much of the kernel floor they are: for every Conv2D layer of the
// model, at batch 32, the forward Conv2D, the filter gradient
// (Conv2DBackpropFilter) and, but for the first layer with weights, the
// input gradient (Conv2DBackpropInput), the kernels TensorFlow's gradient
// graph runs for it (rewritten to oneDNN's where that is on). k steps are
// unrolled into one graph, each step's reads ordered after the previous
// step's convolutions, run by one Session.Run, as for the kernel floor.
// It returns nil for a model without Conv2D.
func probeConvKernels(opts *tf.SessionOptions, m *tfmodel.Sequential, k int) (*prepared, error) {
	const batchSize = 32
	s := op.NewScope()
	var inits []*tf.Operation
	random := func(name string, shape []int64) *graph.Variable {
		init := s.SubScope(name + "_init")
		v, err := graph.NewVariable(s, name, tf.Float, shape,
			op.RandomUniform(init, op.Const(init.SubScope("shape"), shape), tf.Float))
		if err != nil {
			s.UpdateErr(name, err)
			return &graph.Variable{}
		}
		inits = append(inits, v.Init)
		return v
	}
	// One convolution's operands: the image batch x, the kernel and the
	// output's gradient dy.
	type conv struct {
		x, kernel, dy *graph.Variable
		sinks         [3]*graph.Variable // where the three results go
		inputGrad     bool
		strides       []int64
		padding       string
	}
	var convs []conv
	in, first := m.InputShape(), true
	for _, l := range m.Layers() {
		out, err := l.OutputShape(in)
		if err != nil {
			return nil, err
		}
		if c, ok := l.(*graph.Conv2D); ok {
			if c.DilationRate != [2]int{1, 1} {
				return nil, fmt.Errorf("layer %s: dilated Conv2D is three kernels (SpaceToBatchND, Conv2D, BatchToSpaceND) that this probe does not build", c.Name())
			}
			name := c.Name()
			x := []int64{batchSize, int64(in[0]), int64(in[1]), int64(in[2])}
			kernel := []int64{int64(c.KernelSize[0]), int64(c.KernelSize[1]), int64(in[2]), int64(c.Filters)}
			dy := []int64{batchSize, int64(out[0]), int64(out[1]), int64(out[2])}
			convs = append(convs, conv{
				x:         random(name+"/x", x),
				kernel:    random(name+"/kernel", kernel),
				dy:        random(name+"/dy", dy),
				sinks:     [3]*graph.Variable{random(name+"/y", dy), random(name+"/dkernel", kernel), random(name+"/dx", x)},
				inputGrad: !first,
				strides:   []int64{1, int64(c.Strides[0]), int64(c.Strides[1]), 1},
				padding:   strings.ToUpper(c.Padding),
			})
		}
		if l.Params(in) > 0 {
			first = false
		}
		in = out
	}
	if len(convs) == 0 {
		return nil, nil
	}
	if err := s.Err(); err != nil {
		return nil, err
	}
	var prev []*tf.Operation
	for step := range k {
		ss := s.SubScope(fmt.Sprintf("step%d", step))
		// Fresh reads per step, after the previous step: no two steps'
		// convolutions have the same inputs, so none is merged away.
		after := ss.WithControlDependencies(prev...)
		read := func(v *graph.Variable) tf.Output {
			return op.ReadVariableOp(after.SubScope("read"), v.Handle, v.DType)
		}
		// Each result is stored into a variable: Grappler turns a
		// computation whose outputs nothing uses into a NoOp, and an
		// assignment hands the result's buffer over without copying it.
		var done []*tf.Operation
		keep := func(sink *graph.Variable, y tf.Output) {
			done = append(done, op.AssignVariableOp(ss.SubScope("keep"), sink.Handle, y))
		}
		for _, c := range convs {
			x, kernel, dy := read(c.x), read(c.kernel), read(c.dy)
			keep(c.sinks[0], op.Conv2D(ss.SubScope("conv"), x, kernel, c.strides, c.padding))
			keep(c.sinks[1], op.Conv2DBackpropFilter(ss.SubScope("filter_grad"), x, op.Shape(ss.SubScope("filter_sizes"), kernel, op.ShapeOutType(tf.Int32)), dy, c.strides, c.padding))
			if c.inputGrad {
				keep(c.sinks[2], op.Conv2DBackpropInput(ss.SubScope("input_grad"), op.Shape(ss.SubScope("input_sizes"), x, op.ShapeOutType(tf.Int32)), kernel, dy, c.strides, c.padding))
			}
		}
		prev = []*tf.Operation{op.NoOp(ss.WithControlDependencies(done...).SubScope("done"))}
	}
	sess, err := newSession(s, opts, inits)
	if err != nil {
		return nil, err
	}
	return &prepared{close: func() { sess.Close() }, run: func() error {
		_, err := sess.Run(nil, nil, prev)
		return err
	}}, nil
}
