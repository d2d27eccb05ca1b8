package tensorboard_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
	tg "github.com/galeone/tfgo"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/internal/pyenv"
)

// events is what testdata/read_events.py reads back from a log directory;
// runs are directories relative to it.
type events struct {
	Runs       map[string]map[string][][2]float64 `json:"runs"`
	Graph      map[string]int                     `json:"graph"`
	GraphSteps map[string][]int64                 `json:"graph_steps"`
	GraphNodes map[string][]string                `json:"graph_nodes"`
	Other      map[string][]string                `json:"other"`
	Files      map[string][]string                `json:"files"`
	Version    map[string]string                  `json:"version"`
}

// readEvents reads every events file under dir with Python TensorFlow's
// tf.compat.v1.train.summary_iterator. It fails, not skips, without the
// .venv: the point is that TensorFlow itself reads our files.
func readEvents(t *testing.T, dir string) events {
	t.Helper()
	if _, err := pyenv.Python(); err != nil {
		t.Fatalf("reading events files back needs Python TensorFlow: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := pyenv.Run(ctx, filepath.Join("testdata", "read_events.py"), dir)
	require.NoError(t, err)
	var ev events
	require.NoError(t, json.Unmarshal(out, &ev), "read_events.py output: %s", out)
	return ev
}

// tinyGraph builds y = x·w + b with tfgo and returns it serialized, as a
// caller would pass a model's graph to Graph, with its node names.
func tinyGraph(t *testing.T) ([]byte, []string) {
	t.Helper()
	root := tg.NewRoot()
	x := op.Placeholder(root.SubScope("x"), tf.Float, op.PlaceholderShape(tf.MakeShape(-1, 2)))
	y := tg.NewTensor(root, x).MatMul(tg.Const(root.SubScope("w"), [][]float32{{1}, {2}}))
	op.BiasAdd(root.SubScope("y"), y.Output, tg.Const(root.SubScope("b"), []float32{3}))
	g, err := root.Finalize()
	require.NoError(t, err)
	var buf bytes.Buffer
	_, err = g.WriteTo(&buf)
	require.NoError(t, err)
	var names []string
	for _, o := range g.Operations() {
		names = append(names, o.Name())
	}
	return buf.Bytes(), names
}

// points are the [step, value] pairs expected for a tag, with values as
// float32, as they are stored.
func points(steps []int64, values []float64) [][2]float64 {
	p := make([][2]float64, len(steps))
	for i := range steps {
		p[i] = [2]float64{float64(steps[i]), float64(float32(values[i]))}
	}
	return p
}
