package serving

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
)

// BatchingParameters are TensorFlow Serving's batching parameters
// (session_bundle_config.proto's BatchingParameters), read from the file
// --batching_parameters_file names, in protobuf text format:
//
//	max_batch_size { value: 32 }
//	batch_timeout_micros { value: 2000 }
//	num_batch_threads { value: 2 }
//	max_enqueued_batches { value: 100 }
type BatchingParameters struct {
	// MaxBatchSize caps the rows of a merged batch; a request with more
	// rows is refused.
	MaxBatchSize int64
	// BatchTimeout is how long a batch waits for more requests after its
	// first before it runs, unless it fills first.
	BatchTimeout time.Duration
	// NumBatchThreads batches run at once.
	NumBatchThreads int
	// MaxEnqueuedBatches caps the batches waiting; a request that would
	// need another is refused with Unavailable.
	MaxEnqueuedBatches int
	// AllowedBatchSizes, if set, are the only batch sizes run: a batch is
	// padded (with copies of its first row) up to the next one. The last
	// must equal MaxBatchSize.
	AllowedBatchSizes []int64
	// ThreadPoolName is accepted and ignored.
	ThreadPoolName string
}

// DefaultBatchingParameters are TensorFlow's BasicBatchScheduler defaults.
func DefaultBatchingParameters() BatchingParameters {
	return BatchingParameters{
		MaxBatchSize: 1000, NumBatchThreads: runtime.GOMAXPROCS(0), MaxEnqueuedBatches: 10,
	}
}

func (p *BatchingParameters) validate() error {
	if p.MaxBatchSize <= 0 {
		return fmt.Errorf("serving: batching: max_batch_size must be positive, not %d", p.MaxBatchSize)
	}
	if p.BatchTimeout < 0 {
		return fmt.Errorf("serving: batching: batch_timeout_micros must not be negative")
	}
	if p.NumBatchThreads <= 0 {
		return fmt.Errorf("serving: batching: num_batch_threads must be positive, not %d", p.NumBatchThreads)
	}
	if p.MaxEnqueuedBatches <= 0 {
		return fmt.Errorf("serving: batching: max_enqueued_batches must be positive, not %d", p.MaxEnqueuedBatches)
	}
	if n := len(p.AllowedBatchSizes); n > 0 {
		for i, s := range p.AllowedBatchSizes {
			if s <= 0 || (i > 0 && s <= p.AllowedBatchSizes[i-1]) {
				return errors.New("serving: batching: allowed_batch_sizes must be positive and increasing")
			}
		}
		if p.AllowedBatchSizes[n-1] != p.MaxBatchSize {
			return fmt.Errorf("serving: batching: the last allowed_batch_sizes entry (%d) must equal max_batch_size (%d)", p.AllowedBatchSizes[n-1], p.MaxBatchSize)
		}
	}
	return nil
}

// ParseBatchingParameters reads BatchingParameters in protobuf text format;
// fields left out keep DefaultBatchingParameters' values.
func ParseBatchingParameters(text []byte) (BatchingParameters, error) {
	p := DefaultBatchingParameters()
	fields, err := parseTextProto(string(text))
	if err != nil {
		return p, fmt.Errorf("serving: batching parameters: %w", err)
	}
	for _, f := range fields {
		switch f.name {
		case "max_batch_size", "batch_timeout_micros", "num_batch_threads", "max_enqueued_batches", "max_execution_batch_size":
			v, err := f.wrappedInt()
			if err != nil {
				return p, fmt.Errorf("serving: batching parameters: %w", err)
			}
			switch f.name {
			case "max_batch_size":
				p.MaxBatchSize = v
			case "batch_timeout_micros":
				p.BatchTimeout = time.Duration(v) * time.Microsecond
			case "num_batch_threads":
				p.NumBatchThreads = int(v)
			case "max_enqueued_batches":
				p.MaxEnqueuedBatches = int(v)
			}
		case "allowed_batch_sizes":
			v, err := f.int()
			if err != nil {
				return p, fmt.Errorf("serving: batching parameters: %w", err)
			}
			p.AllowedBatchSizes = append(p.AllowedBatchSizes, v)
		case "thread_pool_name":
			if f.msg == nil {
				return p, fmt.Errorf("serving: batching parameters: thread_pool_name must be a message { value: \"...\" }")
			}
			for _, g := range f.msg {
				if g.name == "value" {
					p.ThreadPoolName = g.scalar
				}
			}
		case "pad_variable_length_inputs", "enable_large_batch_splitting":
			b, err := f.boolValue()
			if err != nil {
				return p, fmt.Errorf("serving: batching parameters: %w", err)
			}
			if b {
				return p, fmt.Errorf("serving: batching parameters: %s is not supported", f.name)
			}
		default:
			return p, fmt.Errorf("serving: batching parameters: unknown field %q", f.name)
		}
	}
	return p, p.validate()
}

