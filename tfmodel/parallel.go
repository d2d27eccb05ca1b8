package tfmodel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// inferenceRuns is how many prediction runs go at a time: two per core.
// A batch's predictions do not depend on the others', and a batch of 32
// keeps less than two cores busy: measured on two cores, the tutorial's
// 10,000 test images predicted two runs at a time took 0.6-0.75x the time
// of one run after another, per batch and in XLA's chunks alike; with
// Threads.IntraOp 1 (each op in its run's thread) 0.5x. A run also spends
// part of its time outside TensorFlow's kernels (the feeds copied in and
// the results out, the executor's setup), which a second run per core
// fills: four runs at a time against two on the same two cores (Intel
// Xeon, alternated twice), per-batch prediction 416-428k images/s against
// 322-344k, evaluation 317-338k against 286-288k, XLA's chunks 822-887k
// against 749-758k predicting and 775-784k against 664-696k evaluating;
// six or eight at a time did no better than four.
func (m *Sequential) inferenceRuns() int {
	if m.runsAtOnce > 0 {
		return m.runsAtOnce
	}
	return 2 * runtime.NumCPU()
}

// inParallel calls run(0), ..., run(n-1), up to parallel of them at a
// time from goroutines of their own, each taking the next index when it is
// done. After a call fails no more start; the error returned is the
// failed call's of the lowest index.
func inParallel(n, parallel int, run func(i int) error) error {
	return spread(n, parallel, func(worker func()) { go worker() }, run)
}

// spread is inParallel with the workers started by start, which runs
// each worker somewhere and returns.
func spread(n, parallel int, start func(worker func()), run func(i int) error) error {
	errs := make([]error, n)
	var next atomic.Int64 // the next index to take
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range min(parallel, n) {
		wg.Add(1)
		start(func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n && !failed.Load(); i = int(next.Add(1)) - 1 {
				if errs[i] = run(i); errs[i] != nil {
					failed.Store(true)
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
