package tfmodel_test

import (
	"context"
	"fmt"
	"os"
	"slices"

	"github.com/gokeras/fashion/graph"
	"github.com/gokeras/fashion/tensor"
	"github.com/gokeras/fashion/tfmodel"
)

// The tutorial's model, and Keras's summary of it.
func ExampleNewSequential() {
	model, err := tfmodel.NewSequential(
		tfmodel.Flatten(28, 28),
		tfmodel.Dense(128, "relu"),
		tfmodel.Dense(10, "softmax"),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	model.Summary(os.Stdout)
	// Output:
	// Model: "sequential"
	// ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
	// ┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
	// ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
	// │ flatten (Flatten)               │ (None, 784)            │             0 │
	// ├─────────────────────────────────┼────────────────────────┼───────────────┤
	// │ dense (Dense)                   │ (None, 128)            │       100,480 │
	// ├─────────────────────────────────┼────────────────────────┼───────────────┤
	// │ dense_1 (Dense)                 │ (None, 10)             │         1,290 │
	// └─────────────────────────────────┴────────────────────────┴───────────────┘
	//  Total params: 101,770 (397.54 KB)
	//  Trainable params: 101,770 (397.54 KB)
	//  Non-trainable params: 0 (0.00 B)
}

// Order is the batch order of an epoch: reproducible from the seed alone.
func ExampleOrder() {
	fmt.Println(tfmodel.Order(1, 0, 8, false))
	fmt.Println(len(tfmodel.Order(1, 0, 60000, true)))
	// Output:
	// [0 1 2 3 4 5 6 7]
	// 60000
}

// Training, evaluating and saving, as the tutorial does (see cmd/train for
// the whole program).
func ExampleSequential_Fit() {
	model, err := tfmodel.NewSequential(tfmodel.Flatten(2, 2), tfmodel.Dense(4, "relu"), tfmodel.Dense(2, "softmax"))
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := model.Compile(tfmodel.DefaultCompileOptions()); err != nil {
		fmt.Println(err)
		return
	}
	defer model.Close()
	// Two 2×2 images: a bright one (class 1) and a dark one (class 0).
	x := tensor.Float32{Shape: []int{2, 2, 2}, Data: []float32{1, 1, 1, 1, 0, 0, 0, 0}}
	y := tensor.Labels([]uint8{1, 0})
	opts := tfmodel.DefaultFitOptions()
	opts.Epochs = 200
	history, err := model.Fit(context.Background(), x, y, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	logs, _ := model.Evaluate(x, y, tfmodel.EvaluateOptions{})
	fmt.Println(len(history.History["loss"]), "epochs; accuracy", logs["accuracy"])
	// Output:
	// 200 epochs; accuracy 1
}

// A regression with Dropout, trained on float targets: any model built
// from the supported layers, losses and metrics trains the same way.
func ExampleSequential_Fit_regression() {
	model, err := tfmodel.NewSequential(
		tfmodel.Input(3),
		tfmodel.Dense(8, "tanh"),
		tfmodel.Dropout(0.1),
		tfmodel.Dense(1, ""),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	opts := tfmodel.DefaultCompileOptions()
	opts.Loss, _ = graph.GetLoss("mse")
	opts.Metrics = []string{"mae"}
	opts.Optimizer = graph.DefaultAdam().WithLearningRate(0.02)
	if err := model.Compile(opts); err != nil {
		fmt.Println(err)
		return
	}
	defer model.Close()
	// y = x0 + x1 - x2 on four points.
	x := tensor.Float32{Shape: []int{4, 3}, Data: []float32{0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 0}}
	y := tensor.Float32{Shape: []int{4, 1}, Data: []float32{0, 1, 0, 2}}
	fit := tfmodel.DefaultFitOptions()
	fit.Epochs = 300
	if _, err := model.Fit(context.Background(), x, y, fit); err != nil {
		fmt.Println(err)
		return
	}
	logs, _ := model.Evaluate(x, y, tfmodel.EvaluateOptions{})
	fmt.Println(logs.Keys(), logs["mae"] < 0.2)
	// Output:
	// [loss mae] true
}

// Predict and Evaluate run in the session Threads.Inference picks: a
// session of their own (InferenceOwn, the default: faster on small
// batches) or the training session (InferenceShared, as Keras predicts).
// The same weights give the same predictions in either, here to the bit.
func ExampleInferenceSession() {
	x := tensor.Float32{Shape: []int{3, 2, 2}, Data: []float32{0, 1, 0, 1, 1, 0, 1, 0, 0.5, 0.5, 0.5, 0.5}}
	predict := func(where tfmodel.InferenceSession) ([]float32, error) {
		model, err := tfmodel.NewSequential(tfmodel.Flatten(2, 2), tfmodel.Dense(4, "relu"), tfmodel.Dense(2, "softmax"))
		if err != nil {
			return nil, err
		}
		opts := tfmodel.DefaultCompileOptions()
		opts.Threads.Inference = where
		if err := model.Compile(opts); err != nil {
			return nil, err
		}
		defer model.Close()
		probs, err := model.Predict(x, tfmodel.PredictOptions{})
		return probs.Data, err
	}
	own, err := predict(tfmodel.InferenceOwn)
	if err != nil {
		fmt.Println(err)
		return
	}
	shared, err := predict(tfmodel.InferenceShared)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(own), slices.Equal(own, shared))
	// Output:
	// 6 true
}
