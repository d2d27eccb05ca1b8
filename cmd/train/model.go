package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gokeras/fashion/graph"
	"github.com/gokeras/fashion/internal/tutorial"
	"github.com/gokeras/fashion/loader"
	"github.com/gokeras/fashion/tensor"
	"github.com/gokeras/fashion/tfmodel"
)

// footwear are the classes a binary classifier trained with -init learns
// to tell from the rest: Sandal, Sneaker, Ankle boot.
var footwear = []uint8{5, 7, 9}

// buildModel is the -model, the tutorial's by default, compiled as the
// tutorial compiles it (with -optimizer and -lr), or with -init the model
// of a .keras file, compiled as the file says.
func buildModel(cfg config) (*tfmodel.Sequential, error) {
	if cfg.initFile != "" {
		opts := tfmodel.CompileOptions{Seed: cfg.seed}
		if cfg.executionSet {
			cfg.execution.apply(&opts) // else the file's compile config decides
		}
		opts.Threads.Inference = cfg.inference()
		return tfmodel.LoadKerasWith(cfg.initFile, opts)
	}
	layers, err := tutorial.Layers(cfg.model)
	if err != nil {
		return nil, err
	}
	model, err := tfmodel.NewSequential(layers...)
	if err != nil {
		return nil, err
	}
	compile := tfmodel.DefaultCompileOptions()
	if compile.Optimizer, err = learningRateFromEnv(cfg.optimizer); err != nil {
		return nil, err
	}
	compile.Seed = cfg.seed
	cfg.execution.apply(&compile)
	compile.Threads.Inference = cfg.inference()
	if err := model.Compile(compile); err != nil {
		return nil, err
	}
	return model, nil
}

// inference is where -exact-inference has evaluation and prediction run.
func (c config) inference() tfmodel.InferenceSession {
	if c.exactInference {
		return tfmodel.InferenceShared
	}
	return tfmodel.InferenceAuto
}

// targets are Fashion-MNIST's labels in the form the model's loss takes:
// class indices for a sparse loss; one-hot rows for categorical
// cross-entropy, or for MSE/MAE on 10 outputs; 1 for footwear, else 0, for
// binary cross-entropy on one output; the class index as a number for
// MSE/MAE on one output (a toy regression).
func targets(m *tfmodel.Sequential, labels []uint8) (tensor.Tensor, error) {
	loss := m.Compiled().Loss
	if loss.Sparse() {
		return tensor.Labels(labels), nil
	}
	out := m.OutputShape()
	n := len(labels)
	switch {
	case slices.Equal(out, []int{loader.NumClasses}) && !isBinary(loss):
		y := make([]float32, n*loader.NumClasses)
		for i, l := range labels {
			y[i*loader.NumClasses+int(l)] = 1
		}
		return tensor.Float32{Shape: []int{n, loader.NumClasses}, Data: y}, nil
	case slices.Equal(out, []int{1}) && isBinary(loss):
		y := make([]float32, n)
		for i, l := range labels {
			if slices.Contains(footwear, l) {
				y[i] = 1
			}
		}
		return tensor.Float32{Shape: []int{n, 1}, Data: y}, nil
	case slices.Equal(out, []int{1}):
		y := make([]float32, n)
		for i, l := range labels {
			y[i] = float32(l)
		}
		return tensor.Float32{Shape: []int{n, 1}, Data: y}, nil
	}
	return nil, fmt.Errorf("the model's loss %s with output %v: Fashion-MNIST gives targets for a sparse loss on %d outputs, categorical cross-entropy or MSE/MAE on %d (one-hot), binary cross-entropy on 1 (footwear or not), or MSE/MAE on 1 (the class index)",
		loss.Name(), out, loader.NumClasses, loader.NumClasses)
}

func isBinary(l graph.Loss) bool {
	_, ok := l.(*graph.BinaryCrossentropy)
	return ok
}

// classifies reports whether the model is a classifier of the 10 classes,
// for which the tutorial's predictions and figures are drawn.
func classifies(m *tfmodel.Sequential) bool {
	return slices.Equal(m.OutputShape(), []int{loader.NumClasses})
}

// lastLogs formats epoch last of the history as "accuracy 0.8812, loss
// 0.3301".
func lastLogs(h *tfmodel.History, last int) string {
	logs := tfmodel.Logs{}
	for k, v := range h.History {
		logs[k] = v[last]
	}
	return logsLine(logs)
}

// logsLine is logs as "loss 0.3301, accuracy 0.8812": the loss first, then
// the rest in Keras's order.
func logsLine(logs tfmodel.Logs) string {
	parts := []string{fmt.Sprintf("loss %.4f", logs["loss"])}
	for _, k := range logs.Keys() {
		if k != "loss" {
			parts = append(parts, fmt.Sprintf("%s %.4f", k, logs[k]))
		}
	}
	return strings.Join(parts, ", ")
}
