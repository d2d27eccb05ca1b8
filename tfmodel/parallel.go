package tfmodel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// inferenceRuns is how many prediction runs go at a time: one per core.
// A batch's predictions do not depend on the others', and a batch of 32
// keeps less than two cores busy: measured on two cores, the tutorial's
// 10,000 test images predicted two runs at a time took 0.6-0.75x the time
// of one run after another, per batch and in XLA's chunks alike; with
// Threads.IntraOp 1 (each op in its run's thread) 0.5x.
func (m *Sequential) inferenceRuns() int {
	if m.runsAtOnce > 0 {
		return m.runsAtOnce
	}
	return runtime.NumCPU()
}

// inParallel calls run(0), ..., run(n-1), up to parallel of them at a
// time from goroutines of their own, each taking the next index when it is
// done. After a call fails no more start; the error returned is the
// failed call's of the lowest index.
func inParallel(n, parallel int, run func(i int) error) error {
	errs := make([]error, n)
	var next atomic.Int64 // the next index to take
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range min(parallel, n) {
		wg.Go(func() {
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
