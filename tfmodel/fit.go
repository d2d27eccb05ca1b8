package tfmodel

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/gokeras/fashion/tensor"
)

// Fit trains the model on examples x ([N, input...]) and targets y (class
// indices as tensor.Int32 [N] for a sparse loss, else tensor.Float32
// shaped like the outputs) as Keras's model.fit does: each epoch visits
// every example once in batches, in a fresh order when opts.Shuffle, and
// reports the running mean loss and metrics. It returns the per-epoch
// History of the epochs it ran.
//
// Fit copies x and y into the session once and trains on that copy.
// Images scaled as Keras's tutorials scale them, bytes divided by 255,
// are copied as their bytes, a quarter of the memory and of what every
// epoch moves, and divided again in the step: the same floats, bit for
// bit.
//
// When ctx is cancelled, Fit finishes the step in progress and returns the
// History so far with ctx's error; Position tells where it stopped, and
// TrainEnder callbacks (BackupAndRestore) can save that state.
func (m *Sequential) Fit(ctx context.Context, x tensor.Float32, y tensor.Tensor, opts FitOptions) (history *History, err error) {
	if err := m.ready(); err != nil {
		return nil, err
	}
	if err := opts.validate(); err != nil {
		return nil, fmt.Errorf("tfmodel: fit: %w", err)
	}
	if y == nil {
		return nil, errors.New("tfmodel: fit: no targets")
	}
	examples, err := m.checkData("fit", x, y)
	if err != nil {
		return nil, fmt.Errorf("tfmodel: %w", err)
	}
	valX, valY := opts.ValidationX, opts.ValidationY
	hasVal := valY != nil || valX.Data != nil
	if opts.ValidationSplit > 0 {
		if hasVal {
			return nil, errors.New("tfmodel: fit: give validation data or a validation split, not both")
		}
		at := int(float64(examples) * (1 - opts.ValidationSplit))
		if at == 0 || at == examples {
			return nil, fmt.Errorf("tfmodel: fit: validation split %g of %d examples leaves an empty part", opts.ValidationSplit, examples)
		}
		// The last fraction, before any shuffling, as Keras's
		// validation_split.
		x, y, valX, valY = x.Slice(0, at), sliceOf(y, 0, at), x.Slice(at, examples), sliceOf(y, at, examples)
		hasVal = true
	}
	if hasVal {
		if valY == nil {
			return nil, errors.New("tfmodel: fit: validation data without targets")
		}
		if _, err := m.checkData("fit: validation data", valX, valY); err != nil {
			return nil, fmt.Errorf("tfmodel: %w", err)
		}
	}

	run, err := m.newRun(opts, examples)
	if err != nil {
		return nil, err
	}
	m.run = run
	start := Position{Epoch: opts.InitialEpoch, Seed: opts.Seed}
	for i, cb := range opts.Callbacks {
		if b, ok := cb.(TrainBeginner); ok {
			if err := b.TrainBegin(m, &start); err != nil {
				err = fmt.Errorf("tfmodel: fit: %w", err)
				// Those that began are told of the end: a lock, an open
				// file is released now, not when the process exits.
				for _, began := range opts.Callbacks[:i] {
					if e, ok := began.(TrainEnder); ok {
						e.TrainEnd(m, err)
					}
				}
				return nil, err
			}
		}
	}
	n := x.Len()
	steps := ceilDiv(n, opts.BatchSize)
	// A TrainBeginner moved the start (BackupAndRestore restored a
	// checkpoint): it must lie within this run, or a negative step would
	// slice out of range and a negative epoch train more epochs than asked.
	if start.Epoch < 0 || start.Epoch > opts.Epochs || (start.Epoch == opts.Epochs && start.Step != 0) {
		err := fmt.Errorf("tfmodel: fit: start at epoch %d, step %d is outside this run's %d epochs", start.Epoch+1, start.Step, opts.Epochs)
		m.endCallbacks(opts.Callbacks, err)
		return nil, err
	}
	if start.Step < 0 || start.Step >= steps {
		err := fmt.Errorf("tfmodel: fit: start at epoch %d, step %d is outside an epoch of %d steps", start.Epoch+1, start.Step, steps)
		m.endCallbacks(opts.Callbacks, err)
		return nil, err
	}
	m.pos = start
	defer func() {
		for _, cb := range opts.Callbacks {
			if e, ok := cb.(TrainEnder); ok {
				if cbErr := e.TrainEnd(m, err); cbErr != nil && err == nil {
					err = fmt.Errorf("tfmodel: fit: %w", cbErr)
				}
			}
		}
	}()

	if err := m.upload(x, y); err != nil {
		return nil, err
	}
	// The resident copy is only needed while fitting.
	defer m.session.Run(nil, nil, []*tf.Operation{m.net.unload})

	history = &History{}
	for epoch := start.Epoch; epoch < opts.Epochs; epoch++ {
		if err := ctx.Err(); err != nil {
			return history, err
		}
		first := 0
		if epoch == start.Epoch {
			first = start.Step
		}
		bar := newProgbar(opts.Progress, steps)
		bar.epoch(epoch, opts.Epochs)
		logs, err := m.trainEpoch(ctx, epoch, Order(start.Seed, epoch, n, opts.Shuffle), opts.BatchSize, first, bar, batchEnders(opts.Callbacks))
		if err != nil {
			return history, err
		}
		if hasVal {
			val, err := m.Evaluate(valX, valY, EvaluateOptions{BatchSize: opts.BatchSize})
			if err != nil {
				return history, fmt.Errorf("tfmodel: fit: epoch %d: validation: %w", epoch+1, err)
			}
			for k, v := range val {
				logs["val_"+k] = v
			}
		}
		bar.finish(logs)
		history.add(epoch, logs)
		for _, cb := range opts.Callbacks {
			action, err := cb.EpochEnd(m, epoch, logs)
			if err != nil {
				return history, fmt.Errorf("tfmodel: fit: epoch %d: callback: %w", epoch+1, err)
			}
			if action == Stop {
				return history, nil
			}
		}
	}
	return history, nil
}

