package tensorboard

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"
	"github.com/galeone/tensorflow/tensorflow/go/op"
	"google.golang.org/protobuf/proto"
)

// The events file's settings, those of Python's tf.summary.create_file_writer
// (which Keras's TensorBoard callback uses): up to 10 queued events, flushed
// at least every two minutes, and the ".v2" suffix that marks files written
// by the TF2 summary ops.
const (
	maxQueue       = 10
	flushMillis    = 120_000
	filenameSuffix = ".v2"
)

// ErrClosed is returned, wrapped with the writer's directory, by every
// write or flush after Close.
var ErrClosed = errors.New("writer is closed")

// writerCount numbers the writers' resources. Each session has a resource
// manager of its own, so names need not be unique, but a distinct name per
// writer rules out any sharing should that ever change.
var writerCount atomic.Int64

// Writer writes summaries to one events file in one directory (one
// TensorBoard "run"). Its methods may be called from several goroutines.
type Writer struct {
	dir string

	mu   sync.Mutex
	sess *tf.Session // nil once closed

	// Fed per call.
	tag, step, value, graphDef tf.Output
	// Run per call.
	writeScalar, writeGraph, flush, close *tf.Operation
}

// NewWriter creates dir if need be and opens a new events file in it,
// events.out.tfevents.<time>.<host>.<pid>.<n>.v2, which starts with the
// file-version record TensorBoard expects.
func NewWriter(dir string) (*Writer, error) {
	if dir == "" {
		return nil, errors.New("tensorboard: new writer: empty directory path")
	}
	// TensorFlow would create the directory too, but Go's error says more
	// plainly why it cannot (a file in the way, no permission).
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("tensorboard: new writer %s: %w", dir, err)
	}
	w := &Writer{dir: dir}
	g, create, err := w.build()
	if err != nil {
		return nil, fmt.Errorf("tensorboard: new writer %s: build graph: %w", dir, err)
	}
	sess, err := newSession(g)
	if err != nil {
		return nil, fmt.Errorf("tensorboard: new writer %s: %w", dir, err)
	}
	if _, err := sess.Run(nil, nil, []*tf.Operation{create}); err != nil {
		sess.Close()
		return nil, fmt.Errorf("tensorboard: new writer %s: create events file: %w", dir, err)
	}
	w.sess = sess
	return w, nil
}

// build adds the writer resource and its operations to a new graph and
// returns it with the operation that opens the events file.
func (w *Writer) build() (*tf.Graph, *tf.Operation, error) {
	s := op.NewScope()
	res := summaryWriter(s.SubScope("writer"), fmt.Sprintf("tensorboard_writer_%d", writerCount.Add(1)))

	c := s.SubScope("create")
	create := createSummaryFileWriter(c, res,
		op.Const(c.SubScope("logdir"), w.dir),
		op.Const(c.SubScope("max_queue"), int32(maxQueue)),
		op.Const(c.SubScope("flush_millis"), int32(flushMillis)),
		op.Const(c.SubScope("filename_suffix"), filenameSuffix))

	w.step = op.Placeholder(s.SubScope("step"), tf.Int64, op.PlaceholderShape(tf.ScalarShape()))
	w.tag = op.Placeholder(s.SubScope("tag"), tf.String, op.PlaceholderShape(tf.ScalarShape()))
	// float32, as Keras logs its metrics.
	w.value = op.Placeholder(s.SubScope("value"), tf.Float, op.PlaceholderShape(tf.ScalarShape()))
	w.graphDef = op.Placeholder(s.SubScope("graph_def"), tf.String, op.PlaceholderShape(tf.ScalarShape()))

	w.writeScalar = op.WriteScalarSummary(s.SubScope("scalar"), res, w.step, w.tag, w.value)
	w.writeGraph = op.WriteGraphSummary(s.SubScope("graph"), res, w.step, w.graphDef)
	w.flush = flushSummaryWriter(s.SubScope("flush"), res)
	w.close = closeSummaryWriter(s.SubScope("close"), res)

	g, err := s.Finalize()
	return g, create, err
}

