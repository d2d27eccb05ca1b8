package plot

import (
	"fmt"
	"image/color"
	"strconv"

	gplot "gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/gokeras/fashion/tensor"
)

// Prediction writes the tutorial's figures 3 and 4 to path: img, one
// image ([H W] or [1 H W], pixels scaled to [0, 1]), beside the bar chart
// of its predicted class probabilities, probs ([C] or [1 C], one per class
// name), 600×300 pixels. The caption reads "{predicted} {percent}%
// ({true})", blue when the prediction is right and red when it is wrong;
// the bars are grey except the predicted class (red) and the true class
// (blue, which wins when they are the same).
func Prediction(path string, img, probs tensor.Float32, trueLabel int, classNames []string) error {
	p, row, err := checkPrediction(img, probs, trueLabel, classNames)
	if err == nil {
		err = render(path, 600, 300, func(c draw.Canvas) {
			r := draw.Crop(c, px(20), -px(20), px(10), -px(20))
			predictionPair(c, r.Rectangle, p, row, trueLabel, classNames, labelSize)
		})
	}
	if err != nil {
		return fmt.Errorf("plot.Prediction: %w", err)
	}
	return nil
}

// Predictions writes the tutorial's fifth figure to path: the first
// rows×cols images of imgs ([N H W], pixels scaled to [0, 1]), each beside
// its row of probs ([N C], one per class name) as in Prediction, 400×200
// pixels per pair (1200×1000 for the tutorial's 5×3, at most 20 rows of
// 10). trueLabels has one class index per image; N must be at least
// rows×cols, and the rest are ignored.
func Predictions(path string, imgs, probs tensor.Float32, trueLabels []uint8, classNames []string, rows, cols int) error {
	pics, probRows, err := checkPredictions(imgs, probs, trueLabels, classNames, rows, cols)
	if err == nil {
		err = render(path, 400*cols, 200*rows, func(c draw.Canvas) {
			tiles := draw.Tiles{
				Rows: rows, Cols: cols,
				PadTop: px(10), PadBottom: px(10), PadLeft: px(15), PadRight: px(15),
				PadX: px(30), PadY: px(10),
			}
			for i, p := range pics {
				cell := tiles.At(c, i%cols, i/cols)
				predictionPair(c, cell.Rectangle, p, probRows[i], int(trueLabels[i]), classNames, labelSize)
			}
		})
	}
	if err != nil {
		return fmt.Errorf("plot.Predictions: %w", err)
	}
	return nil
}

// Probabilities writes the tutorial's sixth figure to path: the bar chart
// for a single prediction, probs ([C] or [1 C], the model's output for a
// batch of one), coloured as in Prediction, with the class names under the
// bars turned 45°, 640×480 pixels.
func Probabilities(path string, probs tensor.Float32, trueLabel int, classNames []string) error {
	err := checkClassNames(classNames)
	var row []float32
	if err == nil {
		row, err = oneRow("probs", probs, len(classNames))
	}
	if err == nil {
		err = checkLabel("trueLabel", trueLabel, len(classNames))
	}
	if err == nil {
		err = render(path, 640, 480, func(c draw.Canvas) {
			p := barPlot(row, trueLabel, classNames)
			p.Draw(draw.Crop(c, px(40), -px(40), px(15), -px(30)))
		})
	}
	if err != nil {
		return fmt.Errorf("plot.Probabilities: %w", err)
	}
	return nil
}

// predictionPair lays out plot_image and plot_value_array side by side in
// r, the image as tall as the bar chart's data area so the two read as one
// row.
func predictionPair(c draw.Canvas, r vg.Rectangle, img picture, probs []float32, trueLabel int, classNames []string, size vg.Length) {
	gap := r.Size().X * 0.08
	half := (r.Size().X - gap) / 2
	left := vg.Rectangle{Min: r.Min, Max: vg.Point{X: r.Min.X + half, Y: r.Max.Y}}
	right := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
		Min: vg.Point{X: r.Max.X - half, Y: r.Min.Y}, Max: r.Max,
	}}

	p := barPlot(probs, trueLabel, nil)
	dc := p.DataCanvas(right)
	p.Draw(right)

	pred := argmax(probs)
	col := blue
	if pred != trueLabel {
		col = red
	}
	caption := fmt.Sprintf("%s %2.0f%% (%s)", classNames[pred], 100*float64(probs[pred]), classNames[trueLabel])
	capH := textStyle(size, col, draw.XCenter, draw.YTop).Height(caption) + vg.Points(4)
	left.Min.Y, left.Max.Y = dc.Min.Y-capH, dc.Max.Y
	captionedImage(c, left, binaryImage(img), caption, size, half+gap, col)
}

