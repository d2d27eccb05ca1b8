package plot_test

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/tensor"
)

// The exact colours the tutorial prescribes; bars are axis-aligned, so
// their inside is painted with these exact values, unblended.
var (
	red   = color.RGBA{R: 0xff, A: 0xff}
	blue  = color.RGBA{B: 0xff, A: 0xff}
	grey  = color.RGBA{R: 0x77, G: 0x77, B: 0x77, A: 0xff}
	white = color.RGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}
	black = color.RGBA{A: 0xff}
)

// decode opens a written figure and checks it is a PNG of the documented
// size.
func decode(t *testing.T, path string, w, h int) image.Image {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err, "%s is not a valid PNG", path)
	require.Equal(t, image.Rect(0, 0, w, h), img.Bounds(), "%s has the wrong size", path)
	return img
}

// count returns how many pixels of img inside r are exactly c.
func count(img image.Image, r image.Rectangle, c color.RGBA) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if color.RGBAModel.Convert(img.At(x, y)).(color.RGBA) == c {
				n++
			}
		}
	}
	return n
}

// requireNotBlank guards against a figure that is all background: at
// least frac of its pixels must be something other than white.
func requireNotBlank(t *testing.T, img image.Image, frac float64) {
	t.Helper()
	b := img.Bounds()
	other := b.Dx()*b.Dy() - count(img, b, white)
	require.Greater(t, float64(other), frac*float64(b.Dx()*b.Dy()), "figure is (nearly) blank")
}

// side is the width and height of the synthetic images, Fashion-MNIST's.
const side = 28

// garment is a synthetic image, [28 28] scaled to [0, 1]: a bright
// rectangle on black, like a Fashion-MNIST trouser.
func garment() tensor.Float32 {
	img := make([]float32, side*side)
	for y := 4; y < 24; y++ {
		for x := 10; x < 18; x++ {
			img[y*side+x] = 1
		}
	}
	return tensor.Float32{Shape: []int{side, side}, Data: img}
}

// garments is n garments, [n 28 28].
func garments(n int) tensor.Float32 {
	g := garment()
	var data []float32
	for range n {
		data = append(data, g.Data...)
	}
	return tensor.Float32{Shape: []int{n, side, side}, Data: data}
}

// onehotish returns probabilities with most mass on top, some on second.
func onehotish(top, second int) []float32 {
	p := make([]float32, len(classNames))
	for i := range p {
		p[i] = 0.1 / float32(len(p)-2)
	}
	p[top], p[second] = 0.6, 0.3
	return p
}

// vector is probs as a [C] tensor.
func vector(probs []float32) tensor.Float32 {
	return tensor.Float32{Shape: []int{len(probs)}, Data: probs}
}

// batch is rows as an [N C] tensor.
func batch(rows [][]float32) tensor.Float32 {
	var data []float32
	for _, r := range rows {
		data = append(data, r...)
	}
	c := 0
	if len(rows) > 0 {
		c = len(rows[0])
	}
	return tensor.Float32{Shape: []int{len(rows), c}, Data: data}
}

type rgba = color.RGBA

func rgb(r, g, b uint8) color.RGBA { return color.RGBA{R: r, G: g, B: b, A: 0xff} }
