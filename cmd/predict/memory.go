package main

import (
	"fmt"
	"image"
	"image/color"
	"math"
)

// maxImageBytes bounds the memory one image may cost: its file's bytes,
// held while it is decoded, what the decoder allocates, and what preprocess
// allocates after it (imageCost). Images are prepared one after another and
// their garbage collected in between (collectLargeGarbage), so this is also
// what images add to predict's peak, on top of the model and TensorFlow.
//
// 256 MiB takes the photos phones and cameras make: a baseline JPEG (as
// they write them) costs 69 MiB at 12 megapixels and 172 MiB at 50, plus
// its file. It refuses what is out of proportion to a picture of a
// garment: progressive JPEGs beyond about 24 megapixels (the decoder keeps
// 4 bytes per sample until the last scan), 8-bit PNGs beyond about 40 and
// 16-bit ones beyond about 24, and shapes whose preparation costs more than
// their pixels: the 97 KB PNG of 1×50,000,000 pixels would take
// 3.0 GiB to shrink to the working size (see prepareCost). Under the 3 GiB
// address-space limit the issue ran into, that leaves room for TensorFlow.
const maxImageBytes = 256 << 20

// Allocations not proportional to the image, counted once per image: the
// decoders' tables, zlib's window and bufio's buffer; and preprocess's steps
// after the working copy and its grey levels, which work on at most
// workSide² pixels (scaling them to 28×28 takes under 0.6 MiB).
// TestImageCostBoundsAllocations checks the whole estimate against what is
// allocated.
const (
	decoderOverhead = 1 << 20
	prepareOverhead = 1 << 20
)

// imageCost returns an upper bound on the bytes that decoding data (already
// checked by image.DecodeConfig to be a PNG or JPEG of cfg) and preparing
// the image for the model allocate, data itself included.
func imageCost(data []byte, cfg image.Config, format string) int64 {
	w, h := int64(cfg.Width), int64(cfg.Height)
	var decode int64
	if format == "jpeg" {
		decode = jpegCost(data, cfg.ColorModel, w, h)
	} else {
		decode = pngCost(data, cfg.ColorModel, w, h)
	}
	return int64(len(data)) + decode + prepareCost(w, h)
}

// pngBytesPerPixel is the size of a pixel of the image image/png decodes
// into for the color model DecodeConfig reports: Gray, Gray16, RGBA, NRGBA,
// RGBA64, NRGBA64 or a palette. It is also at least the bytes per pixel of a
// raw row, which is at most 8 (16-bit RGBA).
func pngBytesPerPixel(m color.Model) int64 {
	switch m {
	case color.GrayModel:
		return 1
	case color.Gray16Model:
		return 2
	case color.RGBAModel, color.NRGBAModel:
		return 4
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 8 // RGBA64, NRGBA64, and anything unforeseen
}

// adam7 is PNG's interlacing: each pass's offset and step in x and y.
var adam7 = [7]struct{ x0, y0, dx, dy int64 }{
	{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2},
}

// pngCost is what image/png allocates for a w×h image: the image, and two
// rows (the current and the previous one, for the filters). An interlaced
// image is decoded pass by pass, each into an image of its own with its own
// rows, and merged into the full one.
func pngCost(data []byte, m color.Model, w, h int64) int64 {
	bpp := pngBytesPerPixel(m)
	cost := w*h*bpp + decoderOverhead
	// The IHDR chunk comes first, at a fixed place; its last byte is the
	// interlace method. DecodeConfig has checked it is there.
	const interlaceAt = 8 + 8 + 12
	if len(data) > interlaceAt && data[interlaceAt] == 0 {
		return cost + 2*(1+w*bpp)
	}
	for _, p := range adam7 {
		pw, ph := (w-p.x0+p.dx-1)/p.dx, (h-p.y0+p.dy-1)/p.dy
		if pw > 0 && ph > 0 {
			cost += pw*ph*bpp + 2*(1+pw*bpp)
		}
	}
	return cost
}

// jpegCost is what image/jpeg allocates for a w×h image: its planes, padded
// to whole MCUs; the coefficients of every block, kept until the last scan
// when the image is progressive; and a converted copy for RGB and CMYK
// images. Sampling factors and progressiveness come from the frame header;
// without it (DecodeConfig read it, so only in theory) the worst case the
// decoder allows is assumed.
func jpegCost(data []byte, m color.Model, w, h int64) int64 {
	fr, ok := jpegFrameOf(data)
	if !ok {
		n := int64(3)
		switch m {
		case color.GrayModel:
			n = 1
		case color.CMYKModel:
			n = 4
		}
		padded := (w + 31) * (h + 31) // MCUs of up to 32×32 pixels
		return n*padded + 4*n*padded + 4*w*h + decoderOverhead
	}
	h0, v0 := fr.h[0], fr.v[0]
	if fr.n == 1 {
		// The decoder ignores a single component's sampling factors.
		h0, v0 = 1, 1
		fr.h[0], fr.v[0] = 1, 1
	}
	mxx, myy := (w+8*h0-1)/(8*h0), (h+8*v0-1)/(8*v0)
	pw, ph := 8*h0*mxx, 8*v0*myy
	cost := pw*ph + decoderOverhead // Y, or grey
	if fr.n >= 3 {
		cost += 2 * (pw / (h0 / fr.h[1])) * (ph / (v0 / fr.v[1])) // Cb and Cr
	}
	if fr.n == 4 {
		cost += 8 * fr.h[3] * mxx * 8 * fr.v[3] * myy // K
	}
	if fr.progressive {
		for i := range fr.n {
			cost += mxx * myy * fr.h[i] * fr.v[i] * 64 * 4 // 64 int32 per block
		}
	}
	if m == color.RGBAModel || m == color.CMYKModel {
		cost += 4 * w * h
	}
	return cost
}

// jpegFrame is what jpegCost needs of a JPEG's frame header (SOF).
type jpegFrame struct {
	progressive bool
	n           int      // components: 1, 3 or 4
	h, v        [4]int64 // each component's sampling factors
}

// jpegFrameOf finds the frame header of the JPEG data, walking the marker
// segments that precede it (application data, tables, comments). It
// reports false for anything it does not recognise.
func jpegFrameOf(data []byte) (jpegFrame, bool) {
	if len(data) < 2 || data[0] != 0xff || data[1] != 0xd8 {
		return jpegFrame{}, false
	}
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xff {
			return jpegFrame{}, false
		}
		marker := data[i+1]
		if marker == 0xff { // fill byte
			i++
			continue
		}
		if marker == 0x01 || 0xd0 <= marker && marker <= 0xd7 { // no length
			i += 2
			continue
		}
		size := int(data[i+2])<<8 | int(data[i+3])
		seg := data[i+4 : min(len(data), i+2+size)]
		switch marker {
		case 0xc0, 0xc1, 0xc2: // baseline, extended, progressive: what image/jpeg decodes
			fr := jpegFrame{progressive: marker == 0xc2}
			if len(seg) < 6 {
				return jpegFrame{}, false
			}
			fr.n = int(seg[5])
			if fr.n != 1 && fr.n != 3 && fr.n != 4 || len(seg) < 6+3*fr.n {
				return jpegFrame{}, false
			}
			for c := range fr.n {
				hv := seg[6+3*c+1]
				fr.h[c], fr.v[c] = int64(hv>>4), int64(hv&0x0f)
				if fr.h[c] < 1 || fr.h[c] > 4 || fr.v[c] < 1 || fr.v[c] > 4 {
					return jpegFrame{}, false
				}
			}
			if fr.n >= 3 && (fr.h[0]%fr.h[1] != 0 || fr.v[0]%fr.v[1] != 0) {
				return jpegFrame{}, false
			}
			return fr, true
		case 0xd9, 0xda: // end of image, start of scan: no frame header before them
			return jpegFrame{}, false
		}
		i += 2 + size
	}
	return jpegFrame{}, false
}