// barPlot is plot_value_array: probability bars on a fixed [0, 1] scale
// without y ticks, x ticks naming the classes by index or, when names is
// not nil, by name at 45°.
func barPlot(probs []float32, trueLabel int, names []string) *gplot.Plot {
	colors := make([]color.Color, len(probs))
	for i := range colors {
		colors[i] = grey
	}
	colors[argmax(probs)] = red
	colors[trueLabel] = blue

	p := newPlot()
	p.Add(bars{values: probs, colors: colors}, frame{})
	// Bars span [-0.4, n-0.6]; matplotlib pads that by 5% on each side.
	n := float64(len(probs))
	margin := 0.05 * (n - 1 + 0.8)
	p.X.Min, p.X.Max = -0.4-margin, n-0.6+margin
	p.Y.Min, p.Y.Max = 0, 1
	hideTicks(&p.Y)

	if names != nil {
		slantedNames(&p.X, names)
		return p
	}
	ticks := make([]gplot.Tick, len(probs))
	for i := range ticks {
		ticks[i] = gplot.Tick{Value: float64(i), Label: strconv.Itoa(i)}
	}
	p.X.Tick.Marker = gplot.ConstantTicks(ticks)
	return p
}

// bars draws one filled bar per value, each in its own colour, which
// plotter.BarChart cannot do without one chart per colour.
type bars struct {
	values []float32
	colors []color.Color
}

// maxRows and maxCols bound Predictions to a 4000×4000-pixel figure.
const maxRows, maxCols = 20, 10

// barWidth is matplotlib's default bar width in data units.
const barWidth = 0.8

func (b bars) Plot(c draw.Canvas, p *gplot.Plot) {
	x, y := p.Transforms(&c)
	for i, v := range b.values {
		x0, x1 := x(float64(i)-barWidth/2), x(float64(i)+barWidth/2)
		y0, y1 := y(0), y(float64(v))
		if y1 <= y0 {
			continue
		}
		c.FillPolygon(b.colors[i], c.ClipPolygonXY([]vg.Point{
			{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1},
		}))
	}
}

// checkPrediction returns Prediction's picture and probabilities after
// checking its input.
func checkPrediction(img, probs tensor.Float32, label int, classNames []string) (picture, []float32, error) {
	p, err := onePicture("img", img)
	if err == nil {
		err = checkScaled("img", p)
	}
	if err == nil {
		err = checkClassNames(classNames)
	}
	var row []float32
	if err == nil {
		row, err = oneRow("probs", probs, len(classNames))
	}
	if err == nil {
		err = checkLabel("trueLabel", label, len(classNames))
	}
	return p, row, err
}

// checkPredictions returns the pictures and probability rows Predictions
// draws after checking its input.
func checkPredictions(imgs, probs tensor.Float32, trueLabels []uint8, classNames []string, rows, cols int) ([]picture, [][]float32, error) {
	if rows <= 0 || cols <= 0 {
		return nil, nil, fmt.Errorf("rows×cols is %d×%d, want both positive", rows, cols)
	}
	// Each pair is 400×200 pixels; the cap keeps a slip such as passing
	// the number of images as rows from allocating gigabytes.
	if rows > maxRows || cols > maxCols {
		return nil, nil, fmt.Errorf("rows×cols is %d×%d, want at most %d×%d", rows, cols, maxRows, maxCols)
	}
	if err := checkClassNames(classNames); err != nil {
		return nil, nil, err
	}
	n := rows * cols
	pics, err := pictures("imgs", imgs, n)
	if err != nil {
		return nil, nil, err
	}
	probRows, err := probRowsOf(probs, imgs.Len(), len(classNames))
	if err != nil {
		return nil, nil, err
	}
	if len(trueLabels) != imgs.Len() {
		return nil, nil, fmt.Errorf("trueLabels has %d entries, want %d (one per image)", len(trueLabels), imgs.Len())
	}
	for i, p := range pics {
		if err := checkScaled(fmt.Sprintf("imgs[%d]", i), p); err != nil {
			return nil, nil, err
		}
		if err := checkProbs(fmt.Sprintf("probs[%d]", i), probRows[i]); err != nil {
			return nil, nil, err
		}
		if err := checkLabel(fmt.Sprintf("trueLabels[%d]", i), int(trueLabels[i]), len(classNames)); err != nil {
			return nil, nil, err
		}
	}
	return pics, probRows[:n], nil
}
