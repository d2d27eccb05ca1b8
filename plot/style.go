package plot

import (
	"image"
	"image/color"
	"math"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The tutorial's colours: matplotlib's named "red" and "blue" for the
// prediction labels and bars, "#777777" for the other bars, and the default
// line cycle's first two colours for the training curves.
var (
	red    = color.RGBA{R: 0xff, A: 0xff}
	blue   = color.RGBA{B: 0xff, A: 0xff}
	grey   = color.RGBA{R: 0x77, G: 0x77, B: 0x77, A: 0xff}
	black  = color.RGBA{A: 0xff}
	white  = color.RGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}
	tabC0  = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
	tabC1  = color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}
	gridLn = color.RGBA{R: 0xb0, G: 0xb0, B: 0xb0, A: 0xff}
)

// Font sizes in points, matplotlib's defaults: 10 for labels and ticks,
// 12 for titles.
const (
	labelSize = 10
	titleSize = 12
)

// sans is the typeface for every text: matplotlib draws in a sans-serif
// (DejaVu Sans) while gonum/plot defaults to a serif.
func sans(size vg.Length) font.Font {
	return font.From(font.Font{Typeface: "Liberation", Variant: "Sans"}, size)
}

// textStyle is a sans-serif style anchored at (xa, ya) of the text.
func textStyle(size vg.Length, c color.Color, xa text.XAlignment, ya text.YAlignment) text.Style {
	return text.Style{
		Color:   c,
		Font:    sans(size),
		XAlign:  xa,
		YAlign:  ya,
		Handler: gplot.DefaultTextHandler,
	}
}

// newPlot returns a plot styled after matplotlib's defaults: sans-serif
// text, short outward ticks, no padding between axes and data (the frame
// plotter supplies the box matplotlib draws around every axes).
func newPlot() *gplot.Plot {
	p := gplot.New()
	p.Title.TextStyle.Font = sans(titleSize)
	p.Title.Padding = vg.Points(6)
	p.Legend.TextStyle.Font = sans(labelSize)
	for _, a := range []*gplot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = sans(labelSize)
		a.Label.Padding = vg.Points(4)
		a.Tick.Label.Font = sans(labelSize)
		a.Tick.Length = vg.Points(3.5)
		a.Tick.Width = vg.Points(0.8)
		a.Width = 0
		a.Padding = 0
	}
	return p
}

// hideTicks removes tick marks and labels from an axis but keeps its
// label, like plt.xticks([]).
func hideTicks(a *gplot.Axis) {
	a.Tick.Marker = gplot.ConstantTicks(nil)
	a.Tick.Length = 0
}

// frame draws the four spines around a plot's data area.
type frame struct{}

func (frame) Plot(c draw.Canvas, _ *gplot.Plot) { strokeBox(c, c.Rectangle) }

func strokeBox(c draw.Canvas, r vg.Rectangle) {
	c.StrokeLines(draw.LineStyle{Color: black, Width: vg.Points(0.8)}, []vg.Point{
		r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}, r.Min,
	})
}

// fitData shrinks c, keeping it centred, until p's data area inside it is
// aspect times as wide as it is tall: imshow keeps pixels square, and so
// must we (aspect is the image's width over its height).
func fitData(p *gplot.Plot, c draw.Canvas, aspect float64) draw.Canvas {
	// Tick labels near the edges change the padding a little as the canvas
	// shrinks, so settle in two rounds.
	for range 2 {
		d := p.DataCanvas(c).Size()
		if want := d.Y * vg.Length(aspect); d.X > want {
			s := (d.X - want) / 2
			c = draw.Crop(c, s, -s, 0, 0)
		} else {
			s := (d.Y - d.X/vg.Length(aspect)) / 2
			c = draw.Crop(c, 0, 0, s, -s)
		}
	}
	return c
}

// captionedImage draws img with square pixels, as large as fits, framed
// and centred in the upper part of r, with caption centred under it in the
// given colour. Like a
// matplotlib xlabel the caption may spill beside the picture rather than
// shrink it, up to room wide; past that its font shrinks so neighbouring
// captions never collide.
func captionedImage(c draw.Canvas, r vg.Rectangle, img image.Image, caption string, size, room vg.Length, col color.Color) {
	sty := textStyle(size, col, draw.XCenter, draw.YTop)
	gap := vg.Points(4)
	h := r.Size().Y
	if caption != "" {
		h -= sty.Height(caption) + gap
		if w := sty.Width(caption); w > room {
			sty.Font.Size = max(minCaptionSize, size*room/w)
		}
	}
	b := img.Bounds()
	aspect := vg.Length(b.Dx()) / vg.Length(b.Dy())
	width := min(r.Size().X, h*aspect)
	height := width / aspect
	x0 := r.Min.X + (r.Size().X-width)/2
	y0 := r.Max.Y - (h-height)/2 - height
	box := vg.Rectangle{Min: vg.Point{X: x0, Y: y0}, Max: vg.Point{X: x0 + width, Y: y0 + height}}
	c.DrawImage(box, img)
	strokeBox(c, box)
	if caption != "" {
		c.FillText(sty, vg.Point{X: x0 + width/2, Y: y0 - gap}, caption)
	}
}

// minCaptionSize keeps shrunken captions legible; a caption that still
// does not fit overlaps its neighbour's margin rather than turn to dust.
const minCaptionSize = 7

// colorBar draws m as a vertical bar in r with ticks and labels to its
// right, as plt.colorbar does; ticks are in data units between lo and hi.
func colorBar(c draw.Canvas, r vg.Rectangle, m colormap, lo, hi float64, ticks []gplot.Tick) {
	c.DrawImage(r, gradient(m))
	strokeBox(c, r)
	tick := draw.LineStyle{Color: black, Width: vg.Points(0.8)}
	sty := textStyle(labelSize, black, draw.XLeft, draw.YCenter)
	for _, t := range ticks {
		y := r.Min.Y + r.Size().Y*vg.Length((t.Value-lo)/(hi-lo))
		c.StrokeLine2(tick, r.Max.X, y, r.Max.X+vg.Points(3.5), y)
		c.FillText(sty, vg.Point{X: r.Max.X + vg.Points(7), Y: y}, t.Label)
	}
}

// slantedNames labels axis a with names at 0, 1, … turned 45°, each hung
// from its tick by the end of its top edge so it points at its column and
// stays clear of the axis (plt.xticks(rotation=45) centres the text on the
// tick instead, which leaves it floating between columns).
func slantedNames(a *gplot.Axis, names []string) {
	ticks := make([]gplot.Tick, len(names))
	for i, name := range names {
		// The trailing space keeps the text's corner off the tick mark.
		ticks[i] = gplot.Tick{Value: float64(i), Label: name + " "}
	}
	a.Tick.Marker = gplot.ConstantTicks(ticks)
	a.Tick.Label.Rotation = math.Pi / 4
	a.Tick.Label.XAlign = draw.XRight
	a.Tick.Label.YAlign = draw.YTop
}
