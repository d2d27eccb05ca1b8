package tfmodel

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/gokeras/fashion/tensor"
)

// Predict returns the model's outputs for examples x, [N, output...]
// (class probabilities for the tutorial's classifier), computed in batches
// as model.predict does.
func (m *Sequential) Predict(x tensor.Float32, opts PredictOptions) (tensor.Float32, error) {
	if err := m.ready(); err != nil {
		return tensor.Float32{}, err
	}
	batchSize, err := batchSizeOrDefault(opts.BatchSize)
	if err != nil {
		return tensor.Float32{}, fmt.Errorf("tfmodel: predict: %w", err)
	}
	n, err := m.checkData("predict", x, nil)
	if err != nil {
		return tensor.Float32{}, fmt.Errorf("tfmodel: %w", err)
	}
	outShape := append([]int{n}, m.OutputShape()...)
	c := tensor.Size(m.OutputShape())
	out := tensor.Float32{Shape: outShape, Data: make([]float32, n*c)}
	for lo := 0; lo < n; lo += batchSize {
		hi := min(lo+batchSize, n)
		feeds, err := m.batchFeeds(x.Slice(lo, hi), nil)
		if err != nil {
			return tensor.Float32{}, fmt.Errorf("tfmodel: predict: %w", err)
		}
		res, err := m.session.Run(feeds, []tf.Output{m.net.outputs}, nil)
		if err != nil {
			return tensor.Float32{}, fmt.Errorf("tfmodel: predict: %w", err)
		}
		if err := copyFloat32s(out.Data[lo*c:hi*c], res[0]); err != nil {
			return tensor.Float32{}, fmt.Errorf("tfmodel: predict: %w", err)
		}
	}
	return out, nil
}
