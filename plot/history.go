package plot

import (
	"fmt"
	"image/color"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// History writes the training curves to path from Keras's history dict,
// History.history: per-epoch values keyed by Keras's names, "loss" and the
// compiled metrics ("accuracy", or "mae" for a regression), with "val_"
// before the name for the validation data. It draws loss on the left and
// the first other metric in name order on the right (none: loss alone,
// 600×480 pixels), per epoch from 1, training in blue and validation, when
// the history has it, in orange, 1200×480 pixels. Titles and axes are
// named after the keys. Learning rates that callbacks log ("learning_rate",
// "lr") are not metrics and are left out; so are keys without a training
// series.
func History(path string, history map[string][]float64) error {
	panels, err := historyPanels(history)
	if err != nil {
		return fmt.Errorf("plot.History: %w", err)
	}
	plots := make([]*gplot.Plot, len(panels))
	for i, pn := range panels {
		if plots[i], err = curvePlot(metricLabel(pn.key), pn.train, pn.val); err != nil {
			return fmt.Errorf("plot.History: %w", err)
		}
	}
	err = render(path, 600*len(plots), 480, func(c draw.Canvas) {
		tiles := draw.Tiles{Rows: 1, Cols: len(plots),
			PadTop: px(15), PadBottom: px(15), PadLeft: px(20), PadRight: px(30), PadX: px(70)}
		grid := [][]*gplot.Plot{plots}
		for j, row := range gplot.Align(grid, tiles, c) {
			for i, cell := range row {
				grid[j][i].Draw(cell)
			}
		}
	})
	if err != nil {
		return fmt.Errorf("plot.History: %w", err)
	}
	return nil
}

// lossKey is the key of the loss in Keras's history; valPrefix marks the
// validation series.
const (
	lossKey   = "loss"
	valPrefix = "val_"
)

// notMetrics are keys callbacks add to the logs that are not metrics:
// ReduceLROnPlateau and LearningRateScheduler log the learning rate.
var notMetrics = map[string]bool{"learning_rate": true, "lr": true}

// panel is one metric's curves.
type panel struct {
	key        string
	train, val []float64 // val empty without validation data
}

// historyPanels picks and checks the series History draws: the loss and
// the first other metric, each with its validation series if present.
func historyPanels(h map[string][]float64) ([]panel, error) {
	n := len(h[lossKey])
	if n == 0 {
		return nil, fmt.Errorf("history[%q] is missing or empty, want one value per epoch (keys: %v)", lossKey, sortedKeys(h))
	}
	keys := []string{lossKey}
	for _, k := range sortedKeys(h) {
		if k != lossKey && !strings.HasPrefix(k, valPrefix) && !notMetrics[k] {
			keys = append(keys, k)
			break
		}
	}
	var panels []panel
	for _, k := range keys {
		pn := panel{key: k, train: h[k], val: h[valPrefix+k]}
		series := []struct {
			key      string
			v        []float64
			optional bool
		}{{k, pn.train, false}, {valPrefix + k, pn.val, true}}
		for _, s := range series {
			if len(s.v) != n && !(s.optional && len(s.v) == 0) {
				want := strconv.Itoa(n)
				if s.optional {
					want = "0 or " + want
				}
				return nil, fmt.Errorf("history[%q] has %d values, want %s (as many as history[%q])", s.key, len(s.v), want, lossKey)
			}
			for i, v := range s.v {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return nil, fmt.Errorf("history[%q][%d] is %v, want a finite number", s.key, i, v)
				}
			}
		}
		panels = append(panels, pn)
	}
	return panels, nil
}

// abbreviations are metric names Keras abbreviates, shown in capitals.
var abbreviations = map[string]bool{"mae": true, "mse": true, "rmse": true, "mape": true, "msle": true, "auc": true}

// metricLabel names a metric for a title and an axis, from its key:
// "loss" is Loss, "mae" MAE, "sparse_categorical_accuracy" Sparse
// categorical accuracy.
func metricLabel(key string) string {
	if abbreviations[key] {
		return strings.ToUpper(key)
	}
	s := strings.ReplaceAll(key, "_", " ")
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
}

func sortedKeys(m map[string][]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
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
