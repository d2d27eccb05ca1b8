// Package tutorial holds the Fashion-MNIST tutorial's models, which the
// commands share: the tutorial's own (MLP) and the convolutional network
// every Keras user trains next (CNN). The tutorial's sizes (28×28 grey
// images, ten classes) live here and in cmd/, never in the generic
// packages.
package tutorial

import (
	"fmt"
	"slices"

	"github.com/gokeras/fashion/tfmodel"
)

// Image size and classes of Fashion-MNIST.
const (
	Rows, Cols = 28, 28
	Classes    = 10
)

// Models are the names Layers takes, the default first.
var Models = []string{"mlp", "cnn", "convnet"}

// Layers are the layers of the named model, fresh (a model owns its
// layers):
//
//   - "mlp", the tutorial's: Flatten(28, 28) → Dense(128, relu) →
//     Dense(10, softmax), 101,770 parameters, 88 % after 10 epochs.
//   - "cnn": Reshape(28, 28, 1) → Conv2D(32, 3, same, relu) →
//     MaxPooling2D(2) → Conv2D(64, 3, same, relu) → MaxPooling2D(2) →
//     Flatten → Dense(128, relu) → Dropout(0.5) → Dense(10, softmax),
//     421,642 parameters, 92 % after 10 epochs: Keras's simple convnet with
//     'same' padding and the hidden Dense(128) + Dropout(0.5) of Keras's
//     classic mnist_cnn example, the usual first CNN for these images.
//   - "convnet": Keras's "Simple MNIST convnet"
//     (keras.io/examples/vision/mnist_convnet), Reshape(28, 28, 1) →
//     Conv2D(32, 3, relu) → MaxPooling2D(2) → Conv2D(64, 3, relu) →
//     MaxPooling2D(2) → Flatten → Dropout(0.5) → Dense(10, softmax),
//     34,826 parameters, 90.2–90.4 % after 10 epochs (too small for 91 %).
func Layers(model string) ([]tfmodel.Layer, error) {
	switch model {
	case "mlp":
		return []tfmodel.Layer{
			tfmodel.Flatten(Rows, Cols),
			tfmodel.Dense(128, "relu"),
			tfmodel.Dense(Classes, "softmax"),
		}, nil
	case "cnn":
		return cnnLayers(), nil
	case "convnet":
		return convnetLayers(), nil
	}
	return nil, fmt.Errorf("model %q: want one of %v", model, Models)
}

// Known reports whether Layers knows the model.
func Known(model string) bool { return slices.Contains(Models, model) }
