package savedmodel

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"unsafe"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/gokeras/fashion/internal/tfrelease"
	"github.com/gokeras/fashion/tensor"
)

// Predict runs the DefaultSignature, which must take one float32 input and
// give one float32 output, of any shapes, on x, and returns the output.
// x's shape must fit the declared input shape (-1 dimensions take any
// size, usually the batch); an error names both shapes, and wraps
// tensor.ErrShape. For other signatures, use Run. After Close it returns
// ErrClosed.
func (m *Model) Predict(x tensor.Float32) (tensor.Float32, error) {
	fail := func(err error) (tensor.Float32, error) {
		return tensor.Float32{}, fmt.Errorf("savedmodel: predict with %s: %w", m.dir, err)
	}
	in, out, err := m.predictSignature()
	if err != nil {
		return fail(err)
	}
	if err := x.Validate(); err != nil {
		return fail(fmt.Errorf("input %q: %w", in.Name, err))
	}
	shape := make([]int64, len(x.Shape))
	for i, d := range x.Shape {
		shape[i] = int64(d)
	}
	if !in.Fits(shape) {
		return fail(fmt.Errorf("%w: input %q has shape %v, the %q signature takes %s",
			tensor.ErrShape, in.Name, x.Shape, DefaultSignature, in.ShapeString()))
	}
	// ReadTensor copies the values into memory TensorFlow allocates, so no
	// Go pointer reaches C.
	t, err := tf.ReadTensor(tf.Float, shape, bytes.NewReader(floatBytes(x.Data)))
	if err != nil {
		return fail(fmt.Errorf("input %q: %w", in.Name, err))
	}
	res, err := m.run(map[tf.Output]*tf.Tensor{m.feeds[DefaultSignature][in.Name]: t},
		[]tf.Output{m.fetch[DefaultSignature][out.Name]})
	// The tensors' C memory goes back now, not when the garbage collector
	// gets to their finalizers: a server calling Predict in a loop would
	// otherwise hold many calls' worth of it.
	tfrelease.Release(t)
	if err == nil {
		defer tfrelease.Release(res...)
	}
	if errors.Is(err, ErrClosed) {
		return tensor.Float32{}, err
	}
	if err != nil {
		return fail(err)
	}
	y, err := float32s(res[0])
	if err != nil {
		return fail(fmt.Errorf("output %q: %w", out.Name, err))
	}
	if !out.Fits(res[0].Shape()) {
		return fail(fmt.Errorf("%w: output %q has shape %v, the %q signature declares %s",
			tensor.ErrShape, out.Name, y.Shape, DefaultSignature, out.ShapeString()))
	}
	return y, nil
}

// predictSignature returns the input and output of the DefaultSignature
// after checking Predict can run it.
func (m *Model) predictSignature() (in, out TensorSpec, err error) {
	sig, ok := m.specs[DefaultSignature]
	if !ok {
		if _, declared := m.meta.GetSignatureDef()[DefaultSignature]; declared {
			return in, out, fmt.Errorf("the %q signature has sparse or composite tensors, Predict takes dense ones", DefaultSignature)
		}
		return in, out, fmt.Errorf("no %q signature (it has %v); use Run", DefaultSignature, sortedKeys(m.meta.GetSignatureDef()))
	}
	if n := len(sig.Inputs); n != 1 {
		return in, out, fmt.Errorf("the %q signature has %d inputs %v, Predict takes 1; use Run", DefaultSignature, n, specNames(sig.Inputs))
	}
	if n := len(sig.Outputs); n != 1 {
		return in, out, fmt.Errorf("the %q signature has %d outputs %v, Predict takes 1; use Run", DefaultSignature, n, specNames(sig.Outputs))
	}
	in, out = sig.Inputs[0], sig.Outputs[0]
	for _, t := range []struct {
		side string
		spec TensorSpec
	}{{"input", in}, {"output", out}} {
		if t.spec.DType != tf.Float {
			return in, out, fmt.Errorf("the %q signature's %s %q is %s, Predict takes DT_FLOAT; use Run",
				DefaultSignature, t.side, t.spec.Name, dtypeName(t.spec.DType))
		}
	}
	return in, out, nil
}

// float32s copies a float32 tf.Tensor into a tensor.Float32, so the result
// does not keep the tf.Tensor alive: its C memory is the bindings' to free,
// by finalizer, once it is garbage.
func float32s(t *tf.Tensor) (tensor.Float32, error) {
	if t.DataType() != tf.Float {
		return tensor.Float32{}, fmt.Errorf("is %s, want DT_FLOAT", dtypeName(t.DataType()))
	}
	shape := make([]int, len(t.Shape()))
	n := 1
	for i, d := range t.Shape() {
		shape[i] = int(d)
		n *= int(d)
	}
	data := make([]float32, n)
	w := &sink{buf: floatBytes(data)}
	if _, err := t.WriteContentsTo(w); err != nil {
		return tensor.Float32{}, err
	}
	if w.n != len(w.buf) {
		return tensor.Float32{}, fmt.Errorf("holds %d bytes, want %d for shape %v", w.n, len(w.buf), shape)
	}
	return tensor.Float32{Shape: shape, Data: data}, nil
}

// floatBytes is the memory of v as bytes, in the machine's byte order,
// which is TensorFlow's too.
func floatBytes(v []float32) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), 4*len(v))
}

// sink is an io.Writer that fills buf, so a tensor's contents are copied
// once, straight into the slice they are returned in.
type sink struct {
	buf []byte
	n   int
}

var errOverflow = errors.New("more bytes than its shape holds")

func (s *sink) Write(p []byte) (int, error) {
	if len(p) > len(s.buf)-s.n {
		return 0, errOverflow
	}
	s.n += copy(s.buf[s.n:], p)
	return len(p), nil
}

var _ io.Writer = (*sink)(nil)
