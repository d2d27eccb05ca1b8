package plot

import (
	"fmt"
	"image"
	"strconv"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Confusion writes the test-set confusion matrix to path: a heat map of
// counts, true class down the side and predicted class along the bottom,
// each cell labelled with its count, each true class with its accuracy
// (the share of its images predicted right), and the overall accuracy in
// the title, 900×800 pixels.
func Confusion(path string, trueLabels, predicted []uint8, classNames []string) error {
	m, err := confusionMatrix(trueLabels, predicted, classNames)
	if err != nil {
		return fmt.Errorf("plot.Confusion: %w", err)
	}
	cmap, err := blues()
	if err != nil {
		return fmt.Errorf("plot.Confusion: %w", err)
	}
	n := len(classNames)
	peak, right := 0, 0
	for i, row := range m {
		for _, v := range row {
			peak = max(peak, v)
		}
		right += row[i]
	}

	p := newPlot()
	p.Title.Text = fmt.Sprintf("Confusion matrix: test accuracy %.1f%% (%d images)", 100*float64(right)/float64(len(trueLabels)), len(trueLabels))
	p.X.Label.Text = "Predicted label"
	p.Y.Label.Text = "True label (accuracy)"
	// Row 0 on top, as matrices are read; data y grows upwards.
	cells := image.NewRGBA(image.Rect(0, 0, n, n))
	for i, row := range m {
		for j, v := range row {
			cells.SetRGBA(j, i, cmap.at(float64(v)/float64(peak)))
		}
	}
	p.Add(plotter.NewImage(cells, -0.5, -0.5, float64(n)-0.5, float64(n)-0.5),
		cellCounts{m: m, peak: peak}, frame{})

	slantedNames(&p.X, classNames)
	yt := make([]gplot.Tick, n)
	for i, name := range classNames {
		acc := "n/a"
		if total := sum(m[i]); total > 0 {
			acc = fmt.Sprintf("%.1f%%", 100*float64(m[i][i])/float64(total))
		}
		yt[i] = gplot.Tick{Value: float64(n - 1 - i), Label: fmt.Sprintf("%s (%s)", name, acc)}
	}
	p.Y.Tick.Marker = gplot.ConstantTicks(yt)

	err = render(path, 900, 800, func(c draw.Canvas) {
		area := draw.Crop(c, px(20), -px(20), px(15), -px(20))
		const strip = 90 // colour bar, its gap and its labels, in pixels
		pc := fitData(p, draw.Crop(area, 0, -px(strip), 0, 0), 1)
		dc := p.DataCanvas(pc)
		shift := (area.Max.X - (dc.Max.X + px(strip))) / 2
		pc = draw.Crop(pc, shift, shift, 0, 0)
		dc = p.DataCanvas(pc)
		p.Draw(pc)

		bar := vg.Rectangle{
			Min: vg.Point{X: dc.Max.X + px(20), Y: dc.Min.Y},
			Max: vg.Point{X: dc.Max.X + px(20) + dc.Size().Y/20, Y: dc.Max.Y},
		}
		colorBar(c, bar, cmap, 0, float64(peak), (niceTicks{whole: true}).Ticks(0, float64(peak)))
	})
	if err != nil {
		return fmt.Errorf("plot.Confusion: %w", err)
	}
	return nil
}

// confusionMatrix counts m[true][predicted].
func confusionMatrix(trueLabels, predicted []uint8, classNames []string) ([][]int, error) {
	if err := checkClassNames(classNames); err != nil {
		return nil, err
	}
	if len(trueLabels) == 0 {
		return nil, fmt.Errorf("trueLabels is empty, want one label per test image")
	}
	if len(predicted) != len(trueLabels) {
		return nil, fmt.Errorf("predicted has %d labels, want %d (as many as trueLabels)", len(predicted), len(trueLabels))
	}
	n := len(classNames)
	m := make([][]int, n)
	for i := range m {
		m[i] = make([]int, n)
	}
	for i, t := range trueLabels {
		if err := checkLabel(fmt.Sprintf("trueLabels[%d]", i), int(t), n); err != nil {
			return nil, err
		}
		if err := checkLabel(fmt.Sprintf("predicted[%d]", i), int(predicted[i]), n); err != nil {
			return nil, err
		}
		m[t][predicted[i]]++
	}
	return m, nil
}

func sum(v []int) int {
	s := 0
	for _, x := range v {
		s += x
	}
	return s
}

// cellCounts writes each count in its cell, white on dark cells and black
// on light ones so every number stays readable.
type cellCounts struct {
	m    [][]int
	peak int
}

func (cc cellCounts) Plot(c draw.Canvas, p *gplot.Plot) {
	x, y := p.Transforms(&c)
	n := len(cc.m)
	for i, row := range cc.m {
		for j, v := range row {
			col := black
			if float64(v) > 0.5*float64(cc.peak) {
				col = white
			}
			sty := textStyle(labelSize, col, draw.XCenter, draw.YCenter)
			c.FillText(sty, vg.Point{X: x(float64(j)), Y: y(float64(n - 1 - i))}, strconv.Itoa(v))
		}
	}
}
