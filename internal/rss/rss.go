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
	"time"
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

// Settle collects garbage and gives finalizers time to run. The TensorFlow
// Go bindings free graphs and tensors in finalizers, so C memory that Go
// has let go of is only returned once they ran.
func Settle() {
	for range 3 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}
