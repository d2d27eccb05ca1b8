package plot

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Curves is the per-epoch record of a training run, as Keras returns it in
// History.history. Loss and Accuracy are required and of equal length;
// ValLoss and ValAccuracy are either empty (no validation data) or as long
// as Loss.
type Curves struct {
	Loss, Accuracy       []float64
	ValLoss, ValAccuracy []float64
}

// History writes the training curves to path: loss on the left and
// accuracy on the right, per epoch from 1, training in blue and validation
// (when present) in orange, 1200×480 pixels.
func History(path string, h Curves) error {
	if err := h.check(); err != nil {
		return fmt.Errorf("plot.History: %w", err)
	}
	loss, err := curvePlot("Loss", h.Loss, h.ValLoss)
	if err != nil {
		return fmt.Errorf("plot.History: %w", err)
	}
	acc, err := curvePlot("Accuracy", h.Accuracy, h.ValAccuracy)
	if err != nil {
		return fmt.Errorf("plot.History: %w", err)
	}
	err = render(path, 1200, 480, func(c draw.Canvas) {
		tiles := draw.Tiles{Rows: 1, Cols: 2,
			PadTop: px(15), PadBottom: px(15), PadLeft: px(20), PadRight: px(30), PadX: px(70)}
		plots := [][]*gplot.Plot{{loss, acc}}
		for j, row := range gplot.Align(plots, tiles, c) {
			for i, cell := range row {
				plots[j][i].Draw(cell)
			}
		}
	})
	if err != nil {
		return fmt.Errorf("plot.History: %w", err)
	}
	return nil
}

func (h Curves) check() error {
	n := len(h.Loss)
	if n == 0 {
		return fmt.Errorf("Curves.Loss is empty, want one value per epoch")
	}
	named := []struct {
		name     string
		v        []float64
		optional bool
	}{
		{"Loss", h.Loss, false},
		{"Accuracy", h.Accuracy, false},
		{"ValLoss", h.ValLoss, true},
		{"ValAccuracy", h.ValAccuracy, true},
	}
	for _, s := range named {
		if len(s.v) != n && !(s.optional && len(s.v) == 0) {
			want := strconv.Itoa(n)
			if s.optional {
				want = "0 or " + want
			}
			return fmt.Errorf("Curves.%s has %d values, want %s (as many as Loss)", s.name, len(s.v), want)
		}
		for i, v := range s.v {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("Curves.%s[%d] is %v, want a finite number", s.name, i, v)
			}
		}
	}
	return nil
}

// curvePlot draws one metric per epoch, training and optional validation.
func curvePlot(metric string, train, val []float64) (*gplot.Plot, error) {
	p := newPlot()
	p.Title.Text = metric
	p.X.Label.Text = "Epoch"
	p.Y.Label.Text = metric
	grid := plotter.NewGrid()
	grid.Vertical = draw.LineStyle{Color: gridLn, Width: vg.Points(0.5)}
	grid.Horizontal = grid.Vertical
	p.Add(grid)

	series := []struct {
		name string
		v    []float64
		col  color.Color
	}{{"training", train, tabC0}, {"validation", val, tabC1}}
	var all []float64
	var names []string
	for _, s := range series {
		if len(s.v) == 0 {
			continue
		}
		xys := make(plotter.XYs, len(s.v))
		for i, v := range s.v {
			xys[i] = plotter.XY{X: float64(i + 1), Y: v}
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, fmt.Errorf("%s %s curve: %w", s.name, metric, err)
		}
		line.Color, line.Width = s.col, vg.Points(1.5)
		points.Color, points.Shape, points.Radius = s.col, draw.CircleGlyph{}, vg.Points(2.5)
		p.Add(line, points)
		p.Legend.Add(s.name, line, points)
		names = append(names, s.name)
		all = append(all, s.v...)
	}
	p.Add(frame{})

	n := len(train)
	// matplotlib's 5% margins, with room for a lone epoch.
	xm := max(0.05*float64(n-1), 0.5)
	p.X.Min, p.X.Max = 1-xm, float64(n)+xm
	lo, hi := all[0], all[0]
	for _, v := range all {
		lo, hi = min(lo, v), max(hi, v)
	}
	ym := 0.05 * (hi - lo)
	if ym == 0 {
		ym = 0.05 * max(math.Abs(hi), 1)
	}
	p.Y.Min, p.Y.Max = lo-ym, hi+ym
	p.X.Tick.Marker = epochTicks{}
	p.Y.Tick.Marker = niceTicks{}
	placeLegend(p, train, val)
	p.Add(legendBox{p, names})
	return p, nil
}