// batchTask is one request waiting in a batch.
type batchTask struct {
	ctx    context.Context
	inputs map[string]*Tensor
	rows   int64
	done   chan batchResult // buffered: the worker never blocks on it
}

type batchResult struct {
	outs []*Tensor
	err  error
}

type batch struct {
	key   string
	sig   string
	fetch []string
	tasks []*batchTask
	rows  int64
	due   bool // full, timed out, or the batcher is closing
	timer *time.Timer
}

// batcher merges concurrent requests for the same signature, outputs and
// inner shapes into one run (TensorFlow Serving's BatchingSession on a
// shared batch scheduler).
type batcher struct {
	p   BatchingParameters
	run func(sig string, feeds map[string]*Tensor, fetch []string) ([]*Tensor, error)

	mu     sync.Mutex
	cond   *sync.Cond
	queue  []*batch          // FIFO of batches not yet taken by a worker
	open   map[string]*batch // the joinable batch of each key
	closed bool
	wg     sync.WaitGroup

	// stats, under mu
	batches, tasks int64
}

func newBatcher(p BatchingParameters, run func(sig string, feeds map[string]*Tensor, fetch []string) ([]*Tensor, error)) *batcher {
	b := &batcher{p: p, run: run, open: map[string]*batch{}}
	b.cond = sync.NewCond(&b.mu)
	for i := 0; i < p.NumBatchThreads; i++ {
		b.wg.Add(1)
		go b.worker()
	}
	return b
}

// batchKey groups requests that can share a run.
func batchKey(sig string, inputs map[string]*Tensor, fetch []string) string {
	names := make([]string, 0, len(inputs))
	for n := range inputs {
		names = append(names, n)
	}
	sort.Strings(names)
	var k strings.Builder
	k.WriteString(sig)
	k.WriteByte(0)
	k.WriteString(strings.Join(fetch, "\x01"))
	for _, n := range names {
		t := inputs[n]
		fmt.Fprintf(&k, "\x00%s:%d:%v", n, t.DType, t.Shape[1:])
	}
	return k.String()
}

// submit adds a request to a batch and waits for its rows of the outputs.
func (b *batcher) submit(ctx context.Context, sig string, inputs map[string]*Tensor, fetch []string) ([]*Tensor, error) {
	var rows int64
	for _, t := range inputs {
		rows = t.Shape[0]
		break
	}
	if rows > b.p.MaxBatchSize {
		return nil, errorf(InvalidArgument, "Task size %d is larger than maximum input batch size %d", rows, b.p.MaxBatchSize)
	}
	if ctx.Err() != nil {
		return nil, contextError(ctx)
	}
	task := &batchTask{ctx: ctx, inputs: inputs, rows: rows, done: make(chan batchResult, 1)}
	key := batchKey(sig, inputs, fetch)

	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, errorf(Unavailable, "The batch scheduler is closed")
	}
	bt := b.open[key]
	if bt != nil && bt.rows+rows > b.p.MaxBatchSize {
		b.markDue(bt)
		bt = nil
	}
	if bt == nil {
		if len(b.queue) >= b.p.MaxEnqueuedBatches {
			b.mu.Unlock()
			return nil, errorf(Unavailable, "The batch scheduling queue to which this task was submitted is full")
		}
		bt = &batch{key: key, sig: sig, fetch: fetch}
		b.queue = append(b.queue, bt)
		b.open[key] = bt
		if b.p.BatchTimeout <= 0 {
			bt.due = true
			b.cond.Signal()
		} else {
			bt.timer = time.AfterFunc(b.p.BatchTimeout, func() {
				b.mu.Lock()
				b.markDue(bt)
				b.mu.Unlock()
			})
		}
	}
	bt.tasks = append(bt.tasks, task)
	bt.rows += rows
	if bt.rows == b.p.MaxBatchSize {
		b.markDue(bt)
	}
	b.mu.Unlock()

	select {
	case r := <-task.done:
		return r.outs, r.err
	case <-ctx.Done():
		return nil, contextError(ctx)
	}
}

