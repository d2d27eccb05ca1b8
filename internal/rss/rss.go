// Package rss reads the resident set size of the running process, the
// figure the memory tests watch: TensorFlow allocates in C, out of sight of
// Go's own memory statistics.
package rss

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Current returns the process's resident set size in bytes, from Linux's
// /proc/self/statm.
func Current() (int64, error) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, fmt.Errorf("rss: %w", err)
	}
	fields := strings.Fields(string(b))
	if len(fields) < 2 {
		return 0, fmt.Errorf("rss: /proc/self/statm: unexpected %q", b)
	}
	pages, err := strconv.ParseInt(fields[1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("rss: /proc/self/statm: %w", err)
	}
	return pages * int64(os.Getpagesize()), nil
}

// Settle collects garbage and waits until the finalizers it queued have
// given back what they hold. The TensorFlow Go bindings free graphs,
// sessions' graphs and tensors in finalizers, so C memory that Go has let go
// of is only returned once they ran, one at a time in one goroutine; after
// hundreds of model loads that takes a while. Each round drops a sentinel
// with a finalizer of its own and waits for that event rather than for a
// guessed time, then looks at malloc's bytes in use: Settle returns once a
// round gave back less than 64 KiB (at least three rounds, at most 200),
// after handing malloc's free pages back to the system (TrimMalloc), so
// that the resident set it leaves counts what is in use.
// (The sentinel is 32 bytes: Go's tiny allocator, for smaller objects, may
// never finalize.)
func Settle() {
	last := MallocInUse()
	for round := 0; round < 200; round++ {
		done := make(chan struct{})
		sentinel := new([32]byte)
		runtime.SetFinalizer(sentinel, func(*[32]byte) { close(done) })
		sentinel = nil
		runtime.GC()
		<-done
		now := MallocInUse()
		if round >= 2 && last-now < 64<<10 {
			TrimMalloc()
			return
		}
		last = now
	}
	TrimMalloc()
}
