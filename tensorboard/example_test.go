package tensorboard_test

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"

	"github.com/gokeras/fashion/tensorboard"
)

// Example logs a two-epoch fit the way Keras's TensorBoard callback does:
// the graph once, then each epoch's logs, split into train and validation
// runs. "tensorboard --logdir" on the directory shows the curves and graph.
func Example() {
	logdir, err := os.MkdirTemp("", "logs")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(logdir)

	// The model's graph, serialized as TensorBoard's Graphs tab reads it.
	s := op.NewScope()
	x := op.Placeholder(s.SubScope("x"), tf.Float)
	op.Relu(s, x)
	g, err := s.Finalize()
	if err != nil {
		log.Fatal(err)
	}
	var graphDef bytes.Buffer
	if _, err := g.WriteTo(&graphDef); err != nil {
		log.Fatal(err)
	}

	run, err := tensorboard.Open(logdir)
	if err != nil {
		log.Fatal(err)
	}
	if err := run.Graph(graphDef.Bytes()); err != nil {
		log.Fatal(err)
	}
	history := []map[string]float64{
		{"loss": 0.50, "accuracy": 0.82, "val_loss": 0.41, "val_accuracy": 0.85},
		{"loss": 0.37, "accuracy": 0.87, "val_loss": 0.39, "val_accuracy": 0.86},
	}
	for epoch, logs := range history {
		if err := run.Epoch(epoch, logs); err != nil {
			log.Fatal(err)
		}
	}
	if err := run.Close(); err != nil {
		log.Fatal(err)
	}

	for _, sub := range []string{tensorboard.TrainDir, tensorboard.ValidationDir} {
		files, err := filepath.Glob(filepath.Join(logdir, sub, "events.out.tfevents.*"))
		if err != nil {
			log.Fatal(err)
		}
		for _, f := range files {
			fmt.Println(sub, strings.HasSuffix(f, ".v2"))
		}
	}
	// Output:
	// train true
	// validation true
}
