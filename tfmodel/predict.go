package tfmodel

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
)

// Predict returns the model's class probabilities for images x: N rows of
// Classes() values, flattened, computed in batches as model.predict does.
func (m *Sequential) Predict(x []float32, opts PredictOptions) ([]float32, error) {
	if err := m.ready(); err != nil {
		return nil, err
	}
	batchSize, err := batchSizeOrDefault(opts.BatchSize)
	if err != nil {
		return nil, fmt.Errorf("tfmodel: predict: %w", err)
	}
	n, err := m.checkData("predict", x, nil, false)
	if err != nil {
		return nil, fmt.Errorf("tfmodel: %w", err)
	}
	f, c := m.features(), m.Classes()
	probs := make([]float32, n*c)
	for lo := 0; lo < n; lo += batchSize {
		hi := min(lo+batchSize, n)
		feeds, err := m.batchFeeds(x[lo*f:hi*f], nil)
		if err != nil {
			return nil, fmt.Errorf("tfmodel: predict: %w", err)
		}
		out, err := m.session.Run(feeds, []tf.Output{m.net.probs}, nil)
		if err != nil {
			return nil, fmt.Errorf("tfmodel: predict: %w", err)
		}
		if err := copyFloat32s(probs[lo*c:hi*c], out[0]); err != nil {
			return nil, fmt.Errorf("tfmodel: predict: %w", err)
		}
	}
	return probs, nil
}
