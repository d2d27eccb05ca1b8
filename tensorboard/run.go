package tensorboard

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// The runs' subdirectories and the prefix of validation metrics in the
// logs, as Keras's TensorBoard callback names them.
const (
	TrainDir      = "train"
	ValidationDir = "validation"
	valPrefix     = "val_"
)

// Run is a training run's log directory laid out as Keras's TensorBoard
// callback lays it out: a train writer in logdir/train (metrics and the
// graph) and a validation writer in logdir/validation, made on the first
// validation metric so that a run without validation has no empty
// validation curve. Its methods may be called from several goroutines.
type Run struct {
	dir   string
	train *Writer

	mu         sync.Mutex
	validation *Writer
	closed     bool
}

// Open starts a run in logdir, creating logdir/train and its events file.
// Runs opened on the same logdir add events files next to the old ones,
// which TensorBoard reads as one run (as with Keras).
func Open(logdir string) (*Run, error) {
	if logdir == "" {
		return nil, errors.New("tensorboard: open: empty log directory path")
	}
	// NewWriter's errors name the directory.
	train, err := NewWriter(filepath.Join(logdir, TrainDir))
	if err != nil {
		return nil, err
	}
	return &Run{dir: logdir, train: train}, nil
}

// Dir is the run's log directory.
func (r *Run) Dir() string { return r.dir }

// Train is the writer of logdir/train.
func (r *Run) Train() *Writer { return r.train }

// Validation is the writer of logdir/validation, created on first use.
func (r *Run) Validation() (*Writer, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, fmt.Errorf("tensorboard: %s: validation writer: %w", r.dir, ErrClosed)
	}
	if r.validation == nil {
		w, err := NewWriter(filepath.Join(r.dir, ValidationDir))
		if err != nil {
			return nil, err
		}
		r.validation = w
	}
	return r.validation, nil
}

// validationIfAny is the validation writer, nil if not yet made.
func (r *Run) validationIfAny() *Writer {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.validation
}

// Graph writes the model's serialized GraphDef to the train run at step 0,
// where Keras writes its training graph.
func (r *Run) Graph(graphDef []byte) error { return r.train.Graph(0, graphDef) }

// Epoch writes one epoch's logs, Keras's logs dict: "loss", "accuracy", …
// go to the train run as epoch_loss, epoch_accuracy, …; "val_loss",
// "val_accuracy", … go to the validation run as epoch_loss,
// epoch_accuracy, …, so TensorBoard draws both in one chart per metric.
// The step is epoch, counted from 0 as Keras counts. The runs written to
// are flushed, so that a TensorBoard watching the directory shows each
// epoch as it ends.
func (r *Run) Epoch(epoch int, logs map[string]float64) error {
	if epoch < 0 {
		return fmt.Errorf("tensorboard: %s: epoch %d: negative epoch", r.dir, epoch)
	}
	names := make([]string, 0, len(logs))
	for name := range logs {
		if name == "" || name == valPrefix {
			return fmt.Errorf("tensorboard: %s: epoch %d: bad metric name %q", r.dir, epoch, name)
		}
		names = append(names, name)
	}
	// Sorted, so that the events files do not depend on map order.
	sort.Strings(names)
	used := map[*Writer]bool{}
	for _, name := range names {
		w, tag := r.train, name
		if rest, ok := strings.CutPrefix(name, valPrefix); ok {
			v, err := r.Validation()
			if err != nil {
				return err
			}
			w, tag = v, rest
		}
		// The writer's errors name its directory, the tag and the step.
		if err := w.Scalar("epoch_"+tag, int64(epoch), logs[name]); err != nil {
			return err
		}
		used[w] = true
	}
	for _, w := range []*Writer{r.train, r.validationIfAny()} {
		if used[w] {
			if err := w.Flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// Close closes both writers. Closing again does nothing and returns nil.
func (r *Run) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	err := r.train.Close()
	if r.validation != nil {
		err = errors.Join(err, r.validation.Close())
	}
	return err
}
