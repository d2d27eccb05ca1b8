package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gokeras/fashion/graph"
)

// flops are a model's training FLOPs per example: the multiply-adds of its
// MatMuls and convolutions, two FLOPs each, counted from the layers' shapes.
// Forward, every Dense (in·units) and Conv2D (kh·kw·cin·cout·H_out·W_out);
// backward, the same again for the weight gradients (xᵀ·dz; the filter
// gradient, a convolution of the input with dz) and again for the input
// gradients (dz·Wᵀ; the transposed convolution) of every such layer but
// the first, whose input gradient nothing needs and TensorFlow's gradient
// graph never computes. Bias, activations, pooling, loss, metrics and
// Adam's element-wise work are not counted (a few percent more).
type flops struct {
	Forward, WeightGrads, InputGrads int64
	// The multiply-add terms, as the report writes the sums out: one per
	// layer with weights ("784·128"), and those of the input gradients.
	terms, inputTerms []string
	// Conv is set when some of the FLOPs are convolutions'.
	Conv bool
}

func (f flops) Backward() int64 { return f.WeightGrads + f.InputGrads }
func (f flops) Total() int64    { return f.Forward + f.Backward() }

// formula is the report's account of the count, such as
// "forward 2·(784·128 + 128·10) = 203,264, backward ... = 205,824".
func (f flops) formula() string {
	sum := func(terms []string) string {
		if len(terms) == 1 {
			return "2·" + terms[0]
		}
		return "2·(" + strings.Join(terms, " + ") + ")"
	}
	back := sum(f.terms)
	if len(f.inputTerms) > 0 {
		back += " + " + sum(f.inputTerms)
	}
	return fmt.Sprintf("forward %s = %s, backward (weight gradients, then input gradients) %s = %s",
		sum(f.terms), fmtF(float64(f.Forward), 0), back, fmtF(float64(f.Backward()), 0))
}

// countFLOPs counts the training FLOPs per example of layers taking
// examples of shape in. A layer with weights it cannot count is an error,
// so that a new layer is not silently left out.
func countFLOPs(in []int, layers []graph.Layer) (flops, error) {
	var f flops
	first := true
	for i, l := range layers {
		out, err := l.OutputShape(in)
		if err != nil {
			return f, fmt.Errorf("layer %d (%s): %w", i+1, l.Name(), err)
		}
		macs, term, conv, err := multiplyAdds(l, in, out)
		if err != nil {
			return f, fmt.Errorf("layer %d (%s): %w", i+1, l.Name(), err)
		}
		if macs > 0 {
			f.Forward += 2 * macs
			f.WeightGrads += 2 * macs
			f.terms = append(f.terms, term)
			if !first {
				f.InputGrads += 2 * macs
				f.inputTerms = append(f.inputTerms, term)
			}
			first = false
			f.Conv = f.Conv || conv
		}
		in = out
	}
	if first {
		return f, fmt.Errorf("no layer with weights to count")
	}
	return f, nil
}

// multiplyAdds is one layer's forward multiply-adds per example and how the
// report writes them; 0 for a layer without weights.
func multiplyAdds(l graph.Layer, in, out []int) (macs int64, term string, conv bool, err error) {
	switch l := l.(type) {
	case *graph.Dense:
		return int64(in[0]) * int64(l.Units), dots(in[0], l.Units), false, nil
	case *graph.Conv2D:
		// Every output value is a kh·kw·cin dot product (padding's zeros
		// included, as the kernels compute them).
		f := []int{l.KernelSize[0], l.KernelSize[1], in[2], l.Filters, out[0], out[1]}
		macs := int64(1)
		for _, x := range f {
			macs *= int64(x)
		}
		return macs, dots(f...), true, nil
	}
	if l.Params(in) == 0 {
		return 0, "", false, nil
	}
	return 0, "", false, fmt.Errorf("%s has weights but no FLOP count in cmd/bench (flops.go)", l.ClassName())
}

// dots writes factors as "a·b·c".
func dots(factors ...int) string {
	s := make([]string, len(factors))
	for i, f := range factors {
		s[i] = strconv.Itoa(f)
	}
	return strings.Join(s, "·")
}

// modelFLOPs counts the named tutorial model's training FLOPs per example.
func modelFLOPs(model string) (flops, error) {
	m, err := newModel(model)
	if err != nil {
		return flops{}, err
	}
	f, err := countFLOPs(m.InputShape(), m.Layers())
	if err != nil {
		return f, fmt.Errorf("model %q: %w", model, err)
	}
	return f, nil
}
