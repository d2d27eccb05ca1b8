package tensorboard_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/tensorboard"
)

// Per-epoch logs of a three-epoch fit, with values float32 cannot hold
// exactly, so a float64 round trip would show.
var (
	loss        = []float64{0.4987654321, 0.3712345678, 0.3345678912}
	accuracy    = []float64{0.8241666555, 0.8651666641, 0.8775833249}
	valLoss     = []float64{0.4123456789, 0.3898765432, 0.3654321098}
	valAccuracy = []float64{0.8525000215, 0.8608333468, 0.8679166436}
	epochs      = []int64{0, 1, 2}
)

// TestPythonReadsEvents writes a Keras-style run and a bare writer, then has
// Python TensorFlow read every events file back (one Python process for the
// whole package, to keep the test lean).
func TestPythonReadsEvents(t *testing.T) {
	root := t.TempDir()
	graphDef, nodes := tinyGraph(t)

	// A Keras-style run: train and validation, graph in train at step 0.
	run, err := tensorboard.Open(filepath.Join(root, "fit"))
	require.NoError(t, err)
	require.NoError(t, run.Graph(graphDef))
	for i := range epochs {
		require.NoError(t, run.Epoch(i, map[string]float64{
			"loss": loss[i], "accuracy": accuracy[i],
			"val_loss": valLoss[i], "val_accuracy": valAccuracy[i],
		}))
	}
	require.NoError(t, run.Close())

	// A run without validation leaves no validation directory.
	trainOnly, err := tensorboard.Open(filepath.Join(root, "train_only"))
	require.NoError(t, err)
	require.NoError(t, trainOnly.Epoch(0, map[string]float64{"loss": 1.5}))
	require.NoError(t, trainOnly.Close())
	assert.NoDirExists(t, filepath.Join(root, "train_only", tensorboard.ValidationDir))

	// A bare writer, steps out of order and repeated, a graph at step 7.
	w, err := tensorboard.NewWriter(filepath.Join(root, "writer"))
	require.NoError(t, err)
	steps, values := []int64{10, 3, 3, 1 << 40}, []float64{-2.5, 1e-7, 3.4e38, 0.1}
	for i := range steps {
		require.NoError(t, w.Scalar("custom/metric", steps[i], values[i]))
	}
	require.NoError(t, w.Graph(7, graphDef))
	require.NoError(t, w.Close())

	ev := readEvents(t, root)

	assert.Equal(t, map[string]map[string][][2]float64{
		"fit/train": {
			"epoch_loss":     points(epochs, loss),
			"epoch_accuracy": points(epochs, accuracy),
		},
		"fit/validation": {
			"epoch_loss":     points(epochs, valLoss),
			"epoch_accuracy": points(epochs, valAccuracy),
		},
		"train_only/train": {"epoch_loss": points([]int64{0}, []float64{1.5})},
		"writer":           {"custom/metric": points(steps, values)},
	}, ev.Runs)
	assert.Empty(t, ev.Other, "summaries that are not scalars")

	assert.Equal(t, map[string]int{"fit/train": 1, "fit/validation": 0, "train_only/train": 0, "writer": 1}, ev.Graph)
	assert.Equal(t, map[string][]int64{"fit/train": {0}, "writer": {7}}, ev.GraphSteps)
	assert.Equal(t, nodes, ev.GraphNodes["fit/train"], "the graph's nodes")

	// One events file per run, named as TF2's tf.summary names them.
	for run, files := range ev.Files {
		if assert.Len(t, files, 1, run) {
			assert.True(t, strings.HasPrefix(files[0], "events.out.tfevents.") && strings.HasSuffix(files[0], ".v2"), "%s: %s", run, files[0])
		}
		assert.Equal(t, "brain.Event:2", ev.Version[run], run)
	}
}

// TestBadInput: every misuse is an error naming the directory, never a panic.
func TestBadInput(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))

	_, err := tensorboard.NewWriter("")
	assert.ErrorContains(t, err, "empty directory path")
	_, err = tensorboard.Open("")
	assert.ErrorContains(t, err, "empty log directory path")

	// A regular file in the way: unwritable whoever runs the test (root
	// ignores permission bits).
	_, err = tensorboard.NewWriter(filepath.Join(file, "logs"))
	assert.ErrorContains(t, err, filepath.Join(file, "logs"))
	_, err = tensorboard.Open(file)
	assert.ErrorContains(t, err, filepath.Join(file, tensorboard.TrainDir))

	dir := filepath.Join(root, "logs")
	w, err := tensorboard.NewWriter(dir)
	require.NoError(t, err)
	assert.Equal(t, dir, w.Dir())
	assert.ErrorContains(t, w.Scalar("", 0, 1), "empty tag")
	assert.ErrorContains(t, w.Graph(0, nil), "empty GraphDef")
	err = w.Graph(0, []byte("not a GraphDef"))
	if assert.Error(t, err, "TensorFlow parses the GraphDef") {
		assert.Contains(t, err.Error(), dir)
	}
	require.NoError(t, w.Scalar("ok", 0, 1), "a failed write leaves the writer usable")

	run, err := tensorboard.Open(filepath.Join(root, "run"))
	require.NoError(t, err)
	assert.ErrorContains(t, run.Epoch(-1, map[string]float64{"loss": 1}), "negative epoch")
	assert.ErrorContains(t, run.Epoch(0, map[string]float64{"val_": 1}), `bad metric name "val_"`)
	assert.ErrorContains(t, run.Epoch(0, map[string]float64{"": 1}), `bad metric name ""`)
	require.NoError(t, run.Epoch(0, nil), "no logs, nothing to write")
	require.NoError(t, run.Close())
	require.NoError(t, w.Close())
}

// TestClose: Close is idempotent and every later use is ErrClosed.
func TestClose(t *testing.T) {
	root := t.TempDir()
	graphDef, _ := tinyGraph(t)

	w, err := tensorboard.NewWriter(filepath.Join(root, "w"))
	require.NoError(t, err)
	require.NoError(t, w.Scalar("a", 0, 1))
	require.NoError(t, w.Flush())
	require.NoError(t, w.Close())
	require.NoError(t, w.Close(), "second Close")
	for name, err := range map[string]error{
		"Scalar": w.Scalar("a", 1, 2),
		"Graph":  w.Graph(0, graphDef),
		"Flush":  w.Flush(),
	} {
		assert.ErrorIs(t, err, tensorboard.ErrClosed, name)
		assert.ErrorContains(t, err, w.Dir(), name)
	}

	run, err := tensorboard.Open(filepath.Join(root, "run"))
	require.NoError(t, err)
	require.NoError(t, run.Epoch(0, map[string]float64{"loss": 1, "val_loss": 2}))
	require.NoError(t, run.Close())
	require.NoError(t, run.Close(), "second Close")
	assert.ErrorIs(t, run.Epoch(1, map[string]float64{"loss": 1}), tensorboard.ErrClosed)
	assert.ErrorIs(t, run.Epoch(1, map[string]float64{"val_loss": 1}), tensorboard.ErrClosed)
	assert.ErrorIs(t, run.Graph(graphDef), tensorboard.ErrClosed)
	_, err = run.Validation()
	assert.ErrorIs(t, err, tensorboard.ErrClosed)
}
