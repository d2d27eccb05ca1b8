package tfmodel

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/gokeras/fashion/tensor"
)

// Evaluate returns the model's mean loss and metrics on examples x and
// targets y, keyed by Keras's names ("loss", "accuracy", ...), computed in
// batches as Keras's model.evaluate(return_dict=True) does. Compiled with
// StepsPerExecution K > 1 or JITCompile, a session run evaluates up to K
// whole batches (see CompileOptions).
func (m *Sequential) Evaluate(x tensor.Float32, y tensor.Tensor, opts EvaluateOptions) (Logs, error) {
	if err := m.ready(); err != nil {
		return nil, err
	}
	batchSize, err := batchSizeOrDefault(opts.BatchSize)
	if err != nil {
		return nil, fmt.Errorf("tfmodel: evaluate: %w", err)
	}
	if y == nil {
		return nil, fmt.Errorf("tfmodel: evaluate: no targets")
	}
	n, err := m.checkData("evaluate", x, y)
	if err != nil {
		return nil, fmt.Errorf("tfmodel: %w", err)
	}
	net := m.net
	if _, err := m.session.Run(nil, nil, []*tf.Operation{net.evalReset}); err != nil {
		return nil, fmt.Errorf("tfmodel: evaluate: reset metrics: %w", err)
	}
	steps := ceilDiv(n, batchSize)
	bar := newProgbar(opts.Progress, steps)
	if kind, ok := m.inferenceKind(); ok && n >= batchSize {
		loop, err := m.evaluationLoop(kind)
		if err != nil {
			return nil, fmt.Errorf("tfmodel: evaluate: %w", err)
		}
		logs, err := m.evaluateChunks(loop, x, y, batchSize, bar)
		if err != nil {
			return nil, err
		}
		bar.finish(logs)
		return logs, nil
	}
	var logs Logs
	for step, lo := 0, 0; lo < n; step, lo = step+1, lo+batchSize {
		hi := min(lo+batchSize, n)
		if err := m.evalBatch(x, y, lo, hi); err != nil {
			return nil, fmt.Errorf("tfmodel: evaluate: batch %d: %w", step+1, err)
		}
		if bar.wants(step+1) || hi == n {
			if logs, err = m.evalResult(); err != nil {
				return nil, err
			}
			bar.update(step+1, logs)
		}
	}
	bar.finish(logs)
	return logs, nil
}

// evalBatch adds examples [lo, hi) of x and y to the running means, in one
// session run.
func (m *Sequential) evalBatch(x tensor.Float32, y tensor.Tensor, lo, hi int) error {
	feeds, err := m.batchFeeds(x.Slice(lo, hi), sliceOf(y, lo, hi))
	if err != nil {
		return err
	}
	defer releaseFeeds(feeds)
	_, err = m.session.Run(feeds, nil, []*tf.Operation{m.net.evalUpdate})
	return err
}

func (m *Sequential) evalResult() (Logs, error) {
	out, err := m.session.Run(nil, m.net.evalResults, nil)
	if err != nil {
		return nil, fmt.Errorf("tfmodel: evaluate: read metrics: %w", err)
	}
	return m.net.logs(out), nil
}

// logs are the results of a run, by name.
func (n *network) logs(results []*tf.Tensor) Logs {
	logs := make(Logs, len(results))
	for i, r := range results {
		logs[n.names[i]] = scalar(r)
	}
	return logs
}

// batchFeeds makes the feeds of one batch of examples (and targets, if any).
func (m *Sequential) batchFeeds(x tensor.Float32, y tensor.Tensor) (map[tf.Output]*tf.Tensor, error) {
	xt, err := tensorOf(x)
	if err != nil {
		return nil, err
	}
	feeds := map[tf.Output]*tf.Tensor{m.net.x: xt}
	if y != nil {
		yt, err := tensorOf(y)
		if err != nil {
			return nil, err
		}
		feeds[m.net.y] = yt
	}
	return feeds, nil
}
