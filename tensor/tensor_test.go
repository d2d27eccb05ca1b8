package tensor_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/tensor"
)

func TestShapes(t *testing.T) {
	tests := []struct {
		n     int
		shape []int
		err   string
	}{
		{6, []int{2, 3}, ""},
		{0, []int{0, 28, 28}, ""},
		{1, nil, ""},
		{5, []int{2, 3}, "shape [2 3] holds 6 values, the data has 5"},
		{6, []int{-2, -3}, "negative dimension"},
		{1, []int{1 << 40, 1 << 40}, "too large"},
	}
	for _, tt := range tests {
		_, err := tensor.NewFloat32(make([]float32, tt.n), tt.shape...)
		if tt.err == "" {
			assert.NoError(t, err, "%v", tt.shape)
			continue
		}
		assert.ErrorIs(t, err, tensor.ErrShape)
		assert.ErrorContains(t, err, tt.err)
	}
}

func TestSliceSharesStorage(t *testing.T) {
	x, err := tensor.NewFloat32([]float32{0, 1, 2, 3, 4, 5}, 3, 2)
	require.NoError(t, err)
	s := x.Slice(1, 3)
	assert.Equal(t, []int{2, 2}, s.Shape)
	assert.Equal(t, []float32{2, 3, 4, 5}, s.Data)
	s.Data[0] = 9
	assert.Equal(t, float32(9), x.Data[2], "a slice is a view, like image.Gray's SubImage")
	assert.Equal(t, []int{2}, x.Example())
	assert.Equal(t, 3, x.Len())

	y := tensor.Labels([]uint8{3, 1, 4})
	assert.Equal(t, []int{3}, y.Shape)
	assert.Equal(t, []int32{1, 4}, y.Slice(1, 3).Data)
	assert.Empty(t, y.Example())
}

func ExampleFormat() {
	fmt.Println(tensor.Format([]int{28, 28}, true), tensor.Format([]int{10}, false))
	// Output: (None, 28, 28) (10,)
}
