package tfmodel_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/loader"
	"github.com/gokeras/fashion/tfmodel"
)

// fashion is the real data set, loaded once for the package's tests.
type fashion struct {
	data          *loader.Dataset
	trainX, testX []float32
	trainY, testY []uint8
}

var (
	fashionOnce sync.Once
	fashionData fashion
	fashionErr  error
)

func loadFashion(t testing.TB) fashion {
	t.Helper()
	fashionOnce.Do(func() {
		d, err := loader.Load("")
		if err != nil {
			fashionErr = err
			return
		}
		fashionData = fashion{data: d, trainX: d.Train.Scaled(), trainY: d.Train.Labels, testX: d.Test.Scaled(), testY: d.Test.Labels}
	})
	require.NoError(t, fashionErr, "the real Fashion-MNIST is needed: run scripts/libtensorflow-install.sh (it installs Debian's dataset-fashion-mnist)")
	return fashionData
}

// newTutorialModel is the tutorial's model, compiled with the given seed.
func newTutorialModel(t testing.TB, seed int64) *tfmodel.Sequential {
	t.Helper()
	m, err := tfmodel.NewSequential(tfmodel.Flatten(28, 28), tfmodel.Dense(128, "relu"), tfmodel.Dense(10, "softmax"))
	require.NoError(t, err)
	opts := tfmodel.DefaultCompileOptions()
	opts.Seed = seed
	require.NoError(t, m.Compile(opts))
	t.Cleanup(func() { m.Close() })
	return m
}
