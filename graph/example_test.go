package graph_test

import (
	"fmt"

	"github.com/gokeras/fashion/graph"
)

// Losses and metrics are looked up by Keras's strings; "accuracy" resolves
// from the shapes of the targets and outputs, as Keras's compile does.
func ExampleGetLoss() {
	loss, err := graph.GetLoss("mse")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(loss.ClassName(), loss.Name(), loss.Sparse())
	for _, output := range [][]int{{10}, {1}} {
		acc, _ := graph.GetMetric("accuracy", []int{}, output)
		fmt.Println(output, acc.ClassName())
	}
	_, err = graph.GetLoss("hinge")
	fmt.Println(err != nil)
	// Output:
	// MeanSquaredError mean_squared_error false
	// [10] SparseCategoricalAccuracy
	// [1] BinaryAccuracy
	// true
}

// A layer knows its Keras class, name, config and shapes before any graph
// exists.
func ExampleLayer() {
	layers := []graph.Layer{graph.NewFlatten(), graph.NewDense(128, graph.ReLU), graph.NewDropout(0.2), graph.NewDense(10, graph.Softmax)}
	if err := graph.NameLayers(layers); err != nil {
		fmt.Println(err)
		return
	}
	in := []int{28, 28}
	for _, l := range layers {
		out, err := l.OutputShape(in)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s (%s) %v %d\n", l.Name(), l.ClassName(), out, l.Params(in))
		in = out
	}
	// Output:
	// flatten (Flatten) [784] 0
	// dense (Dense) [128] 100480
	// dropout (Dropout) [128] 0
	// dense_1 (Dense) [10] 1290
}
