package plot_test

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/plot"
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

// garment is a synthetic image: a bright rectangle on black, like a
// Fashion-MNIST trouser.
func garment() []uint8 {
	img := make([]uint8, plot.ImageSide*plot.ImageSide)
	for y := 4; y < 24; y++ {
		for x := 10; x < 18; x++ {
			img[y*plot.ImageSide+x] = 255
		}
	}
	return img
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

type rgba = color.RGBA

func rgb(r, g, b uint8) color.RGBA { return color.RGBA{R: r, G: g, B: b, A: 0xff} }
