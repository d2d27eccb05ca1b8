package loader

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestClassNames(t *testing.T) {
	names := ClassNames()
	assert.Equal(t, [NumClasses]string{
		"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
		"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
	}, names)

	names[0] = "changed"
	assert.Equal(t, "T-shirt/top", ClassNames()[0], "callers get a copy")

	for _, tc := range []struct {
		label int
		want  string
	}{
		{0, "T-shirt/top"}, {9, "Ankle boot"}, {10, "class 10"}, {-1, "class -1"},
	} {
		assert.Equal(t, tc.want, ClassName(tc.label))
	}
}

func TestScaled(t *testing.T) {
	s := Split{Images: make([]uint8, 2*ImageSize), Labels: []uint8{0, 1}}
	for i := range s.Images {
		s.Images[i] = uint8(i)
	}
	x := s.Scaled()
	assert.Len(t, x, 2*ImageSize)
	for i, v := range s.Images {
		// As NumPy divides (in float64) and TensorFlow then casts.
		assert.Equal(t, float32(float64(v)/255.0), x[i])
		assert.GreaterOrEqual(t, x[i], float32(0))
		assert.LessOrEqual(t, x[i], float32(1))
	}
	assert.Equal(t, float32(1), x[255])
	assert.Equal(t, uint8(1), s.Images[1], "Scaled leaves the bytes alone")

	xt := s.ScaledTensor()
	assert.Equal(t, []int{2, Rows, Cols}, xt.Shape)
	assert.Equal(t, x, xt.Data)
	assert.NoError(t, xt.Validate())
}

func TestSplitImage(t *testing.T) {
	s := Split{Images: make([]uint8, 3*ImageSize), Labels: make([]uint8, 3)}
	s.Images[2*ImageSize] = 42
	img := s.Image(2)
	assert.Len(t, img, ImageSize)
	assert.Equal(t, ImageSize, cap(img), "appending to a view cannot overwrite the next image")
	assert.Equal(t, uint8(42), img[0])
	assert.Equal(t, 3, s.Len())
}

func TestSourceString(t *testing.T) {
	for _, tc := range []struct {
		src  Source
		want string
	}{
		{Source{FromDir, "/d"}, "directory /d"},
		{Source{FromKerasCache, "/h/.keras/datasets/fashion-mnist"}, "Keras cache /h/.keras/datasets/fashion-mnist"},
		{Source{FromSystem, SystemDir}, "Debian package dataset-fashion-mnist " + SystemDir},
		{Source{FromDownload, "/c"}, "downloaded into /c"},
	} {
		assert.Equal(t, tc.want, tc.src.String())
	}
}
