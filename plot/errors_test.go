package plot_test

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/plot"
)

func TestInvalidInput(t *testing.T) {
	good := garment()
	probs := onehotish(1, 2)
	imgs := func(n int) [][]uint8 {
		out := make([][]uint8, n)
		for i := range out {
			out[i] = good
		}
		return out
	}
	labels := func(n int) []uint8 { return make([]uint8, n) }
	probsN := func(n int) [][]float32 {
		out := make([][]float32, n)
		for i := range out {
			out[i] = probs
		}
		return out
	}
	badImgs := imgs(25)
	badImgs = append([][]uint8(nil), badImgs...)
	badImgs[7] = good[:700]
	badLabels := labels(25)
	badLabels[3] = 10
	nan := onehotish(1, 2)
	nan[4] = float32(math.NaN())
	logits := []float32{-2.1, 0.3, 5.7, -1, 0, 0, 0, 0, 0, 1.2}

	dir := t.TempDir()
	out := filepath.Join(dir, "out.png")
	tests := []struct {
		name string
		call func(path string) error
		// every fragment must appear in the message
		want []string
	}{
		{"empty path", func(string) error { return plot.Image("", good) }, []string{"plot.Image", "path is empty"}},
		{"short image", func(p string) error { return plot.Image(p, good[:100]) }, []string{"plot.Image", "img has 100 pixels, want 784"}},
		{"nil image", func(p string) error { return plot.Image(p, nil) }, []string{"img has 0 pixels"}},
		{"missing directory", func(string) error { return plot.Image(filepath.Join(dir, "no", "such", "dir.png"), good) }, []string{"plot.Image", "no such file"}},

		{"grid too few", func(p string) error { return plot.Grid(p, imgs(24), labels(24), classNames) }, []string{"plot.Grid", "imgs has 24 images, want at least 25"}},
		{"grid label count", func(p string) error { return plot.Grid(p, imgs(30), labels(29), classNames) }, []string{"labels has 29 entries, want 30"}},
		{"grid bad image", func(p string) error { return plot.Grid(p, badImgs, labels(25), classNames) }, []string{"imgs[7] has 700 pixels"}},
		{"grid label range", func(p string) error { return plot.Grid(p, imgs(25), badLabels, classNames) }, []string{"labels[3] is 10, want a class index in [0, 10)"}},
		{"grid no names", func(p string) error { return plot.Grid(p, imgs(25), labels(25), nil) }, []string{"classNames is empty"}},

		{"prediction probs length", func(p string) error { return plot.Prediction(p, good, probs[:9], 1, classNames) }, []string{"plot.Prediction", "probs has 9 values, want 10"}},
		{"prediction true label", func(p string) error { return plot.Prediction(p, good, probs, -1, classNames) }, []string{"trueLabel is -1"}},
		{"prediction NaN", func(p string) error { return plot.Prediction(p, good, nan, 1, classNames) }, []string{"probs[4] is NaN, want a probability"}},
		{"prediction logits", func(p string) error { return plot.Prediction(p, good, logits, 1, classNames) }, []string{"probs[0] is -2.1", "not logits"}},
		{"prediction image", func(p string) error { return plot.Prediction(p, good[1:], probs, 1, classNames) }, []string{"img has 783 pixels"}},

		{"predictions rows", func(p string) error { return plot.Predictions(p, imgs(15), probsN(15), labels(15), classNames, 0, 3) }, []string{"plot.Predictions", "rows×cols is 0×3, want both positive"}},
		{"predictions cols", func(p string) error { return plot.Predictions(p, imgs(15), probsN(15), labels(15), classNames, 5, -1) }, []string{"5×-1"}},
		{"predictions too big", func(p string) error {
			return plot.Predictions(p, imgs(15), probsN(15), labels(15), classNames, 15, 1000)
		}, []string{"rows×cols is 15×1000, want at most 20×10"}},
		{"predictions too few", func(p string) error { return plot.Predictions(p, imgs(14), probsN(14), labels(14), classNames, 5, 3) }, []string{"imgs has 14 images, want at least 15"}},
		{"predictions probs count", func(p string) error { return plot.Predictions(p, imgs(15), probsN(16), labels(15), classNames, 5, 3) }, []string{"probs has 16 entries, want 15"}},
		{"predictions label count", func(p string) error { return plot.Predictions(p, imgs(15), probsN(15), labels(3), classNames, 5, 3) }, []string{"trueLabels has 3 entries, want 15"}},
		{"predictions probs length", func(p string) error {
			ps := probsN(15)
			ps[9] = probs[:4]
			return plot.Predictions(p, imgs(15), ps, labels(15), classNames, 5, 3)
		}, []string{"probs[9] has 4 values, want 10"}},

		{"probabilities length", func(p string) error { return plot.Probabilities(p, probs, 0, classNames[:5]) }, []string{"plot.Probabilities", "probs has 10 values, want 5"}},
		{"probabilities label", func(p string) error { return plot.Probabilities(p, probs, 10, classNames) }, []string{"trueLabel is 10"}},

		{"history empty", func(p string) error { return plot.History(p, plot.Curves{}) }, []string{"plot.History", "Curves.Loss is empty"}},
		{"history accuracy length", func(p string) error {
			return plot.History(p, plot.Curves{Loss: []float64{1, 2}, Accuracy: []float64{1}})
		}, []string{"Curves.Accuracy has 1 values, want 2"}},
		{"history val length", func(p string) error {
			return plot.History(p, plot.Curves{Loss: []float64{1, 2}, Accuracy: []float64{1, 2}, ValLoss: []float64{1}})
		}, []string{"Curves.ValLoss has 1 values, want 0 or 2"}},
		{"history infinite", func(p string) error {
			return plot.History(p, plot.Curves{Loss: []float64{1, math.Inf(1)}, Accuracy: []float64{1, 2}})
		}, []string{"Curves.Loss[1] is +Inf, want a finite number"}},

		{"confusion empty", func(p string) error { return plot.Confusion(p, nil, nil, classNames) }, []string{"plot.Confusion", "trueLabels is empty"}},
		{"confusion lengths", func(p string) error { return plot.Confusion(p, labels(5), labels(4), classNames) }, []string{"predicted has 4 labels, want 5"}},
		{"confusion range", func(p string) error { return plot.Confusion(p, labels(5), []uint8{0, 0, 12, 0, 0}, classNames) }, []string{"predicted[2] is 12"}},
		{"confusion names", func(p string) error { return plot.Confusion(p, labels(5), labels(5), []string{}) }, []string{"classNames is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			require.NotPanics(t, func() { err = tt.call(out) })
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			_, statErr := os.Stat(out)
			assert.True(t, os.IsNotExist(statErr), "a failed call must not write %s", out)
		})
	}
}
