package savedmodel_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/gokeras/fashion/savedmodel"
	"github.com/gokeras/fashion/tensor"
)

// softmaxRegression builds, in g, a one-layer Fashion-MNIST classifier:
// softmax(reshape(images, [-1, 784]) · kernel + bias). Both the training
// graph and the export graph are built with it.
func softmaxRegression(g *tf.Graph) (images, probs tf.Output, vars []savedmodel.Variable, err error) {
	kernel, err := savedmodel.NewVariable(g, "dense/kernel", tf.Float, tf.MakeShape(784, 10))
	if err != nil {
		return images, probs, nil, err
	}
	bias, err := savedmodel.NewVariable(g, "dense/bias", tf.Float, tf.MakeShape(10))
	if err != nil {
		return images, probs, nil, err
	}
	s := op.NewScopeWithGraph(g)
	images = op.Placeholder(s.SubScope("images"), tf.Float, op.PlaceholderShape(tf.MakeShape(-1, 28, 28)))
	d := s.SubScope("dense")
	flat := op.Reshape(d, images, op.Const(d, []int64{-1, 784}))
	logits := op.BiasAdd(d, op.MatMul(d, flat, op.ReadVariableOp(d.SubScope("kernel"), kernel.Handle, tf.Float)),
		op.ReadVariableOp(d.SubScope("bias"), bias.Handle, tf.Float))
	probs = op.Softmax(d, logits)
	return images, probs, []savedmodel.Variable{kernel, bias}, s.Err()
}

// Example writes a model from Go and loads it back, the whole cycle:
// NewSaver in the training graph, Write with a separate export graph, Load
// and Predict.
func Example() {
	// Training: a graph and a session holding the weights (here all zeros,
	// so every class gets probability 0.1).
	train := tf.NewGraph()
	_, _, trainVars, err := softmaxRegression(train)
	if err != nil {
		log.Fatal(err)
	}
	s := op.NewScopeWithGraph(train)
	var inits []*tf.Operation
	for i, v := range trainVars {
		dims, _ := v.Shape.ToSlice()
		vs := s.SubScope(fmt.Sprint("init", i))
		inits = append(inits, op.AssignVariableOp(vs, v.Handle, op.Fill(vs, op.Const(vs, dims), op.Const(vs.SubScope("zero"), float32(0)))))
	}
	saver, err := savedmodel.NewSaver(s, trainVars) // once, at graph build time
	if err != nil {
		log.Fatal(err)
	}
	sess, err := tf.NewSession(train, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer sess.Close()
	if _, err := sess.Run(nil, nil, inits); err != nil {
		log.Fatal(err)
	}

	// Export: the same architecture in a graph of its own.
	export := tf.NewGraph()
	images, probs, exportVars, err := softmaxRegression(export)
	if err != nil {
		log.Fatal(err)
	}
	tmp, err := os.MkdirTemp("", "example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "fashion")
	err = savedmodel.Write(dir, savedmodel.Export{
		Graph:     export,
		Variables: exportVars,
		Signatures: []savedmodel.Signature{{
			Key:     savedmodel.DefaultSignature,
			Inputs:  map[string]tf.Output{"images": images},
			Outputs: map[string]tf.Output{"probabilities": probs},
		}},
		WriteVariables: func(prefix string) error { return saver.Save(sess, prefix) },
	})
	if err != nil {
		log.Fatal(err)
	}

	// Serving.
	m, err := savedmodel.Load(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	sig, _ := m.Signature(savedmodel.DefaultSignature)
	fmt.Println(sig.Inputs[0].Name, sig.Inputs[0].ShapeString(), "->", sig.Outputs[0].Name, sig.Outputs[0].ShapeString())
	p, err := m.Predict(tensor.Float32{Shape: []int{1, 28, 28}, Data: make([]float32, 28*28)})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%v %.2f\n", p.Shape, p.Data)
	// Output:
	// images [-1 28 28] -> probabilities [-1 10]
	// [1 10] [0.10 0.10 0.10 0.10 0.10 0.10 0.10 0.10 0.10 0.10]
}

// ExampleLoad serves a model exported elsewhere, for example by Keras 3's
// model.export("fashion") after training in Python.
func ExampleLoad() {
	m, err := savedmodel.Load("fashion")
	if err != nil {
		log.Fatal(err) // e.g. savedmodel: load fashion: no saved_model.pb: not a SavedModel directory
	}
	defer m.Close()

	// Two images, pixels scaled to [0, 1], in the shape the signature
	// declares: [-1 28 28] for Keras's Input(shape=(28, 28)).
	images := tensor.Float32{Shape: []int{2, 28, 28}, Data: make([]float32, 2*28*28)}
	probs, err := m.Predict(images)
	if err != nil {
		// e.g. savedmodel: predict with fashion: shape mismatch: input "images"
		// has shape [2 28 28], the "serving_default" signature takes [-1 784]
		log.Fatal(err)
	}
	fmt.Println(probs.Shape) // [2 10]: 2 × 10 probabilities
}

// ExampleModel_Run runs a signature Predict does not take: the uint8
// "serving_uint8" one that tfmodel's export adds, which scales raw pixels
// in the graph.
func ExampleModel_Run() {
	m, err := savedmodel.Load("fashion")
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()

	pixels, err := tf.NewTensor(make([][28][28]uint8, 2)) // two raw images, 0..255
	if err != nil {
		log.Fatal(err)
	}
	out, err := m.Run("serving_uint8", map[string]*tf.Tensor{"pixels": pixels}, "probabilities")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(out["probabilities"].Shape()) // [2 10]
}
