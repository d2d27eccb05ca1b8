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
	// ServingDefault takes the model's input, float32 [-1, input...], and
	// gives its output (see SignatureKeys for the names): for the tutorial
	// "images" [-1, 28, 28] scaled to [0, 1] and "probabilities" [-1, 10].
	ServingDefault = savedmodel.DefaultSignature
	// ServingPixels, written for models of images, takes "pixels", the raw
	// uint8 images, and scales them in the graph, so a serving client need
	// not know the model's preprocessing. Its output equals
	// ServingDefault's bit for bit: float32(p)/255 in float32 equals the
	// tutorial's float32(p/255.0) for every byte p.
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
	var exportVars []savedmodel.Variable
	// The layers are built again in the export graph, in inference form,
	// with variables that are only ever restored from the weights.
	b := &graph.Builder{Root: s, Inference: true, Variable: func(name string, dtype tf.DataType, shape []int64) (*graph.Variable, error) {
		v, err := savedmodel.NewVariable(g, name, dtype, tf.MakeShape(shape...))
		if err != nil {
			return nil, err
		}
		exportVars = append(exportVars, v)
		value := op.ReadVariableOp(s.SubScope(name+"_read"), v.Handle, dtype)
		return &graph.Variable{Name: name, DType: dtype, Shape: shape, Handle: v.Handle, Value: value}, nil
	}}
	var layers []graph.Built
	in := m.inputShape
	for i, l := range m.layers {
		built, err := l.Build(b, in)
		if err != nil {
			return fmt.Errorf("tfmodel: save %s: %w", dir, err)
		}
		layers = append(layers, built)
		in = m.shapes[i]
	}
	forward := func(s *op.Scope, x tf.Output) tf.Output {
		return forwardPass(s, layers, x, false).Out
	}
	inputKey, outputKey := m.SignatureKeys()

	shape := batchDims(m.inputShape)
	// Plain names ("images:0", "probabilities:0") serve users who feed and
	// fetch tensors by name, as TF1 code and tfgo's Model.Op do.
	named := func(typ, name string, in []tf.Input, attrs map[string]any) tf.Output {
		return s.AddOperation(tf.OpSpec{Type: typ, Name: name, Input: in, Attrs: attrs}).Output(0)
	}
	placeholder := func(name string, dtype tf.DataType) tf.Output {
		return named("Placeholder", name, nil, map[string]any{"dtype": dtype, "shape": tf.MakeShape(shape...)})
	}
	images := placeholder(inputKey, tf.Float)
	probs := named("Identity", outputKey, []tf.Input{forward(s.SubScope("predict"), images)}, nil)
	signatures := []savedmodel.Signature{
		{Key: ServingDefault, Inputs: map[string]tf.Output{inputKey: images}, Outputs: map[string]tf.Output{outputKey: probs}},
	}
	if inputKey == "images" {
		pixels, pixelProbs := m.pixelSignature(s, placeholder, named, forward)
		signatures = append(signatures, savedmodel.Signature{Key: ServingPixels, Inputs: map[string]tf.Output{"pixels": pixels}, Outputs: map[string]tf.Output{outputKey: pixelProbs}})
	}
	if err := s.Err(); err != nil {
		return fmt.Errorf("tfmodel: save %s: build export graph: %w", dir, err)
	}
	err := savedmodel.Write(dir, savedmodel.Export{
		Graph:          g,
		Variables:      exportVars,
		Signatures:     signatures,
		WriteVariables: func(prefix string) error { return m.runSaver(prefix, m.net.weightsSaver) },
	})
	if err != nil {
		return fmt.Errorf("tfmodel: %w", err)
	}
	return nil
}

// SignatureKeys are the names of the serving signature's input and output:
// "images" for examples of two or more dimensions (pictures), else
// "inputs"; "probabilities" when the last layer is a softmax or sigmoid,
// else "outputs".
func (m *Sequential) SignatureKeys() (input, output string) {
	input, output = "inputs", "outputs"
	if len(m.inputShape) >= 2 {
		input = "images"
	}
	if d, ok := m.layers[len(m.layers)-1].(*graph.Dense); ok && (d.Activation == graph.Softmax || d.Activation == graph.Sigmoid) {
		output = "probabilities"
	}
	return input, output
}

// pixelSignature adds the ServingPixels path: raw uint8 pixels scaled in
// the graph.
func (m *Sequential) pixelSignature(s *op.Scope, placeholder func(string, tf.DataType) tf.Output, named func(typ, name string, in []tf.Input, attrs map[string]any) tf.Output, forward func(*op.Scope, tf.Output) tf.Output) (pixels, probs tf.Output) {
	pixels = placeholder("pixels", tf.Uint8)
	ps := s.SubScope("scale")
	scaled := decodeBytes(ps, pixels, byteDivisor(ps.SubScope("divisor")))
	return pixels, named("Identity", "pixel_probabilities", []tf.Input{forward(s.SubScope("predict_pixels"), scaled)}, nil)
}
