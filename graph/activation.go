package graph

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// Activation names an activation the way Keras's config does.
type Activation string

// The activations Dense supports, with Keras 3's definitions
// (keras/src/activations/activations.py on the TensorFlow backend).
const (
	Linear  Activation = "linear"
	ReLU    Activation = "relu"
	Sigmoid Activation = "sigmoid"
	Tanh    Activation = "tanh"
	Softmax Activation = "softmax"
	// GELU is Keras's "gelu", the exact form (approximate=False). Keras
	// computes 0.5·x·erfc(-x/√2) (tf.nn.gelu); TensorFlow's C++ gradient
	// registry, which the C API differentiates with, has no gradient for
	// Erfc, so Go computes the same function as 0.5·x·(1 + erf(x/√2)),
	// which it can differentiate: equal to within a few float32 ulps.
	GELU Activation = "gelu"
)

// KnownActivations lists the activation names ParseActivation accepts.
func KnownActivations() []Activation {
	return []Activation{Linear, ReLU, Sigmoid, Tanh, Softmax, GELU}
}

// ParseActivation accepts Keras's names; "" and "none" mean linear, as in
// Keras.
func ParseActivation(name string) (Activation, error) {
	a := Activation(name)
	if name == "" || name == "none" {
		return Linear, nil
	}
	for _, k := range KnownActivations() {
		if a == k {
			return a, nil
		}
	}
	return "", fmt.Errorf("unknown activation %q: want one of %v", name, KnownActivations())
}

// apply adds the activation to x. Softmax and sigmoid keep x as the
// output's logits, as Keras does.
func (a Activation) apply(s *op.Scope, x tf.Output) Value {
	switch a {
	case ReLU:
		return Value{Out: op.Relu(sub(s, "Relu"), x)}
	case Sigmoid:
		return Value{Out: op.Sigmoid(sub(s, "Sigmoid"), x), Logits: x, From: Sigmoid}
	case Tanh:
		return Value{Out: op.Tanh(sub(s, "Tanh"), x)}
	case Softmax:
		return Value{Out: op.Softmax(sub(s, "Softmax"), x), Logits: x, From: Softmax}
	case GELU:
		g := sub(s, "Gelu")
		scaled := op.Mul(sub(g, "scaled"), x, op.Const(sub(g, "inv_sqrt2"), float32(0.7071067811865476)))
		half := op.Mul(sub(g, "half"), op.Const(sub(g, "one_half"), float32(0.5)), x)
		cdf := op.AddV2(sub(g, "cdf"), op.Const(sub(g, "one"), float32(1)), op.Erf(sub(g, "erf"), scaled))
		return Value{Out: op.Mul(sub(g, "mul"), half, cdf)}
	}
	return Value{Out: x}
}
