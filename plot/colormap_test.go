package plot

import (
	"image/color"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestColormap(t *testing.T) {
	v := viridis()
	b, err := blues()
	require.NoError(t, err)
	tests := []struct {
		name string
		m    colormap
		at   float64
		want color.RGBA
	}{
		{"viridis bottom", v, 0, color.RGBA{0x44, 0x01, 0x54, 0xff}},
		{"viridis middle", v, 0.5, color.RGBA{0x21, 0x91, 0x8c, 0xff}},
		{"viridis top", v, 1, color.RGBA{0xfd, 0xe7, 0x25, 0xff}},
		{"viridis clamps below", v, -3, color.RGBA{0x44, 0x01, 0x54, 0xff}},
		{"viridis clamps above", v, 7, color.RGBA{0xfd, 0xe7, 0x25, 0xff}},
		{"viridis NaN", v, math.NaN(), color.RGBA{0x44, 0x01, 0x54, 0xff}},
		{"viridis between anchors", v, 0.05, color.RGBA{0x46, 0x13, 0x65, 0xff}},
		{"blues bottom", b, 0, color.RGBA{0xf7, 0xfb, 0xff, 0xff}},
		{"blues top", b, 1, color.RGBA{0x08, 0x30, 0x6b, 0xff}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.m.at(tt.at))
		})
	}
}

func TestBinaryImage(t *testing.T) {
	pix := make([]float32, 28*28)
	pix[0], pix[1] = 1, float32(100.0/255)
	img := binaryImage(picture{h: 28, w: 28, pix: pix})
	assert.Equal(t, uint8(0), img.GrayAt(0, 0).Y, "full intensity is black")
	assert.Equal(t, uint8(155), img.GrayAt(1, 0).Y)
	assert.Equal(t, uint8(255), img.GrayAt(2, 0).Y, "background is white")

	// Every raw pixel value, scaled as the loader scales it, gets the
	// grey it had when this package took raw bytes.
	for v := range 256 {
		img := binaryImage(picture{h: 1, w: 1, pix: []float32{float32(float64(v) / 255)}})
		require.Equal(t, uint8(255-v), img.Pix[0], "pixel %d", v)
	}
}