// legendBox paints matplotlib's legend frame, a white box that keeps the
// legend legible over grid lines and curves. It must be added last so that
// it covers the data, and it mirrors the arithmetic of plot.Legend.Draw,
// which draws the entries on top of it.
type legendBox struct {
	p       *gplot.Plot
	entries []string
}

func (b legendBox) Plot(c draw.Canvas, _ *gplot.Plot) {
	l := b.p.Legend
	var textW, entH vg.Length
	for _, e := range b.entries {
		r := l.TextStyle.Rectangle(e)
		textW, entH = max(textW, r.Max.X), max(entH, r.Max.Y)
	}
	n := vg.Length(len(b.entries))
	w := l.ThumbnailWidth + l.TextStyle.Rectangle(" ").Max.X + textW
	h := n*entH + (n-1)*l.Padding
	var r vg.Rectangle
	if l.Left {
		r.Min.X = c.Min.X + l.XOffs
	} else {
		r.Min.X = c.Max.X + l.XOffs - w
	}
	if l.Top {
		r.Min.Y = c.Max.Y + l.YOffs - l.TextStyle.FontExtents().Descent - h
	} else {
		r.Min.Y = c.Min.Y + l.YOffs
	}
	r.Max = vg.Point{X: r.Min.X + w, Y: r.Min.Y + h}
	m := vg.Points(4)
	r = vg.Rectangle{Min: vg.Point{X: r.Min.X - m, Y: r.Min.Y - m}, Max: vg.Point{X: r.Max.X + m, Y: r.Max.Y + m}}
	c.FillPolygon(white, []vg.Point{r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}})
	c.StrokeLines(draw.LineStyle{Color: gridLn, Width: vg.Points(0.8)}, []vg.Point{
		r.Min, {X: r.Max.X, Y: r.Min.Y}, r.Max, {X: r.Min.X, Y: r.Max.Y}, r.Min,
	})
}

// placeLegend puts the legend in the corner the curves cross least, as
// matplotlib's loc="best" does: top right for a falling loss, bottom right
// for a rising accuracy, elsewhere when the curves misbehave.
func placeLegend(p *gplot.Plot, series ...[]float64) {
	type corner struct{ top, left bool }
	best, fewest := corner{top: true}, math.MaxInt
	for _, c := range []corner{{true, false}, {false, false}, {true, true}, {false, true}} {
		n := 0
		for _, s := range series {
			for i, v := range s {
				x := (float64(i+1) - p.X.Min) / (p.X.Max - p.X.Min)
				y := (v - p.Y.Min) / (p.Y.Max - p.Y.Min)
				inX := (c.left && x < 0.4) || (!c.left && x > 0.6)
				inY := (c.top && y > 0.7) || (!c.top && y < 0.3)
				if inX && inY {
					n++
				}
			}
		}
		if n < fewest {
			best, fewest = c, n
		}
	}
	p.Legend.Top, p.Legend.Left = best.top, best.left
	p.Legend.Padding = vg.Points(2)
	inset := vg.Points(8)
	p.Legend.XOffs, p.Legend.YOffs = -inset, -inset
	if best.left {
		p.Legend.XOffs = inset
	}
	if !best.top {
		p.Legend.YOffs = inset
	}
}