// newSession opens a session on g that runs its ops in the caller's
// thread (a negative inter-op count): writing an event is a few
// microseconds of work. It leaves the intra-op count at TensorFlow's
// default: unless TF_OVERRIDE_GLOBAL_THREADPOOL is 1 (tfmodel sets it),
// TensorFlow keeps one intra-op pool per process, sized by the first
// session the process opens, so a writer opened before a model would
// otherwise decide the model's pool (one thread was set here once: a
// writer opened first made training single-threaded).
func newSession(g *tf.Graph) (*tf.Session, error) {
	config, err := sessionConfig()
	if err != nil {
		return nil, fmt.Errorf("session config: %w", err)
	}
	sess, err := tf.NewSession(g, &tf.SessionOptions{Config: config})
	if err != nil {
		return nil, fmt.Errorf("new session: %w", err)
	}
	return sess, nil
}

// sessionConfig is newSession's ConfigProto.
func sessionConfig() ([]byte, error) {
	return proto.Marshal(&for_core_protos_go_proto.ConfigProto{InterOpParallelismThreads: -1})
}

// Dir is the directory the writer writes to.
func (w *Writer) Dir() string { return w.dir }

// Scalar writes value under tag at step, as a float32 (as Keras logs its
// metrics). TensorBoard's Scalars tab plots a tag's values against step.
// The event is queued: Flush or Close writes it to disk.
func (w *Writer) Scalar(tag string, step int64, value float64) error {
	if tag == "" {
		return fmt.Errorf("tensorboard: %s: scalar at step %d: empty tag", w.dir, step)
	}
	feeds, err := feed(in{w.tag, tag}, in{w.step, step}, in{w.value, float32(value)})
	if err != nil {
		return fmt.Errorf("tensorboard: %s: scalar %q at step %d: %w", w.dir, tag, step, err)
	}
	if err := w.run(feeds, w.writeScalar); err != nil {
		return fmt.Errorf("tensorboard: %s: scalar %q at step %d: %w", w.dir, tag, step, err)
	}
	return nil
}

// Graph writes a serialized GraphDef, as (*tf.Graph).WriteTo produces it,
// for TensorBoard's Graphs tab. Keras writes its graph once, at step 0.
// TensorFlow parses graphDef first, so bytes that are not a GraphDef are an
// error.
func (w *Writer) Graph(step int64, graphDef []byte) error {
	if len(graphDef) == 0 {
		return fmt.Errorf("tensorboard: %s: graph at step %d: empty GraphDef", w.dir, step)
	}
	feeds, err := feed(in{w.step, step}, in{w.graphDef, string(graphDef)})
	if err != nil {
		return fmt.Errorf("tensorboard: %s: graph at step %d: %w", w.dir, step, err)
	}
	if err := w.run(feeds, w.writeGraph); err != nil {
		return fmt.Errorf("tensorboard: %s: graph at step %d: %w", w.dir, step, err)
	}
	return nil
}

// Flush writes the queued events to the events file.
func (w *Writer) Flush() error {
	if err := w.run(nil, w.flush); err != nil {
		return fmt.Errorf("tensorboard: %s: flush: %w", w.dir, err)
	}
	return nil
}

// Close flushes the queued events, closes the events file and releases the
// session. Closing again does nothing and returns nil; any other call after
// Close returns an error wrapping ErrClosed.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.sess == nil {
		return nil
	}
	// CloseSummaryWriter flushes too, but drops any error in doing so:
	// flushing first reports it.
	var errs []error
	if _, err := w.sess.Run(nil, nil, []*tf.Operation{w.flush}); err != nil {
		errs = append(errs, fmt.Errorf("flush: %w", err))
	}
	if _, err := w.sess.Run(nil, nil, []*tf.Operation{w.close}); err != nil {
		errs = append(errs, fmt.Errorf("close events file: %w", err))
	}
	if err := w.sess.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close session: %w", err))
	}
	w.sess = nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("tensorboard: %s: close: %w", w.dir, err)
	}
	return nil
}

// run runs target in the writer's session, or returns ErrClosed.
func (w *Writer) run(feeds map[tf.Output]*tf.Tensor, target *tf.Operation) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.sess == nil {
		return ErrClosed
	}
	_, err := w.sess.Run(feeds, nil, []*tf.Operation{target})
	return err
}

// in is one value to feed to a placeholder.
type in struct {
	placeholder tf.Output
	value       any
}

// feed makes the tensors for a session run's feeds.
func feed(ins ...in) (map[tf.Output]*tf.Tensor, error) {
	feeds := make(map[tf.Output]*tf.Tensor, len(ins))
	for _, i := range ins {
		t, err := tf.NewTensor(i.value)
		if err != nil {
			return nil, err
		}
		feeds[i.placeholder] = t
	}
	return feeds, nil
}
