package tfmodel

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
)

// Evaluate returns the model's mean loss and accuracy on images x and
// labels y, computed in batches as Keras's model.evaluate does.
func (m *Sequential) Evaluate(x []float32, y []uint8, opts EvaluateOptions) (loss, accuracy float64, err error) {
	if err := m.ready(); err != nil {
		return 0, 0, err
	}
	batchSize, err := batchSizeOrDefault(opts.BatchSize)
	if err != nil {
		return 0, 0, fmt.Errorf("tfmodel: evaluate: %w", err)
	}
	n, err := m.checkData("evaluate", x, y, true)
	if err != nil {
		return 0, 0, fmt.Errorf("tfmodel: %w", err)
	}
	net := m.net
	if _, err := m.session.Run(nil, nil, []*tf.Operation{net.evalReset}); err != nil {
		return 0, 0, fmt.Errorf("tfmodel: evaluate: reset metrics: %w", err)
	}
	f := m.features()
	labels := labels32(y)
	steps := ceilDiv(n, batchSize)
	bar := newProgbar(opts.Progress, steps)
	var logs EpochLogs
	for step, lo := 0, 0; lo < n; step, lo = step+1, lo+batchSize {
		hi := min(lo+batchSize, n)
		feeds, err := m.batchFeeds(x[lo*f:hi*f], labels[lo:hi])
		if err != nil {
			return 0, 0, fmt.Errorf("tfmodel: evaluate: batch %d: %w", step+1, err)
		}
		if _, err := m.session.Run(feeds, nil, []*tf.Operation{net.evalUpdate}); err != nil {
			return 0, 0, fmt.Errorf("tfmodel: evaluate: batch %d: %w", step+1, err)
		}
		if bar.wants(step+1) || hi == n {
			if logs, err = m.evalResult(); err != nil {
				return 0, 0, err
			}
			bar.update(step+1, logs)
		}
	}
	bar.finish(logs)
	return logs.Loss, logs.Accuracy, nil
}

func (m *Sequential) evalResult() (EpochLogs, error) {
	out, err := m.session.Run(nil, []tf.Output{m.net.evalLoss, m.net.evalAcc}, nil)
	if err != nil {
		return EpochLogs{}, fmt.Errorf("tfmodel: evaluate: read metrics: %w", err)
	}
	return EpochLogs{Loss: scalar(out[0]), Accuracy: scalar(out[1])}, nil
}

// batchFeeds makes the feeds of one batch of images (and labels, if any).
func (m *Sequential) batchFeeds(x []float32, y []int32) (map[tf.Output]*tf.Tensor, error) {
	shape := []int64{int64(len(x) / m.features())}
	for _, d := range m.inputShape {
		shape = append(shape, int64(d))
	}
	images, err := float32Tensor(x, shape...)
	if err != nil {
		return nil, err
	}
	feeds := map[tf.Output]*tf.Tensor{m.net.images: images}
	if y != nil {
		labels, err := int32Tensor(y, int64(len(y)))
		if err != nil {
			return nil, err
		}
		feeds[m.net.labels] = labels
	}
	return feeds, nil
}
