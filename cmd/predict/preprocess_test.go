package main

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/loader"
)

// grey returns a w×h grey image filled with bg and, if r is not empty, r
// filled with fg.
func grey(w, h int, bg uint8, r image.Rectangle, fg uint8) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Rect, image.NewUniform(color.Gray{bg}), image.Point{}, draw.Src)
	draw.Draw(img, r, image.NewUniform(color.Gray{fg}), image.Point{}, draw.Src)
	return img
}

// brightBox returns the bounding box of the output pixels above 0.5.
func brightBox(out []float32) image.Rectangle {
	var r image.Rectangle
	for i, v := range out {
		if v > 0.5 {
			r = r.Union(image.Rect(i%loader.Cols, i/loader.Cols, i%loader.Cols+1, i/loader.Cols+1))
		}
	}
	return r
}

// assertCanvas checks that out is a 28×28 image in [0, 1] whose bright part
// is exactly want and whose pixels outside it are black padding or close to.
func assertCanvas(t *testing.T, out []float32, want image.Rectangle) {
	t.Helper()
	require.Len(t, out, loader.ImageSize)
	assert.Equal(t, want, brightBox(out), "the garment's box in the 28×28 image")
	for i, v := range out {
		p := image.Pt(i%loader.Cols, i/loader.Cols)
		require.True(t, v >= 0 && v <= 1, "pixel %v = %v outside [0, 1]", p, v)
		if !p.In(want.Inset(-1)) { // one pixel of resampling blur allowed
			require.Zero(t, v, "pixel %v outside the garment should be background", p)
		}
	}
}

func TestPreprocessFitsAndCentres(t *testing.T) {
	// A 10×20 garment scaled so its longer side fills 28 rows: 14×28,
	// centred at columns 7–20.
	tall := image.Rect(7, 0, 21, 28)
	// A 60×20 garment: 28×9, centred at rows 10–18 (the odd margin's
	// extra row on top).
	wide := image.Rect(0, 10, 28, 19)
	for _, tc := range []struct {
		name string
		img  image.Image
		want image.Rectangle
	}{
		{"dark on light is inverted", grey(40, 40, 255, image.Rect(15, 10, 25, 30), 0), tall},
		{"light on dark is kept", grey(40, 40, 0, image.Rect(15, 10, 25, 30), 255), tall},
		{"off-centre garment is centred", grey(90, 50, 255, image.Rect(2, 3, 12, 23), 0), tall},
		{"wide garment keeps its aspect ratio", grey(100, 100, 255, image.Rect(20, 40, 80, 60), 0), wide},
		{"large photo is scaled down", grey(3000, 2000, 255, image.Rect(600, 400, 2400, 1000), 0), wide},
		{"small image is scaled up", grey(8, 8, 255, image.Rect(3, 2, 5, 6), 0), tall},
		{"garment touching the edges", grey(20, 40, 255, image.Rect(5, 0, 15, 40), 0), image.Rect(11, 0, 18, 28)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assertCanvas(t, preprocess(tc.img), tc.want)
		})
	}
}

func TestPreprocessLevels(t *testing.T) {
	// A grey backdrop (200) becomes Fashion-MNIST's black; the garment (20)
	// keeps its contrast to it: (235 - 55) / 200 after inversion.
	out := preprocess(grey(40, 40, 200, image.Rect(15, 10, 25, 30), 20))
	assert.Zero(t, out[0], "backdrop")
	assert.InDelta(t, 0.9, out[14*loader.Cols+14], 1e-3, "garment")
}

func TestPreprocessBlankImage(t *testing.T) {
	out := preprocess(grey(30, 30, 255, image.Rectangle{}, 0))
	assert.Equal(t, make([]float32, loader.ImageSize), out, "a blank picture is all background")
}

func TestPreprocessAlpha(t *testing.T) {
	// A black garment on a transparent background whose hidden colour is
	// black too: shown over white, it is dark on light.
	transparent := image.NewNRGBA(image.Rect(0, 0, 40, 40))
	draw.Draw(transparent, image.Rect(15, 10, 25, 30), image.NewUniform(color.Black), image.Point{}, draw.Src)
	assertCanvas(t, preprocess(transparent), image.Rect(7, 0, 21, 28))

	// Half-transparent black over white is mid grey: 127.5 after inversion.
	half := image.NewNRGBA(image.Rect(0, 0, 40, 40))
	draw.Draw(half, image.Rect(15, 10, 25, 30), image.NewUniform(color.NRGBA{0, 0, 0, 128}), image.Point{}, draw.Src)
	out := preprocess(half)
	assert.InDelta(t, 0.5, out[14*loader.Cols+14], 0.01)
	assert.Zero(t, out[0])
}

func TestPreprocessColour(t *testing.T) {
	// A red shirt on white: grey by luma, 0.299×255 ≈ 76, inverted.
	img := image.NewRGBA(image.Rect(0, 0, 30, 30))
	draw.Draw(img, img.Rect, image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(10, 5, 20, 25), image.NewUniform(color.RGBA{255, 0, 0, 255}), image.Point{}, draw.Src)
	out := preprocess(img)
	assert.InDelta(t, 1-0.299, out[14*loader.Cols+14], 1e-3)
	assert.Zero(t, out[0])
}

