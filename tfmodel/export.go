package tfmodel

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/gokeras/fashion/graph"
	"github.com/gokeras/fashion/savedmodel"
)

// Signature keys and tensor names of the SavedModel that Save writes.
const (
	// ServingDefault takes "images", float32 [-1, 28, 28] scaled to [0, 1]
	// as the tutorial scales them, and gives "probabilities", float32
	// [-1, 10].
	ServingDefault = savedmodel.DefaultSignature
	// ServingPixels takes "pixels", the raw uint8 [-1, 28, 28] images, and
	// scales them in the graph, so a serving client need not know the
	// model's preprocessing. Its "probabilities" equal ServingDefault's bit
	// for bit: float32(p)/255 in float32 equals the tutorial's
	// float32(p/255.0) for every byte p.
	ServingPixels = "serving_uint8"
)

// Save writes the model as a SavedModel directory at dir: an inference graph
// (no training ops) whose variables carry Keras's names, with the weights
// written by TensorFlow's SaveV2 kernel and the signatures ServingDefault and
// ServingPixels. Python's tf.saved_model.load, Keras 3's TFSMLayer,
// saved_model_cli, the TFLite converter, TensorFlow Serving and Go's
// savedmodel.Load all read it. The write is atomic: an existing model at
// dir is replaced only by a complete new one. Weights that are NaN or
// infinite are refused (ErrNotFinite) unless opts say AllowNonFinite.
func (m *Sequential) Save(dir string, opts ...SaveOption) error {
	if err := m.ready(); err != nil {
		return err
	}
	if !saveConfigOf(opts).allowNonFinite {
		if err := m.checkFinite(m.net.weights); err != nil {
			return fmt.Errorf("tfmodel: save %s: %w", dir, err)
		}
	}
	g := tf.NewGraph()
	s := op.NewScopeWithGraph(g)
	var (
		exportVars []savedmodel.Variable
		layers     []*graph.Dense
	)
	variable := func(w *graph.Variable) (*graph.Variable, error) {
		v, err := savedmodel.NewVariable(g, w.Name, w.DType, tf.MakeShape(w.Shape...))
		if err != nil {
			return nil, err
		}
		exportVars = append(exportVars, v)
		value := op.ReadVariableOp(s.SubScope(w.Name+"_read"), v.Handle, w.DType)
		return &graph.Variable{Name: w.Name, DType: w.DType, Shape: w.Shape, Handle: v.Handle, Value: value}, nil
	}
	for _, d := range m.net.dense {
		kernel, err := variable(d.Kernel)
		if err != nil {
			return fmt.Errorf("tfmodel: save %s: %w", dir, err)
		}
		bias, err := variable(d.Bias)
		if err != nil {
			return fmt.Errorf("tfmodel: save %s: %w", dir, err)
		}
		layers = append(layers, &graph.Dense{Name: d.Name, Units: d.Units, Activation: d.Activation, Kernel: kernel, Bias: bias})
	}
	forward := func(s *op.Scope, x tf.Output) tf.Output {
		h := graph.Flatten(s, x, int64(m.features()))
		for _, d := range layers {
			h, _ = d.Call(s, h)
		}
		return h
	}

	shape := []int64{-1}
	for _, d := range m.inputShape {
		shape = append(shape, int64(d))
	}
	// Plain names ("images:0", "probabilities:0") serve users who feed and
	// fetch tensors by name, as TF1 code and tfgo's Model.Op do.
	named := func(typ, name string, in []tf.Input, attrs map[string]any) tf.Output {
		return s.AddOperation(tf.OpSpec{Type: typ, Name: name, Input: in, Attrs: attrs}).Output(0)
	}
	placeholder := func(name string, dtype tf.DataType) tf.Output {
		return named("Placeholder", name, nil, map[string]any{"dtype": dtype, "shape": tf.MakeShape(shape...)})
	}
	images := placeholder("images", tf.Float)
	probs := named("Identity", "probabilities", []tf.Input{forward(s.SubScope("predict"), images)}, nil)
	pixels := placeholder("pixels", tf.Uint8)
	ps := s.SubScope("scale")
	// A placeholder, not a constant: TensorFlow's optimizer turns division
	// by a constant into multiplication by its reciprocal, which is 1 ulp
	// off for half the byte values.
	divisor := op.PlaceholderWithDefault(ps.SubScope("255"), op.Const(ps.SubScope("const"), float32(255)), tf.ScalarShape())
	scaled := op.RealDiv(ps.SubScope("div"), op.Cast(ps.SubScope("cast"), pixels, tf.Float), divisor)
	pixelProbs := named("Identity", "pixel_probabilities", []tf.Input{forward(s.SubScope("predict_pixels"), scaled)}, nil)
	if err := s.Err(); err != nil {
		return fmt.Errorf("tfmodel: save %s: build export graph: %w", dir, err)
	}
	err := savedmodel.Write(dir, savedmodel.Export{
		Graph:     g,
		Variables: exportVars,
		Signatures: []savedmodel.Signature{
			{Key: ServingDefault, Inputs: map[string]tf.Output{"images": images}, Outputs: map[string]tf.Output{"probabilities": probs}},
			{Key: ServingPixels, Inputs: map[string]tf.Output{"pixels": pixels}, Outputs: map[string]tf.Output{"probabilities": pixelProbs}},
		},
		WriteVariables: func(prefix string) error { return m.runSaver(prefix, m.net.weightsSaver) },
	})
	if err != nil {
		return fmt.Errorf("tfmodel: %w", err)
	}
	return nil
}
