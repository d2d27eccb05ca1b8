// Command train runs the Keras tutorial "Basic classification: classify
// images of clothing" end to end on TensorFlow's kernels from Go: it loads
// Fashion-MNIST, builds and trains Flatten -> Dense(128, relu) ->
// Dense(10, softmax), evaluates it, makes the tutorial's predictions and
// plots, and saves the model as a SavedModel.
//
//	go run ./cmd/train [-epochs 10] [-out out/model] [-plots out/plots] ...
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// run goes on in its own goroutine so that main can end the process
	// when a signal finds run in something that does not watch ctx (see
	// interrupt.go).
	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	p := &phases{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, os.Args[1:], os.Stdout, os.Stderr, p) }()
	os.Exit(awaitExit(done, signals, cancel, p, os.Stderr, forceExitAfter, forceExitAfter/10))
}

// run is the whole command; it returns the exit status: 0 on success, 2 for
// a bad command line (before any work starts), 130 when SIGINT or SIGTERM
// interrupted training, 1 for any other failure. p, which may be nil, is
// told what it is doing.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, p *phases) int {
	p.enter("checking the command line", false)
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		if err != errHelp {
			fmt.Fprintf(stderr, "train: %v\n", err)
			return 2
		}
		return 0
	}
	if err := train(ctx, cfg, stdout, stderr, p); err != nil {
		fmt.Fprintf(stderr, "train: %v\n", err)
		if errors.Is(err, context.Canceled) {
			return exitInterrupted
		}
		return 1
	}
	return 0
}

// exitInterrupted is the status of a run stopped by SIGINT or SIGTERM, the
// shell's convention for SIGINT.
const exitInterrupted = 130
