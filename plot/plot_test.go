package plot_test

import (
	"image"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/plot"
)

func TestImage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "image.png")
	require.NoError(t, plot.Image(path, garment()))
	img := decode(t, path, 640, 480)
	requireNotBlank(t, img, 0.2)
	all := img.Bounds()
	// viridis runs from dark purple (0, the background) to yellow (255,
	// the garment); both must cover real areas, not just the colour bar.
	assert.Greater(t, count(img, all, viridisLow), 20000)
	assert.Greater(t, count(img, all, viridisHigh), 5000)
}

var (
	viridisLow  = rgb(0x44, 0x01, 0x54)
	viridisHigh = rgb(0xfd, 0xe7, 0x25)
)

func TestGrid(t *testing.T) {
	imgs := make([][]uint8, 30)
	labels := make([]uint8, 30)
	for i := range imgs {
		imgs[i] = garment()
		labels[i] = uint8(i % len(classNames))
	}
	path := filepath.Join(t.TempDir(), "grid.png")
	require.NoError(t, plot.Grid(path, imgs, labels, classNames))
	img := decode(t, path, 1000, 1000)
	requireNotBlank(t, img, 0.05)
	// The binary colormap turns each bright garment black: 25 of them,
	// 8×20 source pixels each, blown up more than 4× in each direction.
	assert.Greater(t, count(img, img.Bounds(), black), 25*8*20*16)
}

func TestPrediction(t *testing.T) {
	tests := []struct {
		name      string
		probs     []float32
		trueLabel int
		// minimum exact-colour pixel counts; -1 means "must be absent"
		red, blue, grey int
	}{
		{"right is all blue", onehotish(2, 5), 2, -1, 2000, 1000},
		{"wrong is red with a blue truth", onehotish(5, 2), 2, 2000, 1000, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "prediction.png")
			require.NoError(t, plot.Prediction(path, garment(), tt.probs, tt.trueLabel, classNames))
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
		imgs := make([][]uint8, n)
		probs := make([][]float32, n)
		labels := make([]uint8, n)
		for i := range n {
			imgs[i] = garment()
			labels[i] = uint8(i % len(classNames))
			probs[i] = onehotish(int(labels[i]), (int(labels[i])+1)%len(classNames))
		}
		// Make the last one wrong so red appears too.
		probs[n-1] = onehotish((int(labels[n-1])+3)%len(classNames), int(labels[n-1]))

		path := filepath.Join(t.TempDir(), "predictions.png")
		require.NoError(t, plot.Predictions(path, imgs, probs, labels, classNames, tt.rows, tt.cols))
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
	path := filepath.Join(t.TempDir(), "probabilities.png")
	require.NoError(t, plot.Probabilities(path, onehotish(4, 6), 6, classNames))
	img := decode(t, path, 640, 480)
	requireNotBlank(t, img, 0.03)
	all := img.Bounds()
	assert.Greater(t, count(img, all, red), 5000)
	assert.Greater(t, count(img, all, blue), 2500)
	assert.Greater(t, count(img, all, grey), 100)
}

func TestHistory(t *testing.T) {
	train := plot.Curves{
		Loss:     []float64{0.50, 0.37, 0.33, 0.31, 0.29},
		Accuracy: []float64{0.82, 0.86, 0.88, 0.89, 0.90},
	}
	withVal := train
	withVal.ValLoss = []float64{0.42, 0.39, 0.37, 0.36, 0.37}
	withVal.ValAccuracy = []float64{0.85, 0.86, 0.87, 0.87, 0.87}
	tests := []struct {
		name    string
		curves  plot.Curves
		wantVal bool
	}{
		{"training only", train, false},
		{"with validation", withVal, true},
		{"one epoch", plot.Curves{Loss: []float64{0.5}, Accuracy: []float64{0.8}}, false},
		{"flat", plot.Curves{Loss: []float64{1, 1, 1}, Accuracy: []float64{0, 0, 0}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "history.png")
			require.NoError(t, plot.History(path, tt.curves))
			img := decode(t, path, 1200, 480)
			requireNotBlank(t, img, 0.01)
			left, right := image.Rect(0, 0, 600, 480), image.Rect(600, 0, 1200, 480)
			for _, half := range []image.Rectangle{left, right} {
				assert.Positive(t, count(img, half, trainColour), "training curve in %v", half)
				if tt.wantVal {
					assert.Positive(t, count(img, half, valColour), "validation curve in %v", half)
				} else {
					assert.Zero(t, count(img, half, valColour), "no validation curve in %v", half)
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
