package plot

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"gonum.org/v1/plot/palette/brewer"
)

// colormap maps [0, 1] to colours by linear interpolation between evenly
// spaced anchors. A handful of anchors is enough for the perceptually
// uniform maps used here: the error against a 256-entry table is below one
// grey level in the flat parts and invisible in a figure.
type colormap []color.RGBA

// at returns the colour for t, clamping t to [0, 1] so rounding at the ends
// of a range never indexes outside the anchors.
func (m colormap) at(t float64) color.RGBA {
	if math.IsNaN(t) || t <= 0 {
		return m[0]
	}
	if t >= 1 {
		return m[len(m)-1]
	}
	pos := t * float64(len(m)-1)
	i := int(pos)
	f := pos - float64(i)
	a, b := m[i], m[i+1]
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + f*(float64(y)-float64(x)))) }
	return color.RGBA{R: mix(a.R, b.R), G: mix(a.G, b.G), B: mix(a.B, b.B), A: 255}
}

// viridis is matplotlib's default colormap, which the tutorial's first
// figure uses, given by its colours at 0, 0.1, …, 1.
func viridis() colormap {
	return colormap{
		{0x44, 0x01, 0x54, 0xff},
		{0x48, 0x24, 0x75, 0xff},
		{0x41, 0x44, 0x87, 0xff},
		{0x35, 0x5f, 0x8d, 0xff},
		{0x2a, 0x78, 0x8e, 0xff},
		{0x21, 0x91, 0x8c, 0xff},
		{0x22, 0xa8, 0x84, 0xff},
		{0x44, 0xbf, 0x70, 0xff},
		{0x7a, 0xd1, 0x51, 0xff},
		{0xbd, 0xdf, 0x26, 0xff},
		{0xfd, 0xe7, 0x25, 0xff},
	}
}

// blues is the ColorBrewer sequential blue scale, matplotlib's "Blues",
// the usual choice for confusion matrices: light for rare, dark for common.
func blues() (colormap, error) {
	p, err := brewer.GetPalette(brewer.TypeSequential, "Blues", 9)
	if err != nil {
		return nil, fmt.Errorf("loading the Blues palette: %w", err)
	}
	var m colormap
	for _, c := range p.Colors() {
		m = append(m, color.RGBAModel.Convert(c).(color.RGBA))
	}
	return m, nil
}

// binaryImage renders pixels scaled to [0, 1] the way matplotlib's binary
// colormap does: 0 is white and 1 black, so the light-on-dark
// Fashion-MNIST garments appear dark on white. The scale is fixed rather
// than stretched to each image's range, as imshow would, so that pictures
// side by side compare; for an image spanning 0..1 the two agree.
func binaryImage(p picture) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, p.w, p.h))
	for i, v := range p.pix {
		img.Pix[i] = 255 - uint8(math.Round(255*clamp01(float64(v))))
	}
	return img
}

// mappedImage colours p's values through m, lo at the bottom of the
// colormap and hi at its top, as plt.imshow does without a cmap argument.
func mappedImage(p picture, lo, hi float64, m colormap) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, p.w, p.h))
	for i, v := range p.pix {
		c := m.at((float64(v) - lo) / (hi - lo))
		img.Pix[4*i+0], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = c.R, c.G, c.B, c.A
	}
	return img
}

func clamp01(v float64) float64 { return min(max(v, 0), 1) }

// gradient is a one-pixel-wide vertical strip of m, top = 1, for colour bars.
func gradient(m colormap) *image.RGBA {
	const n = 256
	img := image.NewRGBA(image.Rect(0, 0, 1, n))
	for y := range n {
		img.SetRGBA(0, y, m.at(1-(float64(y)+0.5)/n))
	}
	return img
}
