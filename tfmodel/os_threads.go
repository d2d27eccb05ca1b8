package tfmodel

import (
	"runtime"
	"sync"
)

// osThreads are goroutines each locked to an OS thread of its own for as
// long as they live, running the functions handed to them: Predict's and
// Evaluate's session runs in the inference session.
//
// They must be threads that never run the training session. With oneDNN
// (TensorFlow's default on Intel CPUs) a MatMul keeps its compiled
// primitive in a cache per OS thread, keyed by shapes, not by the thread
// pool it was made for: a primitive made in a thread that ran a training
// step splits its work for the training session's pool of one thread per
// core, and run in the inference session, whose pool has one thread, it
// hands each piece to that thread and waits, instead of running in the
// caller's thread. Measured on an Intel Xeon (two cores), the tutorial's
// 10,000 test images at batch 32: per-batch prediction 420-460k images/s
// from Go's shared threads, 700-770k from threads of their own.
type osThreads struct {
	work    chan func()
	running sync.WaitGroup
}

// startOSThreads starts n threads; stop ends them.
func startOSThreads(n int) *osThreads {
	t := &osThreads{work: make(chan func())}
	for range n {
		t.running.Go(func() {
			// Never unlocked: the thread ends with the goroutine, and
			// TensorFlow's per-thread caches with it.
			runtime.LockOSThread()
			for f := range t.work {
				f()
			}
		})
	}
	return t
}

// run calls f in one of the threads, when one is free, and returns at
// once.
func (t *osThreads) run(f func()) { t.work <- f }

// stop ends the threads after the work they have taken, and waits.
func (t *osThreads) stop() {
	close(t.work)
	t.running.Wait()
}
