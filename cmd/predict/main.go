// Command predict classifies pictures of clothing with a model trained on
// Fashion-MNIST, such as the SavedModel cmd/train writes: it prepares each
// PNG or JPEG file to look like a Fashion-MNIST image and prints the most
// probable classes with their probabilities, as text or as JSON lines. It can
// also classify an image of the test set, to compare with its true class.
//
//	go run ./cmd/predict [-model out/model] [-json] [-top 3] [-test-index N] [-trust-model] FILE...
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/gokeras/fashion/savedmodel"
)

func main() {
	quietTensorFlow()
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	os.Exit(runInterruptible(signals, interruptGrace, os.Stderr, func(ctx context.Context) int {
		return run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	}))
}

// run is the whole command; it returns the exit status: 0 when every image
// was classified, 1 when some could not be (each is reported) or the model
// failed, 2 for a bad command line, found before any work starts, and
// exitInterrupted when ctx is cancelled, which it looks at between steps.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, errHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "predict: %v\n", err)
		return 2
	}
	load := savedmodel.Load
	if cfg.trustModel {
		load = savedmodel.LoadTrusted
	}
	loaded, err := load(cfg.modelDir)
	if err != nil {
		fmt.Fprintf(stderr, "predict: %v\n", loadError(cfg.modelDir, err))
		return 1
	}
	defer loaded.Close()
	image, err := imageShape(loaded)
	if err != nil {
		fmt.Fprintf(stderr, "predict: %v\n", err)
		return 1
	}
	var model predictor = loaded
	if hanging, ok := hangFromEnv(stderr); ok {
		model = hanging
	}

	interrupted := func() int {
		fmt.Fprintln(stderr, "predict: interrupted")
		return exitInterrupted
	}
	if ctx.Err() != nil {
		return interrupted()
	}
	items, err := gather(ctx, cfg)
	if ctx.Err() != nil {
		return interrupted()
	}
	if err != nil {
		fmt.Fprintf(stderr, "predict: %v\n", err)
		return 1
	}
	if err := classify(model, image, items, cfg.top); err != nil {
		fmt.Fprintf(stderr, "predict: %v\n", err)
		return 1
	}
	if ctx.Err() != nil {
		return interrupted()
	}
	failed, err := report(stdout, stderr, items, cfg.json)
	if err != nil {
		fmt.Fprintf(stderr, "predict: writing the results: %v\n", err)
		return 1
	}
	if failed > 0 {
		return 1
	}
	return 0
}

// loadError rewords savedmodel's refusal of a model with ops that reach
// outside the process for the command line: its advice names Go API
// (LoadTrusted, LoadOptions.AllowOps), a user needs the flag.
func loadError(dir string, err error) error {
	var op *savedmodel.OpError
	if !errors.As(err, &op) {
		return err
	}
	where := fmt.Sprintf("node %q", op.Node)
	if op.Function != "" {
		where += fmt.Sprintf(" of function %q", op.Function)
	}
	why := "is not on the allow-list of pure computation ops"
	if op.Reason != "" {
		why = op.Reason
	}
	return fmt.Errorf("-model %s: not run: op %s (%s, reached from %s) %s, and could act outside the model "+
		"(files, network, processes); a SavedModel is a program: rerun with -trust-model only if you trust "+
		"the model's author as you would trust a program from them", dir, op.Op, where, op.Root, why)
}
