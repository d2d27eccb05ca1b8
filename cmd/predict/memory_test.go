package main

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pngChunk is one PNG chunk: length, type, data, CRC.
func pngChunk(typ string, data []byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	b = append(b, typ...)
	b = append(b, data...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(append([]byte(typ), data...)))
}

// pngIHDR is a PNG's signature and header: w×h pixels, 8 bits per channel
// of colour type ct (0 grey, 2 RGB, 6 RGBA), interlaced if asked.
func pngIHDR(w, h uint32, ct byte, interlaced bool) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, ct, 0, 0, 0)
	if interlaced {
		ihdr[12] = 1
	}
	return append([]byte("\x89PNG\r\n\x1a\n"), pngChunk("IHDR", ihdr)...)
}

// zeros reads as endless zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// blackStripPNG is a complete, valid w×h black greyscale PNG, made without
// holding its pixels: the 1×50,000,000 strip is 100 MB of zero rows
// that deflate to 97 KB.
func blackStripPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	var idat bytes.Buffer
	zw := zlib.NewWriter(&idat)
	_, err := io.CopyN(zw, zeros{}, int64(h)*(1+int64(w))) // each row: filter byte 0, then w zero pixels
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	b := pngIHDR(uint32(w), uint32(h), 0, false)
	b = append(b, pngChunk("IDAT", idat.Bytes())...)
	return append(b, pngChunk("IEND", nil)...)
}

// adam7PNG encodes img as an interlaced RGBA PNG, which Go's encoder does
// not write: each of Adam7's seven passes is a small image of its own, with
// unfiltered rows.
func adam7PNG(t testing.TB, img *image.NRGBA) []byte {
	t.Helper()
	var raw bytes.Buffer
	w, h := img.Rect.Dx(), img.Rect.Dy()
	for _, p := range adam7 {
		if int64(w) <= p.x0 || int64(h) <= p.y0 {
			continue
		}
		for y := int(p.y0); y < h; y += int(p.dy) {
			raw.WriteByte(0)
			for x := int(p.x0); x < w; x += int(p.dx) {
				raw.Write(img.Pix[img.PixOffset(x, y):][:4])
			}
		}
	}
	var idat bytes.Buffer
	zw := zlib.NewWriter(&idat)
	_, err := zw.Write(raw.Bytes())
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	b := pngIHDR(uint32(w), uint32(h), 6, true)
	b = append(b, pngChunk("IDAT", idat.Bytes())...)
	return append(b, pngChunk("IEND", nil)...)
}

// jpegSOF is the start of a JPEG, up to its frame header: all that
// DecodeConfig and imageCost read. sof is the marker (0xc0 baseline, 0xc2
// progressive), hv each component's sampling factors.
func jpegSOF(sof byte, w, h uint16, hv ...byte) []byte {
	seg := []byte{8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), byte(len(hv))}
	for i, f := range hv {
		seg = append(seg, byte(i+1), f, 0)
	}
	// SOI, a JFIF APP0 (without which DecodeConfig reads on to the scan),
	// SOF.
	b := []byte{0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 0xff, sof}
	b = binary.BigEndian.AppendUint16(b, uint16(2+len(seg)))
	return append(b, seg...)
}

// square draws a dark square on a w×h white image of the given type.
func square[T draw.Image](img T) T {
	r := img.Bounds()
	draw.Draw(img, r, image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(r.Dx()/3, r.Dy()/4, 2*r.Dx()/3, 3*r.Dy()/4), image.NewUniform(color.RGBA{32, 48, 96, 255}), image.Point{}, draw.Src)
	return img
}

// allocated returns the bytes f allocates on Go's heap.
func allocated(f func()) int64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return int64(after.TotalAlloc - before.TotalAlloc)
}

