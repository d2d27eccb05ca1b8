package plot_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/loader"
)

// fashionData is the real data set, loaded once for the package's tests.
var fashionData = sync.OnceValues(func() (*loader.Dataset, error) { return loader.Load("") })

// fashion returns the first n images and labels of a Fashion-MNIST split
// ("train" or "t10k").
func fashion(t testing.TB, split string, n int) ([][]uint8, []uint8) {
	t.Helper()
	d, err := fashionData()
	require.NoError(t, err, "the real Fashion-MNIST is needed: run scripts/libtensorflow-install.sh")
	s := d.Test
	if split == "train" {
		s = d.Train
	}
	imgs := make([][]uint8, n)
	for i := range imgs {
		imgs[i] = s.Image(i)
	}
	return imgs, s.Labels[:n]
}
