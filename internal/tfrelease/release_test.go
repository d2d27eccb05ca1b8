package tfrelease_test

import (
	"bytes"
	"fmt"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/internal/rss"
	"github.com/gokeras/fashion/internal/tfrelease"
)

// TestReleaseFreesNow: 100 tensors of 8 MiB, each released when made,
// leave the C heap where it was; a released tensor, released again, is
// left alone (no double free).
func TestReleaseFreesNow(t *testing.T) {
	const size = 8 << 20
	data := make([]byte, size)
	before := rss.MallocInUse()
	for range 100 {
		x, err := tf.ReadTensor(tf.Float, []int64{size / 4}, bytes.NewReader(data))
		require.NoError(t, err)
		require.True(t, tfrelease.Release(x))
		require.False(t, tfrelease.Release(x), "already released")
	}
	assert.Less(t, rss.MallocInUse()-before, int64(4*size), "800 MiB were allocated: all but a few freed")
}

func TestReleaseKinds(t *testing.T) {
	for _, c := range []struct {
		name  string
		value any
	}{
		{"scalar", int32(3)},
		{"matrix", [][]float32{{1, 2}, {3, 4}}},
		{"string", "not a flat buffer"},
		{"empty", []float32{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			x, err := tf.NewTensor(c.value)
			require.NoError(t, err)
			assert.True(t, tfrelease.Release(x))
		})
	}
	assert.True(t, tfrelease.Release(nil, nil), "nothing to release")
}

// A session's output is a tensor like any other: released after its
// values are read.
func ExampleRelease() {
	x, _ := tf.NewTensor([]float32{1, 2, 3})
	v := x.Value().([]float32) // a Go copy
	fmt.Println(tfrelease.Release(x), v[0]+v[2])
	// x's memory is free: x must not be used again.
	// Output: true 4
}
