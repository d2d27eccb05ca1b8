package savedmodel_test

import (
	"path/filepath"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	tg "github.com/galeone/tfgo"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/savedmodel"
)

// TestTfgoLoadsOurSavedModel is the path of an existing tfgo program: it
// loads the model tfmodel.Save wrote with tg.LoadModel, feeds and fetches
// tensors by name, and gets exactly what savedmodel.Load predicts.
func TestTfgoLoadsOurSavedModel(t *testing.T) {
	ts := loadTestSet(t, 500)
	dir := filepath.Join(t.TempDir(), "model")
	trainAndSave(t, dir, ts)

	m, err := savedmodel.Load(dir)
	require.NoError(t, err)
	defer m.Close()
	want, err := predictImages(m, ts.images, ts.n)
	require.NoError(t, err)

	model := tg.LoadModel(dir, []string{savedmodel.ServeTag}, nil)
	images, err := tf.NewTensor(ts.images)
	require.NoError(t, err)
	require.NoError(t, images.Reshape([]int64{int64(ts.n), 28, 28}))
	out := model.Exec([]tf.Output{model.Op("probabilities", 0)}, map[tf.Output]*tf.Tensor{model.Op("images", 0): images})
	rows := out[0].Value().([][]float32)
	require.Len(t, rows, ts.n)
	var got []float32
	for _, r := range rows {
		got = append(got, r...)
	}
	assertSameFloats(t, want, got, "tfgo's LoadModel")
}