// trainEpoch runs an epoch's steps from step first on, in the given order.
// Each step is a single session run: feed the batch's indices, fetch the
// running means. A resumed epoch (first > 0) keeps the running means the
// checkpoint restored.
func (m *Sequential) trainEpoch(ctx context.Context, epoch int, order []int32, batchSize, first int, bar *progbar, enders []BatchEnder) (Logs, error) {
	net := m.net
	if net.loop != nil {
		return m.trainEpochLoop(ctx, net.loop, epoch, order, batchSize, first, bar, enders)
	}
	if first == 0 {
		if _, err := m.session.Run(nil, nil, []*tf.Operation{net.trainReset}); err != nil {
			return nil, fmt.Errorf("tfmodel: fit: reset metrics: %w", err)
		}
	}
	logs := Logs{}
	fetches := net.trainResults
	for step, lo := first, first*batchSize; lo < len(order); step, lo = step+1, lo+batchSize {
		if err := ctx.Err(); err != nil {
			return logs, err
		}
		hi := min(lo+batchSize, len(order))
		batch, err := int32Tensor(order[lo:hi], int64(hi-lo))
		if err != nil {
			return logs, fmt.Errorf("tfmodel: fit: batch %d: %w", step+1, err)
		}
		out, err := m.session.Run(map[tf.Output]*tf.Tensor{net.batch: batch}, fetches, nil)
		m.weightsWritten()
		if err != nil {
			return logs, fmt.Errorf("tfmodel: fit: step %d: %w", step+1, err)
		}
		m.pos.Epoch, m.pos.Step = epoch, step+1
		logs = net.logs(out)
		bar.update(step+1, logs)
		for _, e := range enders {
			if err := e.BatchEnd(m, epoch, step+1, logs); err != nil {
				return logs, fmt.Errorf("tfmodel: fit: epoch %d, step %d: callback: %w", epoch+1, step+1, err)
			}
		}
	}
	m.pos.Epoch, m.pos.Step = epoch+1, 0
	return logs, nil
}

// newRun is the runState of a Fit starting now on examples examples (before
// the validation split): its settings, with the optimizer's learning rate
// and step count as the model holds them.
func (m *Sequential) newRun(opts FitOptions, examples int) (runState, error) {
	adam := m.net.optState
	optimizer, err := optimizerSetting(m.compiled.Optimizer)
	if err != nil {
		return runState{}, fmt.Errorf("tfmodel: fit: %w", err)
	}
	out, err := m.session.Run(nil, []tf.Output{adam.Iterations.Value, adam.LearningRate.Value}, nil)
	if err != nil {
		return runState{}, fmt.Errorf("tfmodel: fit: read optimizer state: %w", err)
	}
	return runState{
		settings: TrainingSettings{
			BatchSize: opts.BatchSize, Shuffle: opts.Shuffle, Seed: opts.Seed,
			ValidationSplit: opts.ValidationSplit, Examples: examples,
			LearningRate: out[1].Value().(float32),
			Optimizer:    optimizer,
		},
		epochs:        opts.Epochs,
		initialEpoch:  opts.InitialEpoch,
		baseIteration: out[0].Value().(int64),
	}, nil
}

