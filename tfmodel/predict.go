package tfmodel

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/gokeras/fashion/internal/tfrelease"
	"github.com/gokeras/fashion/tensor"
)

// Predict returns the model's outputs for examples x, [N, output...]
// (class probabilities for the tutorial's classifier), computed in batches
// as model.predict does. Compiled with StepsPerExecution K > 1 or
// JITCompile, a session run predicts up to K whole batches (see
// CompileOptions).
//
// Its session runs go two per core at a time, in the session
// Threads.Inference picks (see InferenceAuto): a batch's outputs do not
// depend on the others', and they are the bits a run alone gives.
// Evaluate's runs do the same, and it adds their sums up in the batches'
// order.
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
	in, err := m.inference()
	if err != nil {
		return tensor.Float32{}, fmt.Errorf("tfmodel: predict: %w", err)
	}
	outShape := append([]int{n}, m.OutputShape()...)
	c := tensor.Size(m.OutputShape())
	out := tensor.Float32{Shape: outShape, Data: make([]float32, n*c)}
	// Fewer examples than a batch (a single image) need no loop: the
	// per-batch path serves them without building one.
	if kind, ok := m.inferenceKind(); ok && n >= batchSize {
		loop, err := m.predictionLoop(kind)
		if err != nil {
			return tensor.Float32{}, fmt.Errorf("tfmodel: predict: %w", err)
		}
		if err := m.predictChunks(in, loop, x, batchSize, out.Data); err != nil {
			return tensor.Float32{}, err
		}
		return out, nil
	}
	// A session run per batch, in.runs at a time.
	err = in.each(ceilDiv(n, batchSize), func(i int) error {
		lo := i * batchSize
		return m.predictBatch(in.session, x, lo, min(lo+batchSize, n), out.Data)
	})
	if err != nil {
		return tensor.Float32{}, fmt.Errorf("tfmodel: predict: %w", err)
	}
	return out, nil
}

// predictBatch predicts examples [lo, hi) of x in one run of session, into
// their rows of out.
func (m *Sequential) predictBatch(session *tf.Session, x tensor.Float32, lo, hi int, out []float32) error {
	c := tensor.Size(m.OutputShape())
	feeds, err := m.batchFeeds(x.Slice(lo, hi), nil)
	if err != nil {
		return err
	}
	res, err := session.Run(feeds, []tf.Output{m.net.outputs}, nil)
	releaseFeeds(feeds)
	if err != nil {
		return err
	}
	defer tfrelease.Release(res[0])
	return copyFloat32s(out[lo*c:hi*c], res[0])
}
