package tfmodel_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/loader"
	"github.com/gokeras/fashion/tensor"
	"github.com/gokeras/fashion/tfmodel"
)

// fashion is the real data set, loaded once for the package's tests.
type fashion struct {
	data          *loader.Dataset
	trainX, testX tensor.Float32
	trainY, testY tensor.Int32
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
		fashionData = fashion{data: d, trainX: d.Train.ScaledTensor(), trainY: tensor.Labels(d.Train.Labels), testX: d.Test.ScaledTensor(), testY: tensor.Labels(d.Test.Labels)}
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

// first returns the first n examples and targets.
func first(x tensor.Float32, y tensor.Int32, n int) (tensor.Float32, tensor.Int32) {
	return x.Slice(0, n), y.Slice(0, n)
}