// endCallbacks tells every TrainEnder that training ended with err.
func (m *Sequential) endCallbacks(callbacks []Callback, err error) {
	for _, cb := range callbacks {
		if e, ok := cb.(TrainEnder); ok {
			e.TrainEnd(m, err)
		}
	}
}

// upload copies the training data into the session's data variables, once
// per Fit, so that steps need not copy examples.
// Examples that are bytes over 255 go in as their bytes (scaledBytes).
func (m *Sequential) upload(x tensor.Float32, y tensor.Tensor) error {
	codes, _ := scaledBytes(x.Data)
	return m.uploadAs(x, codes, y)
}

// uploadAs is upload with the examples' bytes found (codes), or nil to
// keep the floats; the other variable of examples gets none.
func (m *Sequential) uploadAs(x tensor.Float32, codes []uint8, y tensor.Tensor) error {
	asBytes := codes != nil
	floatData, floatDims := x.Data, dims64(x.Shape)
	byteDims := append([]int64{0}, floatDims[1:]...)
	if asBytes { // the bytes get the examples' shape, the floats none
		floatData, floatDims, byteDims = nil, byteDims, floatDims
	}
	floats, err := float32Tensor(floatData, floatDims...)
	if err != nil {
		return fmt.Errorf("tfmodel: fit: examples: %w", err)
	}
	bytes, err := uint8Tensor(codes, byteDims...)
	if err != nil {
		return fmt.Errorf("tfmodel: fit: examples: %w", err)
	}
	which, err := tf.NewTensor(asBytes)
	if err != nil {
		return fmt.Errorf("tfmodel: fit: examples: %w", err)
	}
	yt, err := tensorOf(y)
	if err != nil {
		return fmt.Errorf("tfmodel: fit: targets: %w", err)
	}
	feeds := map[tf.Output]*tf.Tensor{m.net.loadX: floats, m.net.loadBytes: bytes, m.net.loadAsBytes: which, m.net.loadY: yt}
	_, err = m.session.Run(feeds, nil, []*tf.Operation{m.net.load})
	// The fed copy of the examples is as large as the data set: free its
	// C memory now, not when the garbage collector gets to it (measured:
	// ~190 MB less peak RSS on Fashion-MNIST as floats).
	releaseFeeds(feeds)
	if err != nil {
		return fmt.Errorf("tfmodel: fit: load data: %w", err)
	}
	m.bytesResident = asBytes
	return nil
}

// Order is the order in which Fit visits n examples in the given epoch:
// a permutation drawn from (seed, epoch) when shuffling, 0..n-1 otherwise.
// It depends on nothing else, so a run resumed at any epoch, or another
// program, sees the same batches.
func Order(seed uint64, epoch, n int, shuffle bool) []int32 {
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	if shuffle {
		r := rand.New(rand.NewPCG(seed, uint64(epoch)))
		r.Shuffle(n, func(i, j int) { order[i], order[j] = order[j], order[i] })
	}
	return order
}

// batchEnders are the callbacks that want to hear of every step.
func batchEnders(callbacks []Callback) []BatchEnder {
	var enders []BatchEnder
	for _, cb := range callbacks {
		if e, ok := cb.(BatchEnder); ok {
			enders = append(enders, e)
		}
	}
	return enders
}

func (o FitOptions) validate() error {
	switch {
	case o.Epochs <= 0:
		return fmt.Errorf("epochs %d must be positive", o.Epochs)
	case o.BatchSize <= 0:
		return fmt.Errorf("batch size %d must be positive (Keras's default is 32)", o.BatchSize)
	case o.InitialEpoch < 0 || o.InitialEpoch >= o.Epochs:
		return fmt.Errorf("initial epoch %d must be in [0, %d)", o.InitialEpoch, o.Epochs)
	case !(o.ValidationSplit >= 0 && o.ValidationSplit < 1):
		return fmt.Errorf("validation split %g must be in [0, 1)", o.ValidationSplit)
	}
	return nil
}
