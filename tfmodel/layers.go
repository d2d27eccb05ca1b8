package tfmodel

import (
	"fmt"
	"slices"

	"github.com/gokeras/fashion/graph"
)

// Layer is one layer of a Sequential model: graph.Layer, Keras's layer
// in Go. The constructors below are keras.layers' own, by Keras's names.
type Layer = graph.Layer

// Input is keras.Input(shape): the shape of one example, the first entry
// of a Sequential's layers.
func Input(shape ...int) Layer { return &inputLayer{shape: slices.Clone(shape)} }

// Flatten is keras.layers.Flatten(). Given a shape, as Flatten(28, 28) in
// the tutorial, it is also the model's input: Keras's
// Flatten(input_shape=(28, 28)).
func Flatten(inputShape ...int) Layer {
	if len(inputShape) > 0 {
		return &withInput{Layer: graph.NewFlatten(), shape: slices.Clone(inputShape)}
	}
	return graph.NewFlatten()
}

// Dense is keras.layers.Dense(units, activation=activation); activation is
// one of graph.KnownActivations ("" means linear, as in Keras).
func Dense(units int, activation string) Layer {
	return graph.NewDense(units, graph.Activation(activation))
}

// Dropout is keras.layers.Dropout(rate), seeded from the model's seed
// (CompileOptions.Seed) so that a run is reproducible.
func Dropout(rate float64) Layer { return graph.NewDropout(rate) }

// Reshape is keras.layers.Reshape(target_shape).
func Reshape(targetShape ...int) Layer { return graph.NewReshape(targetShape...) }

// inputLayer is keras.Input: no computation, only the input's shape.
type inputLayer struct {
	graph.Flatten // for the name; never built
	shape         []int
}

func (*inputLayer) ClassName() string { return "InputLayer" }

// withInput is a layer that also declares the model's input shape, as
// Keras's input_shape argument does.
type withInput struct {
	graph.Layer
	shape []int
}

// splitInput takes the input shape from the first layer (Input, or a layer
// given an input shape) and returns the layers that compute.
func splitInput(layers []Layer) (shape []int, rest []Layer, err error) {
	if len(layers) == 0 {
		return nil, nil, fmt.Errorf("a Sequential model needs layers, starting with Input(shape) or Flatten(shape)")
	}
	switch first := layers[0].(type) {
	case *inputLayer:
		shape, rest = first.shape, layers[1:]
	case *withInput:
		shape, rest = first.shape, append([]Layer{first.Layer}, layers[1:]...)
	default:
		return nil, nil, fmt.Errorf("the first layer, %s, gives no input shape: start with Input(shape) or Flatten(shape) as in the tutorial", first.ClassName())
	}
	if len(shape) == 0 {
		return nil, nil, fmt.Errorf("the input needs a shape such as Input(28, 28)")
	}
	for _, d := range shape {
		if d <= 0 {
			return nil, nil, fmt.Errorf("input shape %v: dimensions must be positive", shape)
		}
	}
	for i, l := range rest {
		if _, ok := l.(*inputLayer); ok {
			return nil, nil, fmt.Errorf("layer %d: Input is only allowed first", i+1)
		}
		if _, ok := l.(*withInput); ok {
			return nil, nil, fmt.Errorf("layer %d: only the first layer may give the input shape", i+1)
		}
	}
	if len(rest) == 0 {
		return nil, nil, fmt.Errorf("a Sequential model needs at least one layer after its input")
	}
	return slices.Clone(shape), rest, nil
}
