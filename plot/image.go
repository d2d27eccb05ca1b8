package plot

import (
	"fmt"
	"strconv"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Image writes the tutorial's first figure to path: one image in the
// viridis colormap with pixel-index ticks and a colour bar for the raw
// 0..255 intensities, 640×480 pixels (matplotlib's default figure size).
// The colour scale is always 0..255, where imshow stretches it to the
// image's own range; for train_images[0], which spans 0..255, the two agree,
// and a fixed scale keeps other images comparable.
func Image(path string, img []uint8) error {
	if err := checkImage("img", img); err != nil {
		return fmt.Errorf("plot.Image: %w", err)
	}
	cmap := viridis()
	p := newPlot()
	// Pixel centres sit on integers as in imshow, so ticks name pixel
	// indices; data y grows upwards while rows grow downwards.
	const last = ImageSide - 1
	p.Add(plotter.NewImage(mappedImage(img, cmap), -0.5, -0.5, last+0.5, last+0.5), frame{})
	var xt, yt []gplot.Tick
	for i := 0; i < ImageSide; i += 5 {
		xt = append(xt, gplot.Tick{Value: float64(i), Label: strconv.Itoa(i)})
		yt = append(yt, gplot.Tick{Value: float64(last - i), Label: strconv.Itoa(i)})
	}
	p.X.Tick.Marker = gplot.ConstantTicks(xt)
	p.Y.Tick.Marker = gplot.ConstantTicks(yt)

	err := render(path, 640, 480, func(c draw.Canvas) {
		area := draw.Crop(c, px(20), -px(20), px(30), -px(30))
		// plt.colorbar's defaults: a bar a twentieth as wide as it is tall,
		// set off by 5% of the image width.
		side := area.Size().Y
		gap, barW := side*0.05, side/20
		strip := gap + barW + px(45)
		ic := squareData(p, draw.Crop(area, 0, -strip, 0, 0))
		dc := p.DataCanvas(ic)
		// Centre image and bar together, as matplotlib does.
		used := dc.Max.X + strip - ic.Min.X
		shift := (area.Size().X-used)/2 - (ic.Min.X - area.Min.X)
		ic = draw.Crop(ic, shift, shift, 0, 0)
		dc = p.DataCanvas(ic)
		p.Draw(ic)

		bar := vg.Rectangle{
			Min: vg.Point{X: dc.Max.X + gap, Y: dc.Min.Y},
			Max: vg.Point{X: dc.Max.X + gap + barW, Y: dc.Max.Y},
		}
		colorBar(c, bar, cmap, 0, 255, []float64{0, 50, 100, 150, 200, 250},
			func(v float64) string { return strconv.Itoa(int(v)) })
	})
	if err != nil {
		return fmt.Errorf("plot.Image: %w", err)
	}
	return nil
}
