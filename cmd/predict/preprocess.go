package main

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/jpeg" // registers the JPEG decoder for image.Decode
	_ "image/png"  // registers the PNG decoder for image.Decode
	"slices"

	xdraw "golang.org/x/image/draw"

	"github.com/gokeras/fashion/loader"
)

// Limits on what readImage accepts. A photo from a phone is 12–50
// megapixels and a few MiB; beyond that a file is more likely a mistake or
// an attack (a small PNG can claim gigapixels) than clothing. Memory is
// bounded too, by maxImageBytes (see memory.go): the pixel count alone does
// not bound it, a strip of 1×50,000,000 pixels being within it.
const (
	maxFileBytes = 64 << 20
	maxPixels    = 50_000_000
)

// Errors for files that are not usable images, reported to the user as is.
var (
	errEmpty    = errors.New("empty file")
	errNotImage = errors.New("not a PNG or JPEG image")
)

// Preprocessing parameters.
const (
	// workSide bounds the longer side of the working copy in which the
	// background is measured and trimmed: enough to find a garment's
	// outline, and it keeps a 50-megapixel photo from costing seconds.
	workSide = 512
	// trimTolerance is how far (in [0, 1] grey levels) a pixel may be from
	// the background level and still count as background when trimming.
	// Fashion-MNIST used 5% of the maximum intensity on clean product shots;
	// 10% also absorbs JPEG noise and uneven lighting in photos.
	trimTolerance = 0.10
)

// readImage reads and decodes the PNG or JPEG file at path, refusing
// special files, empty, oversized and non-image files, and images that would
// cost more than maxImageBytes, with specific errors before decoding.
func readImage(path string) (image.Image, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return decodeImage(data)
}

// decodeImage decodes a PNG or JPEG image after checking from its header
// that it is one and that decoding and preparing it would not need too much
// memory.
func decodeImage(data []byte) (image.Image, error) {
	if len(data) == 0 {
		return nil, errEmpty
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if errors.Is(err, image.ErrFormat) {
		return nil, errNotImage
	}
	if err != nil {
		return nil, fmt.Errorf("corrupt image header: %w", err)
	}
	// Other packages linked in could register more formats; the model's
	// preprocessing is only claimed for these two.
	if format != "png" && format != "jpeg" {
		return nil, fmt.Errorf("%w (it is %s)", errNotImage, format)
	}
	w, h := cfg.Width, cfg.Height
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("image of %d×%d pixels has no pixels", w, h)
	}
	if int64(w)*int64(h) > maxPixels {
		return nil, fmt.Errorf("image of %d×%d pixels is larger than the %d megapixel limit", w, h, maxPixels/1_000_000)
	}
	if cost := imageCost(data, cfg, format); cost > maxImageBytes {
		return nil, tooCostly(w, h, cost)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("corrupt %s image: %w", formatName(format), err)
	}
	return img, nil
}

func formatName(format string) string {
	if format == "jpeg" {
		return "JPEG"
	}
	return "PNG"
}

// preprocess turns a picture of one garment into the model's input, 28×28
// grey levels in [0, 1], light on dark, following how Fashion-MNIST was made
// from product photos: trim the background around the garment, scale the
// longer side to 28 pixels keeping the aspect ratio, centre it on a 28×28
// canvas of background, and negate so the background is black.
//
// Transparent pixels are composited over white, as a viewer shows them. The
// background level is the median of the border pixels; a light one (> 127 of
// 255) means a dark garment on a light background, which is inverted. The
// background level is then mapped to 0, so a grey backdrop in a photo looks
// like Fashion-MNIST's black one.
func preprocess(img image.Image) []float32 {
	work := overWhite(img, workSide)
	lum := luma(work)
	bg := borderLevel(lum, work.Rect.Dx(), work.Rect.Dy())
	invert := bg*255 > 127
	box := trim(lum, work.Rect.Dx(), work.Rect.Dy(), bg, trimTolerance)

	// Scale the trimmed garment from the working copy, not from img: it is
	// already composited over white, and at most workSide pixels, which is
	// ample for 28.
	w, h := fitted(box.Dx(), box.Dy(), loader.Cols, loader.Rows)
	small := image.NewRGBA(image.Rect(0, 0, w, h))
	xdraw.CatmullRom.Scale(small, small.Rect, work, box, xdraw.Src, nil)

	// After inversion the background is at level `floor`; stretch
	// [floor, 1] to [0, 1].
	floor := bg
	if invert {
		floor = 1 - bg
	}
	out := make([]float32, loader.ImageSize) // the padding is background: 0
	// An odd margin puts the extra pixel before the garment, as in most of
	// Fashion-MNIST.
	x0, y0 := (loader.Cols-w+1)/2, (loader.Rows-h+1)/2
	for i, v := range luma(small) {
		if invert {
			v = 1 - v
		}
		v = (v - floor) / (1 - floor)
		out[(y0+i/w)*loader.Cols+x0+i%w] = float32(min(max(v, 0), 1))
	}
	return out
}

