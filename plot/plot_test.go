package plot_test

import (
	"fmt"
	"image"
	"image/color"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/plot"
	"github.com/gokeras/fashion/tensor"
)

func TestImage(t *testing.T) {
	g := garment()
	raw := tensor.Float32{Shape: g.Shape, Data: make([]float32, len(g.Data))}
	for i, v := range g.Data {
		raw.Data[i] = 255 * v
	}
	wide := tensor.Float32{Shape: []int{10, 40}, Data: make([]float32, 400)}
	for i := range wide.Data {
		wide.Data[i] = float32(i % 40) // a left-to-right ramp
	}
	tests := []struct {
		name string
		img  tensor.Float32
		// minimum pixel counts of viridis's ends
		low, high int
	}{
		// viridis runs from dark purple (0, the background) to yellow (the
		// garment); both must cover real areas, not just the colour bar.
		{"scaled to [0, 1]", g, 20000, 5000},
		{"raw 0..255, as the tutorial shows it", raw, 20000, 5000},
		{"a batch of one", tensor.Float32{Shape: []int{1, side, side}, Data: g.Data}, 20000, 5000},
		{"not square", wide, 500, 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "image.png")
			require.NoError(t, plot.Image(path, tt.img))
			img := decode(t, path, 640, 480)
			requireNotBlank(t, img, 0.1)
			all := img.Bounds()
			assert.Greater(t, count(img, all, viridisLow), tt.low)
			assert.Greater(t, count(img, all, viridisHigh), tt.high)
		})
	}
}

var (
	viridisLow  = rgb(0x44, 0x01, 0x54)
	viridisHigh = rgb(0xfd, 0xe7, 0x25)
)

// TestImageSquarePixels: a 10×40 image is drawn four times as wide as it
// is tall, as imshow draws it.
func TestImageSquarePixels(t *testing.T) {
	wide := tensor.Float32{Shape: []int{10, 40}, Data: make([]float32, 400)}
	path := filepath.Join(t.TempDir(), "wide.png")
	require.NoError(t, plot.Image(path, wide))
	img := decode(t, path, 640, 480)
	// A constant image is drawn in the colormap's bottom colour, which the
	// colour bar's gradient does not reach exactly.
	box := image.Rectangle{}
	for y := range img.Bounds().Dy() {
		for x := range img.Bounds().Dx() {
			if color.RGBAModel.Convert(img.At(x, y)).(color.RGBA) == viridisLow {
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	require.Positive(t, box.Dy())
	assert.InDelta(t, 4, float64(box.Dx())/float64(box.Dy()), 0.1, "%v", box)
	assert.Equal(t, box.Dx()*box.Dy(), count(img, box, viridisLow), "one solid box")
}

func TestGrid(t *testing.T) {
	labels := make([]uint8, 30)
	for i := range labels {
		labels[i] = uint8(i % len(classNames))
	}
	path := filepath.Join(t.TempDir(), "grid.png")
	require.NoError(t, plot.Grid(path, garments(30), labels, classNames))
	img := decode(t, path, 1000, 1000)
	requireNotBlank(t, img, 0.05)
	// The binary colormap turns each bright garment black: 25 of them,
	// 8×20 source pixels each, blown up more than 4× in each direction.
	assert.Greater(t, count(img, img.Bounds(), black), 25*8*20*16)
}

func TestPrediction(t *testing.T) {
	tests := []struct {
		name      string
		img       tensor.Float32
		probs     tensor.Float32
		trueLabel int
		// minimum exact-colour pixel counts; -1 means "must be absent"
		red, blue, grey int
	}{
		{"right is all blue", garment(), vector(onehotish(2, 5)), 2, -1, 2000, 1000},
		{"wrong is red with a blue truth", garment(), vector(onehotish(5, 2)), 2, 2000, 1000, 10},
		{"batches of one, as model.predict gives them", garments(1), batch([][]float32{onehotish(5, 2)}), 2, 2000, 1000, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "prediction.png")
			require.NoError(t, plot.Prediction(path, tt.img, tt.probs, tt.trueLabel, classNames))
			img := decode(t, path, 600, 300)
			requireNotBlank(t, img, 0.05)
			bars := image.Rect(300, 0, 600, 300)
			checkColour(t, img, bars, "red", red, tt.red)
			checkColour(t, img, bars, "blue", blue, tt.blue)
			checkColour(t, img, bars, "grey", grey, tt.grey)
			// The caption under the image takes the verdict's colour.
			caption := image.Rect(0, 250, 300, 300)
			if tt.red < 0 {
				assert.Positive(t, count(img, caption, blue), "caption should be blue")
				assert.Zero(t, count(img, caption, red), "caption should not be red")
			} else {
				assert.Positive(t, count(img, caption, red), "caption should be red")
				assert.Zero(t, count(img, caption, blue), "caption should not be blue")
			}
		})
	}
}

func checkColour(t *testing.T, img image.Image, r image.Rectangle, name string, c rgba, atLeast int) {
	t.Helper()
	n := count(img, r, c)
	if atLeast < 0 {
		assert.Zero(t, n, "%s pixels", name)
		return
	}
	assert.GreaterOrEqual(t, n, atLeast, "%s pixels", name)
}

func TestPredictions(t *testing.T) {
	tests := []struct{ rows, cols int }{{5, 3}, {1, 1}, {2, 4}}
	for _, tt := range tests {
		n := tt.rows * tt.cols
		probs := make([][]float32, n)
		labels := make([]uint8, n)
		for i := range n {
			labels[i] = uint8(i % len(classNames))
			probs[i] = onehotish(int(labels[i]), (int(labels[i])+1)%len(classNames))
		}
		// Make the last one wrong so red appears too.
		probs[n-1] = onehotish((int(labels[n-1])+3)%len(classNames), int(labels[n-1]))

		path := filepath.Join(t.TempDir(), "predictions.png")
		require.NoError(t, plot.Predictions(path, garments(n), batch(probs), labels, classNames, tt.rows, tt.cols))
		img := decode(t, path, 400*tt.cols, 200*tt.rows)
		requireNotBlank(t, img, 0.05)
		all := img.Bounds()
		// Each pair's bars are a quarter of the pair's height or more.
		assert.Greater(t, count(img, all, blue), n*300, "rows=%d cols=%d", tt.rows, tt.cols)
		assert.Greater(t, count(img, all, grey), n*50, "rows=%d cols=%d", tt.rows, tt.cols)
		assert.Greater(t, count(img, all, red), 300, "rows=%d cols=%d", tt.rows, tt.cols)
	}
}

func TestProbabilities(t *testing.T) {
	for _, probs := range []tensor.Float32{vector(onehotish(4, 6)), batch([][]float32{onehotish(4, 6)})} {
		t.Run(fmt.Sprint(probs.Shape), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "probabilities.png")
			require.NoError(t, plot.Probabilities(path, probs, 6, classNames))
			img := decode(t, path, 640, 480)
			requireNotBlank(t, img, 0.03)
			all := img.Bounds()
			assert.Greater(t, count(img, all, red), 5000)
			assert.Greater(t, count(img, all, blue), 2500)
			assert.Greater(t, count(img, all, grey), 100)
		})
	}
}

