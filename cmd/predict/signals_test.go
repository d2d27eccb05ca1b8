package main

import (
	"bytes"
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// runInterruptible returns run's status when run returns, and otherwise
// stops waiting for it: grace after a first signal, at once on a second.
func TestRunInterruptible(t *testing.T) {
	const never = time.Hour // a grace that would hang the test if waited for
	for _, tc := range []struct {
		name     string
		signals  int           // sent once run has started
		grace    time.Duration // after the first signal
		honours  bool          // run returns when its context is cancelled
		want     int
		wantText string
	}{
		{"no signal", 0, never, false, 7, ""},
		{"run stops by itself", 1, never, true, 7, ""},
		{"run stuck past the grace", 1, time.Millisecond, false, exitInterrupted, "predict: interrupted\n"},
		{"a second signal", 2, never, false, exitInterrupted, "predict: interrupted\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			signals := make(chan os.Signal, 2)
			started := make(chan struct{})
			stuck := make(chan struct{}) // what a stuck run waits on; closed when the test ends
			defer close(stuck)
			run := func(ctx context.Context) int {
				close(started)
				switch {
				case tc.signals == 0:
				case tc.honours:
					<-ctx.Done()
				default:
					<-stuck
				}
				return 7
			}
			go func() {
				<-started
				for range tc.signals {
					signals <- syscall.SIGTERM
				}
			}()
			var stderr bytes.Buffer
			done := make(chan int, 1)
			go func() { done <- runInterruptible(signals, tc.grace, &stderr, run) }()
			select {
			case code := <-done:
				assert.Equal(t, tc.want, code)
				assert.Equal(t, tc.wantText, stderr.String())
			case <-time.After(time.Minute): // failure guard only
				t.Fatal("runInterruptible did not return")
			}
		})
	}
}
