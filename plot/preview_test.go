package plot_test

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/plot"
	"github.com/gokeras/fashion/tensor"
)

var classNames = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
	"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}

// fakeProbs returns plausible softmax outputs: the true class is usually
// favoured, and every wrongEvery-th prediction favours another class so the
// red "wrong" styling shows up.
func fakeProbs(labels []uint8, wrongEvery int, seed uint64) [][]float32 {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([][]float32, len(labels))
	for i, l := range labels {
		logits := make([]float64, len(classNames))
		for j := range logits {
			logits[j] = r.NormFloat64()
		}
		fav := int(l)
		if wrongEvery > 0 && i%wrongEvery == wrongEvery-1 {
			fav = (fav + 2) % len(classNames)
			logits[l] += 2.5
		}
		logits[fav] += 3 + 4*r.Float64()
		var sum float64
		for j := range logits {
			logits[j] = math.Exp(logits[j])
			sum += logits[j]
		}
		out[i] = make([]float32, len(logits))
		for j := range logits {
			out[i][j] = float32(logits[j] / sum)
		}
	}
	return out
}

// TestPreview draws every figure from the real data set; with
// PLOT_PREVIEW_DIR set it keeps them there for a human to look at.
func TestPreview(t *testing.T) {
	dir := os.Getenv("PLOT_PREVIEW_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	trainRaw, train, trainLabels := fashion(t, "train", 25)
	_, test, testLabels := fashion(t, "t10k", 10000)
	probs := fakeProbs(testLabels, 7, 42)
	probs[12] = fakeProbs([]uint8{testLabels[12]}, 1, 3)[0] // the tutorial shows 12 as a mistake
	one := func(x tensor.Float32, i int) tensor.Float32 { return x.Slice(i, i+1) }
	all := batch(probs)

	require.NoError(t, plot.Grid(filepath.Join(dir, "2_grid.png"), train, trainLabels, classNames))
	require.NoError(t, plot.Prediction(filepath.Join(dir, "3_prediction_0.png"), one(test, 0), one(all, 0), int(testLabels[0]), classNames))
	require.NoError(t, plot.Prediction(filepath.Join(dir, "4_prediction_12.png"), one(test, 12), one(all, 12), int(testLabels[12]), classNames))
	require.NoError(t, plot.Predictions(filepath.Join(dir, "5_predictions.png"), test, all, testLabels, classNames, 5, 3))
	require.NoError(t, plot.History(filepath.Join(dir, "7_history.png"), map[string][]float64{
		"loss":         {0.4989, 0.3752, 0.3372, 0.3131, 0.2946, 0.2795, 0.2677, 0.2561, 0.2474, 0.2386},
		"accuracy":     {0.8250, 0.8650, 0.8770, 0.8854, 0.8913, 0.8962, 0.9005, 0.9040, 0.9076, 0.9107},
		"val_loss":     {0.4230, 0.3870, 0.3680, 0.3610, 0.3480, 0.3520, 0.3390, 0.3450, 0.3400, 0.3470},
		"val_accuracy": {0.8480, 0.8610, 0.8660, 0.8700, 0.8750, 0.8740, 0.8790, 0.8770, 0.8800, 0.8790},
	}))
	require.NoError(t, plot.History(filepath.Join(dir, "7_history_regression.png"), map[string][]float64{
		"loss":     {30.1, 12.4, 8.2, 6.9, 6.1, 5.8},
		"mae":      {4.1, 2.6, 2.1, 1.9, 1.8, 1.7},
		"val_loss": {14.2, 9.3, 7.7, 7.1, 6.8, 6.9},
		"val_mae":  {2.9, 2.3, 2.0, 1.95, 1.9, 1.92},
	}))
	predicted := make([]uint8, len(probs))
	for i, p := range probs {
		for j, v := range p {
			if v > p[predicted[i]] {
				predicted[i] = uint8(j)
			}
		}
	}
	require.NoError(t, plot.Confusion(filepath.Join(dir, "8_confusion.png"), testLabels, predicted, classNames))
	require.NoError(t, plot.Probabilities(filepath.Join(dir, "6_probabilities.png"), one(all, 1), int(testLabels[1]), classNames))
	require.NoError(t, plot.Image(filepath.Join(dir, "1_image.png"), one(trainRaw, 0)))
}