func TestHistory(t *testing.T) {
	loss := []float64{0.50, 0.37, 0.33, 0.31, 0.29}
	accuracy := []float64{0.82, 0.86, 0.88, 0.89, 0.90}
	valLoss := []float64{0.42, 0.39, 0.37, 0.36, 0.37}
	valAccuracy := []float64{0.85, 0.86, 0.87, 0.87, 0.87}
	tests := []struct {
		name    string
		history map[string][]float64
		width   int
		wantVal bool
	}{
		{"training only", map[string][]float64{"loss": loss, "accuracy": accuracy}, 1200, false},
		{"with validation", map[string][]float64{"loss": loss, "accuracy": accuracy, "val_loss": valLoss, "val_accuracy": valAccuracy}, 1200, true},
		{"regression", map[string][]float64{"loss": loss, "mae": accuracy, "val_loss": valLoss, "val_mae": valAccuracy}, 1200, true},
		{"learning rate is no metric", map[string][]float64{"loss": loss, "learning_rate": accuracy, "val_loss": valLoss}, 600, true},
		{"loss alone", map[string][]float64{"loss": loss}, 600, false},
		{"one epoch", map[string][]float64{"loss": {0.5}, "accuracy": {0.8}}, 1200, false},
		{"flat", map[string][]float64{"loss": {1, 1, 1}, "accuracy": {0, 0, 0}}, 1200, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "history.png")
			require.NoError(t, plot.History(path, tt.history))
			img := decode(t, path, tt.width, 480)
			requireNotBlank(t, img, 0.01)
			for x := 0; x < tt.width; x += 600 {
				panel := image.Rect(x, 0, x+600, 480)
				assert.Positive(t, count(img, panel, trainColour), "training curve in %v", panel)
				if tt.wantVal {
					assert.Positive(t, count(img, panel, valColour), "validation curve in %v", panel)
				} else {
					assert.Zero(t, count(img, panel, valColour), "no validation curve in %v", panel)
				}
			}
		})
	}
}

// matplotlib's first two cycle colours.
var (
	trainColour = rgb(0x1f, 0x77, 0xb4)
	valColour   = rgb(0xff, 0x7f, 0x0e)
)

func TestConfusion(t *testing.T) {
	var truth, pred []uint8
	for c := range len(classNames) {
		for i := range 100 {
			truth = append(truth, uint8(c))
			p := c
			if i < 10*(c%3) { // some classes are confused with the next one
				p = (c + 1) % len(classNames)
			}
			pred = append(pred, uint8(p))
		}
	}
	path := filepath.Join(t.TempDir(), "confusion.png")
	require.NoError(t, plot.Confusion(path, truth, pred, classNames))
	img := decode(t, path, 900, 800)
	requireNotBlank(t, img, 0.3)
	// The busiest cells are painted the darkest Blues colour, and a
	// 10×10 matrix of them covers a good part of the figure.
	assert.Greater(t, count(img, img.Bounds(), bluesDarkest), 3*1500)
}

var bluesDarkest = rgb(0x08, 0x30, 0x6b)
