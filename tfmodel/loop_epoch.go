package tfmodel

import (
	"context"
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
)

// trainEpochLoop is trainEpoch in chunks: each session run trains up to
// loop.k whole batches through loop; the epoch's last batch, when the
// batch size does not divide the examples, takes the per-step path (XLA
// compiles for one batch size). Chunks end on the multiples of loop.k,
// so a run resumed at any step joins the uninterrupted run's chunks at the
// next multiple. Where chunks split changes nothing: without XLA the same
// kernels run in the same order as per step, and with XLA every chunk is
// the same compiled program (see feeds).
//
// The progress bar and BatchEnder callbacks hear of each chunk's last
// step, as Keras's on_train_batch_end with steps_per_execution, and a
// cancelled ctx takes effect between chunks: a chunk is the unit of
// interruption and of checkpoints.
func (m *Sequential) trainEpochLoop(ctx context.Context, loop *trainLoop, epoch int, order []int32, batchSize, first int, bar *progbar, enders []BatchEnder) (Logs, error) {
	net := m.net
	if first == 0 {
		if _, err := m.session.Run(nil, nil, []*tf.Operation{net.trainReset}); err != nil {
			return nil, fmt.Errorf("tfmodel: fit: reset metrics: %w", err)
		}
	}
	over := loop.over(m.bytesResident)
	full := len(order) / batchSize
	steps := ceilDiv(len(order), batchSize)
	logs := Logs{}
	for step := first; step < steps; {
		if err := ctx.Err(); err != nil {
			return logs, err
		}
		var (
			out  []*tf.Tensor
			err  error
			next int
		)
		if step < full {
			next = min((step/loop.k+1)*loop.k, full)
			var indices, count *tf.Tensor
			if indices, count, err = loop.feeds(order[step*batchSize:next*batchSize], batchSize); err != nil {
				return logs, fmt.Errorf("tfmodel: fit: batches %d-%d: %w", step+1, next, err)
			}
			out, err = m.session.Run(map[tf.Output]*tf.Tensor{loop.indices: indices, loop.steps: count}, over.results, nil)
		} else {
			next = step + 1
			var batch *tf.Tensor
			if batch, err = int32Tensor(order[step*batchSize:], int64(len(order)-step*batchSize)); err != nil {
				return logs, fmt.Errorf("tfmodel: fit: batch %d: %w", next, err)
			}
			out, err = m.session.Run(map[tf.Output]*tf.Tensor{net.batch: batch}, net.trainResults, nil)
		}
		m.weightsWritten()
		if err != nil {
			return logs, fmt.Errorf("tfmodel: fit: steps %d-%d: %w", step+1, next, err)
		}
		step = next
		m.pos.Epoch, m.pos.Step = epoch, step
		logs = net.logs(out)
		bar.update(step, logs)
		for _, e := range enders {
			if err := e.BatchEnd(m, epoch, step, logs); err != nil {
				return logs, fmt.Errorf("tfmodel: fit: epoch %d, step %d: callback: %w", epoch+1, step, err)
			}
		}
	}
	m.pos.Epoch, m.pos.Step = epoch+1, 0
	return logs, nil
}

// feeds are the loop's feeds for the batches of indices (whole batches).
// For XLA, always the same number of rows, the unused ones zero, so that
// one compiled program serves every chunk: at least two, since XLA
// compiles a loop over a single row differently (the last bits of the
// results differ), and a run must compute alike whatever its chunks.
func (l *trainLoop) feeds(indices []int32, batchSize int) (rows, count *tf.Tensor, err error) {
	steps := len(indices) / batchSize
	if k := max(l.k, 2); l.jit && steps < k {
		padded := make([]int32, k*batchSize)
		copy(padded, indices)
		indices = padded
	}
	if rows, err = int32Tensor(indices, int64(len(indices)/batchSize), int64(batchSize)); err != nil {
		return nil, nil, err
	}
	count, err = tf.NewTensor(int32(steps))
	return rows, count, err
}
