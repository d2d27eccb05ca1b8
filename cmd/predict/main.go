// Command predict classifies pictures of clothing with a model trained on
// Fashion-MNIST, such as the SavedModel cmd/train writes: it prepares each
// PNG or JPEG file to look like a Fashion-MNIST image and prints the most
// probable classes with their probabilities, as text or as JSON lines. It can
// also classify an image of the test set, to compare with its true class.
//
//	go run ./cmd/predict [-model out/model] [-json] [-top 3] [-test-index N] FILE...
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole command; it returns the exit status: 0 when every image
// was classified, 1 when some could not be (each is reported) or the model
// failed, 2 for a bad command line, found before any work starts.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, errHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "predict: %v\n", err)
		return 2
	}
	model, err := savedmodel.Load(cfg.modelDir)
	if err != nil {
		fmt.Fprintf(stderr, "predict: %v\n", err)
		return 1
	}
	defer model.Close()

	items, err := gather(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "predict: %v\n", err)
		return 1
	}
	if err := classify(model, items, cfg.top); err != nil {
		fmt.Fprintf(stderr, "predict: %v\n", err)
		return 1
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
