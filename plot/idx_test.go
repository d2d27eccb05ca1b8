package plot_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/loader"
	"github.com/gokeras/fashion/tensor"
)

// fashionData is the real data set, loaded once for the package's tests.
var fashionData = sync.OnceValues(func() (*loader.Dataset, error) { return loader.Load("") })

// fashion returns the first n images and labels of a Fashion-MNIST split
// ("train" or "t10k"): the images as raw 0..255 values and scaled to
// [0, 1] as the model takes them, both [n 28 28].
func fashion(t testing.TB, split string, n int) (raw, scaled tensor.Float32, labels []uint8) {
	t.Helper()
	d, err := fashionData()
	require.NoError(t, err, "the real Fashion-MNIST is needed: run scripts/libtensorflow-install.sh")
	s := d.Test
	if split == "train" {
		s = d.Train
	}
	shape := []int{n, loader.Rows, loader.Cols}
	raw = tensor.Float32{Shape: shape, Data: make([]float32, n*loader.ImageSize)}
	for i, v := range s.Images[:n*loader.ImageSize] {
		raw.Data[i] = float32(v)
	}
	first := loader.Split{Images: s.Images[:n*loader.ImageSize], Labels: s.Labels[:n]}
	scaled = first.ScaledTensor()
	return raw, scaled, s.Labels[:n]
}
