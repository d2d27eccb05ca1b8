package main

import (
	"fmt"
	"io"
	"os"

	"github.com/gokeras/fashion/tensor"
)

// hangVar names a hidden setting for tests: when it is set, predict's model
// hangs in Predict as a model whose graph never finishes does. It says so
// on stderr and then blocks without looking at the context, as a call into
// TensorFlow's C library cannot. A test waits for that line, signals
// predict, and checks that it exits all the same; a timer could not tell
// when predict is stuck in the call on a slow machine and a fast one alike.
const hangVar = "PREDICT_TEST_HANG"

// hangLine is what the hanging model prints before it blocks.
const hangLine = "predict: the model hangs in Predict (" + hangVar + ")"

// hangingModel is the model hangVar asks for.
type hangingModel struct{ stderr io.Writer }

func (m hangingModel) Predict(tensor.Float32) (tensor.Float32, error) {
	fmt.Fprintln(m.stderr, hangLine)
	var never chan struct{}
	<-never
	return tensor.Float32{}, nil
}

// hangFromEnv returns the hanging model if the environment asks for it.
func hangFromEnv(stderr io.Writer) (predictor, bool) {
	if _, set := os.LookupEnv(hangVar); !set {
		return nil, false
	}
	return hangingModel{stderr}, true
}
