package graph

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// Dense is a fully connected layer, keras.layers.Dense: activation(x·kernel +
// bias), with a [in, units] kernel and a [units] bias.
type Dense struct {
	Name       string // "dense", "dense_1": the prefix of its variables' names
	Units      int
	Activation Activation
	Kernel     *Variable // "<name>/kernel", Glorot-uniform initialised
	Bias       *Variable // "<name>/bias", zero initialised
}

// NewDense adds the variables of a Dense layer named name, taking in
// features, to the graph of root (which must be the root scope, so that the
// variables get Keras's names). seed makes the kernel's initial values
// reproducible; different layers need different seeds.
func NewDense(root *op.Scope, name string, in, units int, act Activation, seed [2]int64) (*Dense, error) {
	if in <= 0 || units <= 0 {
		return nil, fmt.Errorf("dense %s: input %d and units %d must be positive", name, in, units)
	}
	init := root.SubScope(name + "_init")
	kernel, err := NewVariable(root, name+"/kernel", tf.Float, []int64{int64(in), int64(units)},
		GlorotUniform(init, [2]int64{int64(in), int64(units)}, seed))
	if err != nil {
		return nil, err
	}
	bias, err := NewVariable(root, name+"/bias", tf.Float, []int64{int64(units)}, Zeros(init, []int64{int64(units)}))
	if err != nil {
		return nil, err
	}
	return &Dense{Name: name, Units: units, Activation: act, Kernel: kernel, Bias: bias}, nil
}

// Call adds the layer's computation on x to the graph. It returns the
// layer's output and, separately, its pre-activation value: for a softmax
// output layer these are the logits, which the loss uses directly as Keras
// does.
func (d *Dense) Call(s *op.Scope, x tf.Output) (out, logits tf.Output) {
	s = sub(s, d.Name)
	logits = op.BiasAdd(sub(s, "BiasAdd"), op.MatMul(sub(s, "MatMul"), x, d.Kernel.Value), d.Bias.Value)
	return d.Activation.apply(s, logits), logits
}

// Variables lists the layer's weights in Keras's order: kernel, then bias.
func (d *Dense) Variables() []*Variable { return []*Variable{d.Kernel, d.Bias} }

// Params is the number of trainable parameters, as Keras's summary counts them.
func (d *Dense) Params() int64 { return d.Kernel.Size() + d.Bias.Size() }