// overWhite returns img composited over an opaque white background, scaled
// down (never up) so that its longer side is at most maxSide.
func overWhite(img image.Image, maxSide int) *image.RGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if max(w, h) > maxSide {
		w, h = fitted(w, h, maxSide, maxSide)
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Rect, image.NewUniform(color.White), image.Point{}, draw.Src)
	if w == b.Dx() && h == b.Dy() {
		draw.Draw(dst, dst.Rect, img, b.Min, draw.Over)
	} else {
		// A kernel scaler stretches its kernel when shrinking, so a large
		// photo is averaged rather than sampled into aliasing. BiLinear's
		// kernel is half CatmullRom's width, which halves the time on a
		// 12-megapixel photo, and sharpness is lost at 28 pixels anyway.
		xdraw.BiLinear.Scale(dst, dst.Rect, img, b, xdraw.Over, nil)
	}
	return dst
}

// fitted returns the size of a w×h rectangle scaled to fit a boxW×boxH box
// with the aspect ratio kept and one side filling the box.
func fitted(w, h, boxW, boxH int) (int, int) {
	if w*boxH >= h*boxW { // relatively wider than the box
		return boxW, max(1, (h*boxW+w/2)/w)
	}
	return max(1, (w*boxH+h/2)/h), boxH
}

// luma returns the grey level in [0, 1] of each pixel of the opaque image
// img, row by row, with ITU-R BT.601 weights as color.GrayModel uses.
func luma(img *image.RGBA) []float64 {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	out := make([]float64, 0, w*h)
	for y := range h {
		row := img.Pix[y*img.Stride:]
		for x := range w {
			p := row[4*x : 4*x+3]
			out = append(out, (0.299*float64(p[0])+0.587*float64(p[1])+0.114*float64(p[2]))/255)
		}
	}
	return out
}

// borderLevel returns the median grey level of the outermost rows and
// columns of a w×h image: the background around the garment in a photo of
// one. The median, unlike the mean, ignores a garment touching the edges, as
// Fashion-MNIST's trousers and dresses do top and bottom.
func borderLevel(lum []float64, w, h int) float64 {
	var border []float64
	for y := range h {
		if y == 0 || y == h-1 {
			border = append(border, lum[y*w:(y+1)*w]...)
		} else {
			border = append(border, lum[y*w], lum[y*w+w-1])
		}
	}
	slices.Sort(border)
	return border[len(border)/2]
}

// trim returns the smallest rectangle of a w×h image outside which every
// pixel is within tol of the background level bg. An image that is all
// background is returned whole.
func trim(lum []float64, w, h int, bg, tol float64) image.Rectangle {
	fg := func(x, y int) bool {
		d := lum[y*w+x] - bg
		return d > tol || d < -tol
	}
	r := image.Rectangle{Min: image.Point{w, h}}
	for y := range h {
		for x := range w {
			if fg(x, y) {
				r.Min.X, r.Min.Y = min(r.Min.X, x), min(r.Min.Y, y)
				r.Max.X, r.Max.Y = max(r.Max.X, x+1), max(r.Max.Y, y+1)
			}
		}
	}
	if r.Empty() {
		return image.Rect(0, 0, w, h)
	}
	return r
}