// A Fashion-MNIST image saved dark on light, as a user's picture would be,
// comes back as it was: Fashion-MNIST was made the same way, so trimming and
// fitting find its 28 pixels again. Its centring convention is not quite
// consistent, so a shift of a pixel is allowed.
func TestPreprocessFashionMNISTRoundTrip(t *testing.T) {
	data, err := loader.Load("")
	require.NoError(t, err, "the Fashion-MNIST test set is needed (Debian's dataset-fashion-mnist or the Keras cache)")
	for _, i := range []int{0, 1, 2, 42} {
		orig := data.Test.Image(i)
		inverted := image.NewGray(image.Rect(0, 0, loader.Cols, loader.Rows))
		for j, v := range orig {
			inverted.Pix[j] = 255 - v
		}
		decoded, err := decodeImage(encodePNG(t, inverted))
		require.NoError(t, err)
		out := preprocess(decoded)
		best := math.Inf(1)
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				best = min(best, meanAbsDiff(orig, out, dx, dy))
			}
		}
		assert.Less(t, best, 0.001, "test image %d (%s): mean absolute difference", i, loader.ClassName(int(data.Test.Labels[i])))
	}
}

// meanAbsDiff compares Fashion-MNIST bytes with an output shifted by
// (dx, dy), what is shifted out counting as background.
func meanAbsDiff(orig []uint8, out []float32, dx, dy int) float64 {
	sum := 0.0
	for y := range loader.Rows {
		for x := range loader.Cols {
			got := 0.0
			if sx, sy := x+dx, y+dy; sx >= 0 && sx < loader.Cols && sy >= 0 && sy < loader.Rows {
				got = float64(out[sy*loader.Cols+sx])
			}
			sum += math.Abs(got - float64(orig[y*loader.Cols+x])/255)
		}
	}
	return sum / loader.ImageSize
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, img))
	return b.Bytes()
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}))
	return b.Bytes()
}

// pngHeader returns the start of a PNG whose header claims w×h pixels: all
// DecodeConfig reads, and a cheap way to a file that would be enormous.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32([]byte("IHDR"), w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 0, 0, 0, 0) // 8-bit grey, no interlace
	b.Write(binary.BigEndian.AppendUint32(nil, uint32(len(ihdr)-4)))
	b.Write(ihdr)
	b.Write(binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(ihdr)))
	return b.Bytes()
}

func TestReadImage(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, data, 0o644))
		return path
	}
	garment := grey(30, 20, 255, image.Rect(10, 5, 20, 15), 0)
	var gifData bytes.Buffer
	require.NoError(t, gif.Encode(&gifData, garment, nil))
	goodPNG := encodePNG(t, garment)

	big := filepath.Join(dir, "big.png")
	f, err := os.Create(big)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(maxFileBytes+1)) // sparse: no disk used
	require.NoError(t, f.Close())

	for _, tc := range []struct {
		name    string
		path    string
		wantErr string // "" for success
		is      error
	}{
		{"PNG", write("ok.png", goodPNG), "", nil},
		{"JPEG", write("ok.jpg", encodeJPEG(t, garment)), "", nil},
		{"PNG named .jpg", write("png.jpg", goodPNG), "", nil},
		{"empty", write("empty.png", nil), "empty file", errEmpty},
		{"text", write("notes.png", []byte("these are not pixels\n")), "not a PNG or JPEG image", errNotImage},
		{"GIF", write("anim.gif", gifData.Bytes()), "not a PNG or JPEG image", errNotImage},
		{"enormous", write("huge.png", pngHeader(20000, 20000)), "image of 20000×20000 pixels is larger than the 50 megapixel limit", nil},
		{"enormous strip", write("strip.png", pngHeader(1<<30, 1)), "image of 1073741824×1 pixels is larger than the 50 megapixel limit", nil},
		{"truncated", write("cut.png", goodPNG[:len(goodPNG)/2]), "corrupt PNG image: ", nil},
		{"header only", write("head.png", pngHeader(30, 20)), "corrupt PNG image: unexpected EOF", nil},
		{"too many bytes", big, "file of 67108865 bytes is larger than the 64 MiB limit", nil},
		{"directory", dir, "is a directory, not an image file", nil},
		{"missing", filepath.Join(dir, "nope.png"), "no such file or directory", fs.ErrNotExist},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img, err := readImage(tc.path)
			if tc.wantErr == "" {
				require.NoError(t, err)
				assert.Equal(t, image.Rect(0, 0, 30, 20), img.Bounds())
				assertCanvas(t, preprocess(img), image.Rect(0, 0, 28, 28))
				return
			}
			require.Error(t, err)
			assert.Nil(t, img)
			assert.Contains(t, err.Error(), tc.wantErr)
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
		})
	}
}

// BenchmarkPhoto measures a 12-megapixel phone photo from bytes to model
// input: decoding dominates; the working copy keeps the rest small.
func BenchmarkPhoto(b *testing.B) {
	photo := image.NewRGBA(image.Rect(0, 0, 4000, 3000))
	draw.Draw(photo, photo.Rect, image.NewUniform(color.RGBA{230, 225, 220, 255}), image.Point{}, draw.Src)
	draw.Draw(photo, image.Rect(1200, 500, 2800, 2600), image.NewUniform(color.RGBA{40, 60, 120, 255}), image.Point{}, draw.Src)
	data := encodeJPEG(b, photo)
	b.ResetTimer()
	for b.Loop() {
		img, err := decodeImage(data)
		if err != nil {
			b.Fatal(err)
		}
		preprocess(img)
	}
}