// prepareCost is what preprocess allocates for a w×h image, dominated by
// the first step: overWhite's scaling to the working size. x/image/draw's
// kernel scaler keeps, for each side, the weight of every source column
// (or row) in every destination pixel, which for a kernel stretched over
// the shrink factor is about 2×support entries of 16 bytes per source
// column; and it filters the columns first into a buffer of the
// destination's width by the source's height, 32 bytes a pixel. The
// working copy and its grey levels then cost 12 bytes a pixel, at most
// workSide² of them. prepareCost follows x/image/draw v0.30's newDistrib
// and makeTmpBuf, rounding up.
func prepareCost(w, h int64) int64 {
	dw, dh := w, h
	scaled := max(w, h) > workSide
	if scaled {
		fw, fh := fitted(int(w), int(h), workSide, workSide)
		dw, dh = int64(fw), int64(fh)
	}
	cost := (4+8)*dw*dh + prepareOverhead
	if scaled {
		const support = 1 // BiLinear's
		cost += distribCost(support, dw, w) + distribCost(support, dh, h) + 32*dw*h
	}
	return cost
}

// distribCost bounds the size of x/image/draw's distribution of s source
// columns over d destination columns: a 24-byte source entry per
// destination column and at most 2×halfWidth+2 contributions of 16 bytes
// each, the kernel's half width being support stretched by the shrink
// factor.
func distribCost(support float64, d, s int64) int64 {
	halfWidth := support * max(float64(s)/float64(d), 1)
	return 24*d + 16*d*(int64(math.Ceil(2*halfWidth))+2)
}

// tooCostly is the error for an image whose cost is over maxImageBytes.
func tooCostly(w, h int, cost int64) error {
	return fmt.Errorf("image of %d×%d pixels would take %s of memory to decode and prepare, more than the %s limit per image",
		w, h, byteSize(cost), byteSize(maxImageBytes))
}

// byteSize renders n in binary units for people.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	v, suffix := float64(n)/unit, "KiB"
	for _, s := range []string{"MiB", "GiB", "TiB"} {
		if v < unit {
			break
		}
		v, suffix = v/unit, s
	}
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f %s", v, suffix)
	}
	return fmt.Sprintf("%.1f %s", v, suffix)
}
