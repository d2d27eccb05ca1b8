package main

import (
	"fmt"

	"github.com/gokeras/fashion/internal/tutorial"
	"github.com/gokeras/fashion/loader"
	"github.com/gokeras/fashion/tfmodel"
)

// newModel is the named tutorial model, uncompiled: its layers named as
// Keras names them and its input shape split off, as every Go child and the
// probes build it.
func newModel(name string) (*tfmodel.Sequential, error) {
	layers, err := tutorial.Layers(name)
	if err != nil {
		return nil, err
	}
	if len(layers) == 0 {
		return nil, fmt.Errorf("model %q: internal/tutorial gives no layers for it yet", name)
	}
	m, err := tfmodel.NewSequential(layers...)
	if err != nil {
		return nil, fmt.Errorf("model %q: %w", name, err)
	}
	// The children feed the loader's images as they are, so the model must
	// take one 28×28 image per example, in whatever shape.
	if n := tensorSize(m.InputShape()); n != loader.ImageSize {
		return nil, fmt.Errorf("model %q: input shape %v holds %d values, not one %d×%d image", name, m.InputShape(), n, loader.Rows, loader.Cols)
	}
	return m, nil
}

// modelText is how the report names and describes each model; the layers
// are written as the Keras code that builds them, which
// scripts/bench_keras.py has word for word.
var modelText = map[string]struct{ title, about string }{
	"mlp": {
		title: "MLP: the tutorial's model",
		about: "The Keras \"Basic classification\" tutorial model (Flatten(28, 28) → Dense(128, relu) → Dense(10, softmax),\n" +
			"101,770 parameters, Adam, sparse categorical cross-entropy, accuracy, batch 32)",
	},
	"cnn": {
		title: "CNN: two 'same' convolution blocks, Dense(128), Dropout",
		about: "The tutorial's CNN (Reshape(28, 28, 1) → Conv2D(32, 3, same, relu) → MaxPooling2D(2) →\n" +
			"Conv2D(64, 3, same, relu) → MaxPooling2D(2) → Flatten → Dense(128, relu) → Dropout(0.5) → Dense(10, softmax),\n" +
			"421,642 parameters, Adam, sparse categorical cross-entropy, accuracy, batch 32)",
	},
	"convnet": {
		title: "CNN: Keras's \"Simple MNIST convnet\"",
		about: "The convolutional network of the Keras example \"Simple MNIST convnet\" (Reshape(28, 28, 1) →\n" +
			"Conv2D(32, 3, relu) → MaxPooling2D(2) → Conv2D(64, 3, relu) → MaxPooling2D(2) → Flatten → Dropout(0.5) →\n" +
			"Dense(10, softmax), 34,826 parameters, Adam, sparse categorical cross-entropy, accuracy, batch 32)",
	},
}

// modelTitle is the model's heading in the report.
func modelTitle(model string) string {
	if t, ok := modelText[model]; ok {
		return t.title
	}
	return model
}
