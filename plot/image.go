package plot

import (
	"fmt"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/gokeras/fashion/tensor"
)

// Image writes the tutorial's first figure to path: one image, [H W] or
// [1 H W], in the viridis colormap with pixel-index ticks and a colour bar,
// 640×480 pixels (matplotlib's default figure size). As with plt.imshow,
// the colour scale spans the image's own smallest to largest value, so raw
// 0..255 pixels, as the tutorial shows train_images[0], get a 0..255 bar
// and pixels scaled to [0, 1] the same picture with a 0..1 bar. A constant
// image is drawn at the bottom of a scale from its value to its value + 1.
func Image(path string, img tensor.Float32) error {
	p, err := onePicture("img", img)
	if err == nil {
		err = checkFinite("img", p)
	}
	if err != nil {
		return fmt.Errorf("plot.Image: %w", err)
	}
	lo, hi := float64(p.pix[0]), float64(p.pix[0])
	for _, v := range p.pix {
		lo, hi = min(lo, float64(v)), max(hi, float64(v))
	}
	if hi == lo {
		hi = lo + 1
	}
	cmap := viridis()
	pl := newPlot()
	// Pixel centres sit on integers as in imshow, so ticks name pixel
	// indices; data y grows upwards while rows grow downwards.
	right, bottom := float64(p.w)-1, float64(p.h)-1
	pl.Add(plotter.NewImage(mappedImage(p, lo, hi, cmap), -0.5, -0.5, right+0.5, bottom+0.5), frame{})
	pl.X.Tick.Marker = gplot.ConstantTicks((niceTicks{whole: true}).Ticks(0, right))
	var yt []gplot.Tick
	for _, t := range (niceTicks{whole: true}).Ticks(0, bottom) {
		yt = append(yt, gplot.Tick{Value: bottom - t.Value, Label: t.Label})
	}
	pl.Y.Tick.Marker = gplot.ConstantTicks(yt)

	err = render(path, 640, 480, func(c draw.Canvas) {
		area := draw.Crop(c, px(20), -px(20), px(30), -px(30))
		// plt.colorbar's defaults: a bar a twentieth as wide as it is tall,
		// set off by 5% of the image width.
		side := area.Size().Y
		gap, barW := side*0.05, side/20
		strip := gap + barW + px(45)
		aspect := float64(p.w) / float64(p.h)
		ic := fitData(pl, draw.Crop(area, 0, -strip, 0, 0), aspect)
		dc := pl.DataCanvas(ic)
		// Centre image and bar together, as matplotlib does.
		used := dc.Max.X + strip - ic.Min.X
		shift := (area.Size().X-used)/2 - (ic.Min.X - area.Min.X)
		ic = draw.Crop(ic, shift, shift, 0, 0)
		dc = pl.DataCanvas(ic)
		pl.Draw(ic)

		bar := vg.Rectangle{
			Min: vg.Point{X: dc.Max.X + gap, Y: dc.Min.Y},
			Max: vg.Point{X: dc.Max.X + gap + barW, Y: dc.Max.Y},
		}
		colorBar(c, bar, cmap, lo, hi, (niceTicks{}).Ticks(lo, hi))
	})
	if err != nil {
		return fmt.Errorf("plot.Image: %w", err)
	}
	return nil
}
