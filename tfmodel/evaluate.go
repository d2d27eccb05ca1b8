package tfmodel

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/gokeras/fashion/tensor"
)

// Evaluate returns the model's mean loss and metrics on examples x and
// targets y, keyed by Keras's names ("loss", "accuracy", ...), computed in
// batches as Keras's model.evaluate(return_dict=True) does, to the bit
// (but for the last bits Eigen's MatMul gives in the inference session
// with oneDNN off, see InferenceOwn): the batches run two per core at a
// time, and their sums are added up in their order, as Keras adds them.
// Compiled with StepsPerExecution K > 1 or JITCompile, a session run
// evaluates up to K whole batches (see CompileOptions), its chunks too two
// per core at a time, each giving its batches' sums.
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
	in, err := m.inference()
	if err != nil {
		return nil, fmt.Errorf("tfmodel: evaluate: %w", err)
	}
	steps := ceilDiv(n, batchSize)
	bar := newProgbar(opts.Progress, steps)
	if kind, ok := m.inferenceKind(); ok && n >= batchSize {
		loop, err := m.evaluationLoop(kind)
		if err != nil {
			return nil, fmt.Errorf("tfmodel: evaluate: %w", err)
		}
		logs, err := m.evaluateChunks(in, loop, x, y, batchSize, bar)
		if err != nil {
			return nil, err
		}
		bar.finish(logs)
		return logs, nil
	}
	logs, err := m.evaluateBatches(in, x, y, batchSize, bar)
	if err != nil {
		return nil, err
	}
	bar.finish(logs)
	return logs, nil
}

// evalGroup is how many batches evaluateBatches runs between two looks at
// the progress bar.
const evalGroup = 64

// evaluateBatches is Evaluate's run of in's session per batch, in.runs of
// them at a time: each run computes what evalUpdate would add to the
// running means for its batch (evalTerms), and the sums are added up here
// in the batches' order, in float32, as the graph's AssignAddVariableOp
// adds them one run after another, and divided as its DivNoNan divides: the
// same bits as one run after another, without waiting for one.
func (m *Sequential) evaluateBatches(in inference, x tensor.Float32, y tensor.Tensor, batchSize int, bar *progbar) (Logs, error) {
	n := x.Shape[0]
	steps := ceilDiv(n, batchSize)
	sums := make([]float32, len(m.net.evalTerms)) // each mean's total, then the count
	var logs Logs
	for first := 0; first < steps; first += evalGroup {
		terms := make([][]float32, min(evalGroup, steps-first))
		err := in.each(len(terms), func(i int) error {
			lo := (first + i) * batchSize
			t, err := m.evalBatchTerms(in.session, x, y, lo, min(lo+batchSize, n))
			if err != nil {
				return fmt.Errorf("tfmodel: evaluate: batch %d: %w", first+i+1, err)
			}
			terms[i] = t
			return nil
		})
		if err != nil {
			return nil, err
		}
		for i, t := range terms {
			addTerms(sums, t)
			if step := first + i + 1; bar.wants(step) || step == steps {
				logs = m.net.meanLogs(sums)
				bar.update(step, logs)
			}
		}
	}
	return logs, nil
}

// addTerms adds a batch's terms to sums, the running totals, in float32:
// what the graph's AssignAddVariableOp of each running mean does.
func addTerms(sums, terms []float32) {
	for j := range sums {
		sums[j] += terms[j]
	}
}

// evalBatchTerms is what evalUpdate would add to the running means for
// examples [lo, hi) of x and y (network.evalTerms), in one run of session
// that changes nothing.
func (m *Sequential) evalBatchTerms(session *tf.Session, x tensor.Float32, y tensor.Tensor, lo, hi int) ([]float32, error) {
	feeds, err := m.batchFeeds(x.Slice(lo, hi), sliceOf(y, lo, hi))
	if err != nil {
		return nil, err
	}
	defer releaseFeeds(feeds)
	out, err := session.Run(feeds, m.net.evalTerms, nil)
	if err != nil {
		return nil, err
	}
	terms := make([]float32, len(out))
	for i, t := range out {
		v, ok := t.Value().(float32)
		if !ok {
			return nil, fmt.Errorf("evaluation term %d is %T, want a float32 scalar", i, t.Value())
		}
		terms[i] = v
	}
	return terms, nil
}

// meanLogs are the running means of sums (each mean's total, then the
// count), by name, divided as DivNoNan divides: total / count, 0 for no
// count.
func (n *network) meanLogs(sums []float32) Logs {
	count := sums[len(sums)-1]
	logs := make(Logs, len(sums)-1)
	for i, total := range sums[:len(sums)-1] {
		var mean float32
		if count != 0 {
			mean = total / count
		}
		logs[n.names[i]] = float64(mean)
	}
	return logs
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
