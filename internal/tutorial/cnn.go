package tutorial

import "github.com/gokeras/fashion/tfmodel"

func cnnLayers() []tfmodel.Layer {
	return []tfmodel.Layer{
		tfmodel.Input(Rows, Cols),
		tfmodel.Reshape(Rows, Cols, 1),
		tfmodel.Conv2D(32, 3, "relu"),
		tfmodel.MaxPooling2D(2),
		tfmodel.Conv2D(64, 3, "relu"),
		tfmodel.MaxPooling2D(2),
		tfmodel.Flatten(),
		tfmodel.Dropout(0.5),
		tfmodel.Dense(Classes, "softmax"),
	}
}
