package tfmodel

import (
	"fmt"

	"github.com/gokeras/fashion/graph"
)

// Layer describes one layer of a Sequential model. Only Flatten (as the
// first layer, giving the input shape) and Dense are supported: the layers
// of the Keras tutorial.
type Layer struct {
	kind       string // "Flatten" or "Dense"
	shape      []int  // Flatten: the input shape of one example
	units      int    // Dense
	activation string // Dense
}

// Flatten is keras.layers.Flatten(input_shape=shape): the model's input layer.
func Flatten(shape ...int) Layer { return Layer{kind: "Flatten", shape: shape} }

// Dense is keras.layers.Dense(units, activation=activation); activation is
// "relu", "softmax" or "linear" ("" means linear, as in Keras).
func Dense(units int, activation string) Layer {
	return Layer{kind: "Dense", units: units, activation: activation}
}

// layerSpec is a validated Layer with its Keras name and output width.
type layerSpec struct {
	name       string
	kind       string
	in, out    int
	activation graph.Activation
}

// plan validates the layers and names them as Keras does (flatten, dense,
// dense_1, ...).
func plan(layers []Layer) (inputShape []int, specs []layerSpec, err error) {
	if len(layers) < 2 || layers[0].kind != "Flatten" {
		return nil, nil, fmt.Errorf("a Sequential model needs Flatten(input shape) first and at least one Dense layer, got %d layers", len(layers))
	}
	features := 1
	for _, d := range layers[0].shape {
		if d <= 0 {
			return nil, nil, fmt.Errorf("flatten: input shape %v: dimensions must be positive", layers[0].shape)
		}
		features *= d
	}
	if len(layers[0].shape) == 0 {
		return nil, nil, fmt.Errorf("flatten: needs an input shape such as Flatten(28, 28)")
	}
	specs = append(specs, layerSpec{name: "flatten", kind: "Flatten", in: features, out: features})
	in := features
	for i, l := range layers[1:] {
		if l.kind != "Dense" {
			return nil, nil, fmt.Errorf("layer %d: %s is only supported as the first layer", i+1, l.kind)
		}
		if l.units <= 0 {
			return nil, nil, fmt.Errorf("layer %d: Dense units %d must be positive", i+1, l.units)
		}
		act, err := graph.ParseActivation(l.activation)
		if err != nil {
			return nil, nil, fmt.Errorf("layer %d: %w", i+1, err)
		}
		name := "dense"
		if i > 0 {
			name = fmt.Sprintf("dense_%d", i)
		}
		specs = append(specs, layerSpec{name: name, kind: "Dense", in: in, out: l.units, activation: act})
		in = l.units
	}
	if specs[len(specs)-1].activation != graph.Softmax {
		return nil, nil, fmt.Errorf("the last layer must use softmax: sparse categorical cross-entropy takes probabilities, as in the tutorial")
	}
	return append([]int(nil), layers[0].shape...), specs, nil
}
