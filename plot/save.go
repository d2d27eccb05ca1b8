package plot

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"

	"git.sr.ht/~sbinet/gg"
	xdraw "golang.org/x/image/draw"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// dpi is matplotlib's default figure resolution, so a figure that is
// figsize=(6, 3) in the tutorial is 600×300 pixels here too.
const dpi = 100

// px converts a length in output pixels to a vg length, for layout
// decisions that are about the picture rather than about typography.
func px(n float64) vg.Length { return vg.Length(n) * vg.Inch / dpi }

// render draws a width×height pixel figure with fn and writes it to path
// as a PNG, atomically.
func render(path string, width, height int, fn func(c draw.Canvas)) (err error) {
	if path == "" {
		return errors.New("path is empty, want a file name ending in .png")
	}
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	ctx := gg.NewContextForRGBA(img)
	ctx.SetLineCapButt()
	ctx.InvertY()
	// The 28×28 images are blown up ten times; bilinear filtering would blur
	// them where matplotlib shows crisp pixels.
	ctx.SetInterpolator(xdraw.NearestNeighbor)
	c := draw.New(vgimg.NewWith(vgimg.UseImageWithContext(img, ctx), vgimg.UseDPI(dpi)))

	// gonum/plot reports some misuse by panicking; inputs are validated
	// before drawing, so a panic here is a bug in this package, and callers
	// were promised errors, not crashes.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("drawing %s: %v", path, r)
		}
	}()
	fn(c)
	return writeAtomic(path, img)
}

// writeAtomic encodes img next to path and renames it into place, so
// readers see either the old file or the complete new one.
func writeAtomic(path string, img image.Image) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()

	w := bufio.NewWriter(f)
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("encoding %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	// Without the sync a power cut after the rename can leave an empty file
	// under the final name on some file systems.
	if err := f.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", path, err)
	}
	// CreateTemp makes the file private; a figure is meant to be shared.
	if err := os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