// imageCost must bound what decoding and preparing an image allocate, for
// every kind of image the two decoders produce, or maxImageBytes bounds
// nothing; and be close enough to it not to refuse good photos. The total
// allocated is more than the peak, so this checks a bound of the peak.
func TestImageCostBoundsAllocations(t *testing.T) {
	fixture := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(t, err)
		return data
	}
	alpha := square(image.NewNRGBA(image.Rect(0, 0, 700, 300)))
	for i := 3; i < len(alpha.Pix); i += 4 * 7 {
		alpha.Pix[i] = 128 // some translucency, so that the PNG keeps its alpha
	}
	alpha64 := image.NewNRGBA64(alpha.Rect)
	draw.Draw(alpha64, alpha.Rect, alpha, image.Point{}, draw.Src)
	paletted := image.NewPaletted(image.Rect(0, 0, 700, 300), color.Palette{color.White, color.Black, color.Gray{90}})
	draw.Draw(paletted, paletted.Rect, square(image.NewGray(paletted.Rect)), image.Point{}, draw.Src)
	colour := square(image.NewRGBA(image.Rect(0, 0, 700, 300)))

	for _, tc := range []struct {
		name    string
		data    []byte
		decoded string // the decoder's image type, to show which path was taken
	}{
		{"PNG grey", encodePNG(t, square(image.NewGray(image.Rect(0, 0, 700, 300)))), "*image.Gray"},
		{"PNG grey 16-bit", encodePNG(t, square(image.NewGray16(image.Rect(0, 0, 300, 700)))), "*image.Gray16"},
		{"PNG RGB", encodePNG(t, colour), "*image.RGBA"},
		{"PNG RGBA", encodePNG(t, alpha), "*image.NRGBA"},
		{"PNG RGB 16-bit", encodePNG(t, square(image.NewRGBA64(image.Rect(0, 0, 700, 300)))), "*image.RGBA64"},
		{"PNG RGBA 16-bit", encodePNG(t, alpha64), "*image.NRGBA64"},
		{"PNG palette", encodePNG(t, paletted), "*image.Paletted"},
		{"PNG interlaced", adam7PNG(t, alpha), "*image.NRGBA"},
		{"PNG small, not scaled", encodePNG(t, square(image.NewRGBA(image.Rect(0, 0, 120, 90)))), "*image.RGBA"},
		{"PNG tall strip", blackStripPNG(t, 3, 200_000), "*image.Gray"},
		{"PNG wide strip", blackStripPNG(t, 200_000, 3), "*image.Gray"},
		{"JPEG grey", encodeJPEG(t, square(image.NewGray(image.Rect(0, 0, 700, 300)))), "*image.Gray"},
		{"JPEG 4:2:0", encodeJPEG(t, colour), "*image.YCbCr"},
		{"JPEG tall strip", encodeJPEG(t, square(image.NewRGBA(image.Rect(0, 0, 5, 20000)))), "*image.YCbCr"},
		{"JPEG progressive 4:2:0", fixture("square-600x400-progressive-420.jpg"), "*image.YCbCr"},
		{"JPEG progressive 4:4:4", fixture("square-600x400-progressive-444.jpg"), "*image.YCbCr"},
		{"JPEG progressive grey", fixture("square-600x400-progressive-grey.jpg"), "*image.Gray"},
		{"JPEG CMYK", fixture("square-600x400-cmyk.jpg"), "*image.CMYK"},
		{"JPEG progressive CMYK", fixture("square-600x400-progressive-cmyk.jpg"), "*image.CMYK"},
		{"JPEG RGB", fixture("square-600x400-rgb.jpg"), "*image.RGBA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, format, err := image.DecodeConfig(bytes.NewReader(tc.data))
			require.NoError(t, err)
			estimate := imageCost(tc.data, cfg, format) - int64(len(tc.data)) // the file is read already
			var img image.Image
			var out []float32
			got := allocated(func() {
				if img, err = decodeImage(tc.data); err == nil {
					out = preprocess(img)
				}
			})
			require.NoError(t, err)
			assert.Equal(t, tc.decoded, fmt.Sprintf("%T", img))
			assert.Len(t, out, 28*28)
			assert.LessOrEqual(t, got, estimate, "allocated %s, estimated %s", byteSize(got), byteSize(estimate))
			// Within a quarter and the fixed allowances: an estimate far
			// above the truth would refuse photos that fit.
			assert.LessOrEqual(t, estimate, got*5/4+decoderOverhead+prepareOverhead,
				"estimated %s, allocated %s", byteSize(estimate), byteSize(got))
		})
	}
}