// markDue closes bt to new tasks and wakes a worker; b.mu must be held.
func (b *batcher) markDue(bt *batch) {
	if b.open[bt.key] == bt {
		delete(b.open, bt.key)
	}
	if !bt.due {
		bt.due = true
	}
	if bt.timer != nil {
		bt.timer.Stop()
	}
	b.cond.Broadcast()
}

func (b *batcher) worker() {
	defer b.wg.Done()
	b.mu.Lock()
	for {
		i := -1
		for j, bt := range b.queue {
			if bt.due || b.closed {
				i = j
				break
			}
		}
		if i < 0 {
			if b.closed {
				b.mu.Unlock()
				return
			}
			b.cond.Wait()
			continue
		}
		bt := b.queue[i]
		b.queue = append(b.queue[:i], b.queue[i+1:]...)
		if b.open[bt.key] == bt {
			delete(b.open, bt.key)
		}
		if bt.timer != nil {
			bt.timer.Stop()
		}
		b.batches++
		b.tasks += int64(len(bt.tasks))
		b.mu.Unlock()
		b.process(bt)
		b.mu.Lock()
	}
}

// process runs one batch and hands each task its rows.
func (b *batcher) process(bt *batch) {
	var live []*batchTask
	for _, t := range bt.tasks {
		if t.ctx.Err() != nil {
			t.done <- batchResult{err: contextError(t.ctx)}
			continue
		}
		live = append(live, t)
	}
	if len(live) == 0 {
		return
	}
	var rows int64
	for _, t := range live {
		rows += t.rows
	}
	padded := rows
	for _, s := range b.p.AllowedBatchSizes {
		if s >= rows {
			padded = s
			break
		}
	}
	feeds := map[string]*Tensor{}
	for name := range live[0].inputs {
		parts := make([]*Tensor, 0, len(live)+1)
		for _, t := range live {
			parts = append(parts, t.inputs[name])
		}
		if padded > rows {
			parts = append(parts, padRows(parts[0], padded-rows))
		}
		feeds[name] = concatRows(parts)
	}
	outs, err := b.run(bt.sig, feeds, bt.fetch)
	if err == nil {
		for i, o := range outs {
			if len(o.Shape) == 0 || o.Shape[0] != padded {
				err = errorf(FailedPrecondition, "Batched output tensor's 0th dimension does not equal the sum of the 0th dimension sizes of the input tensors (output %s has shape %s for %d rows)", bt.fetch[i], shapeString(o.Shape), padded)
				break
			}
		}
	}
	if err != nil {
		for _, t := range live {
			t.done <- batchResult{err: err}
		}
		return
	}
	var at int64
	for _, t := range live {
		mine := make([]*Tensor, len(outs))
		for i, o := range outs {
			mine[i] = o.rows(at, at+t.rows)
		}
		at += t.rows
		t.done <- batchResult{outs: mine}
	}
}

// padRows is n copies of the first row of t.
func padRows(t *Tensor, n int64) *Tensor {
	first := t.rows(0, 1)
	parts := make([]*Tensor, n)
	for i := range parts {
		parts[i] = first
	}
	return concatRows(parts)
}

// close runs what is queued and stops the workers.
func (b *batcher) close() {
	b.mu.Lock()
	b.closed = true
	for _, bt := range b.queue {
		bt.due = true
		if bt.timer != nil {
			bt.timer.Stop()
		}
	}
	b.cond.Broadcast()
	b.mu.Unlock()
	b.wg.Wait()
}

// BatchStats are a batcher's counts so far.
type BatchStats struct{ Batches, Requests int64 }

func (b *batcher) stats() BatchStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return BatchStats{b.batches, b.tasks}
}

// BatchStats returns the served version's batching counts: batches run
// and requests they held (zero without batching).
func (s *Server) BatchStats() BatchStats {
	s.mu.Lock()
	sv := s.current
	s.mu.Unlock()
	if sv == nil || sv.batcher == nil {
		return BatchStats{}
	}
	return sv.batcher.stats()
}
