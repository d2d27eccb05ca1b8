package tfmodel

import "github.com/gokeras/fashion/graph"

// Conv2D is keras.layers.Conv2D(filters, kernel_size, activation=activation)
// with a square kernel and Keras's defaults: strides 1, "valid" padding, a
// bias. For other settings, use graph.NewConv2D and set its fields.
func Conv2D(filters, kernelSize int, activation string) Layer {
	return graph.NewConv2D(filters, [2]int{kernelSize, kernelSize}, graph.Activation(activation))
}

// MaxPooling2D is keras.layers.MaxPooling2D(pool_size): square windows,
// strides equal to the pool size, "valid" padding.
func MaxPooling2D(poolSize int) Layer { return graph.NewMaxPooling2D([2]int{poolSize, poolSize}) }

// AveragePooling2D is keras.layers.AveragePooling2D(pool_size).
func AveragePooling2D(poolSize int) Layer {
	return graph.NewAveragePooling2D([2]int{poolSize, poolSize})
}

// GlobalAveragePooling2D is keras.layers.GlobalAveragePooling2D().
func GlobalAveragePooling2D() Layer { return graph.NewGlobalAveragePooling2D() }

// BatchNormalization is keras.layers.BatchNormalization() with Keras's
// momentum 0.99 and epsilon 1e-3.
func BatchNormalization() Layer { return graph.NewBatchNormalization() }

// Rescaling is keras.layers.Rescaling(scale, offset).
func Rescaling(scale, offset float64) Layer { return graph.NewRescaling(scale, offset) }