// What the memory bound refuses, before decoding, and what it lets
// through: the error names the size and what was expected.
func TestDecodeImageMemoryBound(t *testing.T) {
	for _, tc := range []struct {
		name    string
		data    []byte
		wantErr string // the whole message; "" for an image the bound accepts
	}{
		{"the issue's strip", blackStripPNG(t, 1, 50_000_000),
			"image of 1×50000000 pixels would take 3.0 GiB of memory to decode and prepare, more than the 256 MiB limit per image"},
		{"a wide strip", pngIHDR(50_000_000, 1, 0, false),
			"image of 50000000×1 pixels would take 1.6 GiB of memory to decode and prepare, more than the 256 MiB limit per image"},
		{"48 megapixels of RGBA", pngIHDR(8000, 6000, 6, false),
			"image of 8000×6000 pixels would take 281.7 MiB of memory to decode and prepare, more than the 256 MiB limit per image"},
		{"48 megapixels of grey", pngIHDR(8000, 6000, 0, false), ""},
		{"28 megapixels of RGB", pngIHDR(7000, 4000, 2, false), ""},
		{"28 megapixels of RGB, interlaced", pngIHDR(7000, 4000, 2, true),
			"image of 7000×4000 pixels would take 280.4 MiB of memory to decode and prepare, more than the 256 MiB limit per image"},
		{"a 50-megapixel phone JPEG", jpegSOF(0xc0, 8160, 6120, 0x22, 0x11, 0x11), ""},
		{"the same, progressive", jpegSOF(0xc2, 8160, 6120, 0x22, 0x11, 0x11),
			"image of 8160×6120 pixels would take 458.0 MiB of memory to decode and prepare, more than the 256 MiB limit per image"},
		{"a 12-megapixel progressive JPEG", jpegSOF(0xc2, 4000, 3000, 0x22, 0x11, 0x11), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			got := allocated(func() { _, err = decodeImage(tc.data) })
			if tc.wantErr == "" {
				// Past the bound, decoding starts, and stops at the end of
				// these headers.
				require.Error(t, err)
				assert.Regexp(t, `^corrupt (PNG|JPEG) image: `, err.Error())
				return
			}
			require.EqualError(t, err, tc.wantErr)
			assert.Less(t, got, int64(1<<20), "refused before decoding: allocated %s", byteSize(got))
		})
	}
}

func TestJPEGFrameOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		want jpegFrame
		ok   bool
	}{
		{"baseline 4:2:0", jpegSOF(0xc0, 64, 48, 0x22, 0x11, 0x11), jpegFrame{n: 3, h: [4]int64{2, 1, 1}, v: [4]int64{2, 1, 1}}, true},
		{"progressive grey", jpegSOF(0xc2, 64, 48, 0x11), jpegFrame{progressive: true, n: 1, h: [4]int64{1}, v: [4]int64{1}}, true},
		{"CMYK", jpegSOF(0xc1, 64, 48, 0x22, 0x11, 0x11, 0x22), jpegFrame{n: 4, h: [4]int64{2, 1, 1, 2}, v: [4]int64{2, 1, 1, 2}}, true},
		{"Go's encoder", encodeJPEG(t, image.NewRGBA(image.Rect(0, 0, 8, 8))), jpegFrame{n: 3, h: [4]int64{2, 1, 1}, v: [4]int64{2, 1, 1}}, true},
		{"arithmetic coding, which image/jpeg does not decode", jpegSOF(0xc9, 64, 48, 0x11), jpegFrame{}, false},
		{"sampling factor 0", jpegSOF(0xc0, 64, 48, 0x02, 0x11, 0x11), jpegFrame{}, false},
		{"cut short", jpegSOF(0xc0, 64, 48, 0x22, 0x11, 0x11)[:16], jpegFrame{}, false},
		{"not a JPEG", []byte("GIF89a"), jpegFrame{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := jpegFrameOf(tc.data)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.want, got)
		})
	}
	// Without a frame header the worst case is assumed, which is more.
	cfg := image.Config{ColorModel: color.YCbCrModel, Width: 4000, Height: 3000}
	assert.Greater(t, jpegCost(nil, cfg.ColorModel, 4000, 3000), jpegCost(jpegSOF(0xc2, 4000, 3000, 0x11, 0x11, 0x11), cfg.ColorModel, 4000, 3000))
}

// The file predict reads is bounded before reading, and read into a buffer
// of its size: reading it costs its size.
func TestReadFileAllocatesItsSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "photo.jpg")
	data := encodeJPEG(t, square(image.NewRGBA(image.Rect(0, 0, 1500, 1000))))
	require.NoError(t, os.WriteFile(path, data, 0o644))
	var got []byte
	var err error
	n := allocated(func() { got, err = readFile(path) })
	require.NoError(t, err)
	assert.Equal(t, data, got)
	assert.Less(t, n, int64(len(data))+64<<10, "one buffer of the file's size (%d bytes), not a growing one", len(data))
}
