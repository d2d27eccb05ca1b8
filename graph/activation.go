package graph

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// Activation names a Dense layer's activation the way Keras's config does.
type Activation string

const (
	Linear  Activation = "linear"
	ReLU    Activation = "relu"
	Softmax Activation = "softmax"
)

// ParseActivation accepts Keras's names; "" means linear, as in Keras.
func ParseActivation(name string) (Activation, error) {
	switch a := Activation(name); a {
	case "", "none":
		return Linear, nil
	case Linear, ReLU, Softmax:
		return a, nil
	}
	return "", fmt.Errorf("unknown activation %q: want linear, relu or softmax", name)
}

// apply adds the activation to x.
func (a Activation) apply(s *op.Scope, x tf.Output) tf.Output {
	switch a {
	case ReLU:
		return op.Relu(sub(s, "Relu"), x)
	case Softmax:
		return op.Softmax(sub(s, "Softmax"), x)
	}
	return x
}
