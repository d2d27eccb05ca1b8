package plot_test

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/plot"
	"github.com/gokeras/fashion/tensor"
)

func TestInvalidInput(t *testing.T) {
	good := garment()
	probs := vector(onehotish(1, 2))
	probsN := func(n int) tensor.Float32 {
		rows := make([][]float32, n)
		for i := range rows {
			rows[i] = onehotish(1, 2)
		}
		return batch(rows)
	}
	labels := func(n int) []uint8 { return make([]uint8, n) }
	badLabels := labels(25)
	badLabels[3] = 10
	nan := onehotish(1, 2)
	nan[4] = float32(math.NaN())
	logits := vector([]float32{-2.1, 0.3, 5.7, -1, 0, 0, 0, 0, 0, 1.2})
	raw := garments(25)
	raw.Data[7*side*side+5*side+12] = 255 // imgs[7], row 5, column 12: an unscaled pixel
	inf := garment()
	inf.Data[side+1] = float32(math.Inf(1))
	short := tensor.Float32{Shape: []int{side, side}, Data: good.Data[:700]}
	withRows := func(probs tensor.Float32, edit func(d []float32)) tensor.Float32 {
		d := append([]float32(nil), probs.Data...)
		edit(d)
		return tensor.Float32{Shape: probs.Shape, Data: d}
	}

	dir := t.TempDir()
	out := filepath.Join(dir, "out.png")
	tests := []struct {
		name string
		call func(path string) error
		// every fragment must appear in the message
		want []string
		// the error wraps tensor.ErrShape
		shape bool
	}{
		{name: "empty path", call: func(string) error { return plot.Image("", good) }, want: []string{"plot.Image", "path is empty"}},
		{name: "flat image", call: func(p string) error { return plot.Image(p, tensor.Float32{Shape: []int{784}, Data: good.Data}) },
			want: []string{"plot.Image: shape mismatch: img has shape [784], want one image, [H W] or [1 H W]"}, shape: true},
		{name: "a batch of two", call: func(p string) error { return plot.Image(p, garments(2)) },
			want: []string{"img has shape [2 28 28], want one image"}, shape: true},
		{name: "no pixels", call: func(p string) error { return plot.Image(p, tensor.Float32{Shape: []int{0, 28}}) },
			want: []string{"img has shape [0 28]"}, shape: true},
		{name: "nil image", call: func(p string) error { return plot.Image(p, tensor.Float32{}) },
			want: []string{"img: shape mismatch: shape [] holds 1 values, the data has 0"}, shape: true},
		{name: "data short of the shape", call: func(p string) error { return plot.Image(p, short) },
			want: []string{"plot.Image: img: shape mismatch: shape [28 28] holds 784 values, the data has 700"}, shape: true},
		{name: "infinite pixel", call: func(p string) error { return plot.Image(p, inf) },
			want: []string{"img has +Inf at row 1, column 1, want a finite number"}},
		{name: "missing directory", call: func(string) error { return plot.Image(filepath.Join(dir, "no", "such", "dir.png"), good) },
			want: []string{"plot.Image", "no such file"}},

		{name: "grid too few", call: func(p string) error { return plot.Grid(p, garments(24), labels(24), classNames) },
			want: []string{"plot.Grid: shape mismatch: imgs has 24 images (shape [24 28 28]), want at least 25"}, shape: true},
		{name: "grid of one image", call: func(p string) error { return plot.Grid(p, good, labels(25), classNames) },
			want: []string{"imgs has shape [28 28], want images, [N H W]"}, shape: true},
		{name: "grid label count", call: func(p string) error { return plot.Grid(p, garments(30), labels(29), classNames) },
			want: []string{"labels has 29 entries, want 30"}},
		{name: "grid raw pixels", call: func(p string) error { return plot.Grid(p, raw, labels(25), classNames) },
			want: []string{"imgs[7] has 255 at row 5, column 12, want pixels scaled to [0, 1] (pixels / 255)"}},
		{name: "grid label range", call: func(p string) error { return plot.Grid(p, garments(25), badLabels, classNames) },
			want: []string{"labels[3] is 10, want a class index in [0, 10)"}},
		{name: "grid no names", call: func(p string) error { return plot.Grid(p, garments(25), labels(25), nil) },
			want: []string{"classNames is empty"}},

		{name: "prediction probs length", call: func(p string) error {
			return plot.Prediction(p, good, vector(probs.Data[:9]), 1, classNames)
		}, want: []string{"plot.Prediction", "probs has shape [9], want [10] or [1 10] (one probability per class name)"}, shape: true},
		{name: "prediction probs of two images", call: func(p string) error { return plot.Prediction(p, good, probsN(2), 1, classNames) },
			want: []string{"probs has shape [2 10], want [10] or [1 10]"}, shape: true},
		{name: "prediction true label", call: func(p string) error { return plot.Prediction(p, good, probs, -1, classNames) },
			want: []string{"trueLabel is -1"}},
		{name: "prediction NaN", call: func(p string) error { return plot.Prediction(p, good, vector(nan), 1, classNames) },
			want: []string{"probs[4] is NaN, want a probability"}},
		{name: "prediction logits", call: func(p string) error { return plot.Prediction(p, good, logits, 1, classNames) },
			want: []string{"probs[0] is -2.1", "not logits"}},
		{name: "prediction image", call: func(p string) error {
			return plot.Prediction(p, tensor.Float32{Shape: []int{783}, Data: good.Data[1:]}, probs, 1, classNames)
		}, want: []string{"img has shape [783]"}, shape: true},
		{name: "prediction raw image", call: func(p string) error {
			return plot.Prediction(p, tensor.Float32{Shape: []int{side, side}, Data: raw.Data[7*side*side : 8*side*side]}, probs, 1, classNames)
		}, want: []string{"img has 255 at row 5, column 12, want pixels scaled to [0, 1]"}},

		{name: "predictions rows", call: func(p string) error {
			return plot.Predictions(p, garments(15), probsN(15), labels(15), classNames, 0, 3)
		},
			want: []string{"plot.Predictions", "rows×cols is 0×3, want both positive"}},
		{name: "predictions cols", call: func(p string) error {
			return plot.Predictions(p, garments(15), probsN(15), labels(15), classNames, 5, -1)
		},
			want: []string{"5×-1"}},
		{name: "predictions too big", call: func(p string) error {
			return plot.Predictions(p, garments(15), probsN(15), labels(15), classNames, 15, 1000)
		}, want: []string{"rows×cols is 15×1000, want at most 20×10"}},
		{name: "predictions too few", call: func(p string) error {
			return plot.Predictions(p, garments(14), probsN(14), labels(14), classNames, 5, 3)
		},
			want: []string{"imgs has 14 images (shape [14 28 28]), want at least 15"}, shape: true},
		{name: "predictions probs count", call: func(p string) error {
			return plot.Predictions(p, garments(15), probsN(16), labels(15), classNames, 5, 3)
		},
			want: []string{"probs has 16 rows (shape [16 10]), want 15 (one per image)"}, shape: true},
		{name: "predictions label count", call: func(p string) error {
			return plot.Predictions(p, garments(15), probsN(15), labels(3), classNames, 5, 3)
		},
			want: []string{"trueLabels has 3 entries, want 15"}},
		{name: "predictions probs width", call: func(p string) error {
			return plot.Predictions(p, garments(15), tensor.Float32{Shape: []int{15, 4}, Data: make([]float32, 60)}, labels(15), classNames, 5, 3)
		}, want: []string{"probs has shape [15 4], want [N 10] (one probability per class name)"}, shape: true},
		{name: "predictions logits", call: func(p string) error {
			return plot.Predictions(p, garments(15), withRows(probsN(15), func(d []float32) { d[9*10+3] = 7 }), labels(15), classNames, 5, 3)
		}, want: []string{"probs[9][3] is 7, want a probability in [0, 1]"}},

		{name: "probabilities length", call: func(p string) error { return plot.Probabilities(p, probs, 0, classNames[:5]) },
			want: []string{"plot.Probabilities", "probs has shape [10], want [5] or [1 5]"}, shape: true},
		{name: "probabilities label", call: func(p string) error { return plot.Probabilities(p, probs, 10, classNames) },
			want: []string{"trueLabel is 10"}},

		{name: "history empty", call: func(p string) error { return plot.History(p, nil) },
			want: []string{`plot.History: history["loss"] is missing or empty, want one value per epoch (keys: [])`}},
		{name: "history without loss", call: func(p string) error { return plot.History(p, map[string][]float64{"accuracy": {1}}) },
			want: []string{`history["loss"] is missing or empty, want one value per epoch (keys: [accuracy])`}},
		{name: "history accuracy length", call: func(p string) error {
			return plot.History(p, map[string][]float64{"loss": {1, 2}, "accuracy": {1}})
		}, want: []string{`history["accuracy"] has 1 values, want 2 (as many as history["loss"])`}},
		{name: "history val length", call: func(p string) error {
			return plot.History(p, map[string][]float64{"loss": {1, 2}, "accuracy": {1, 2}, "val_loss": {1}})
		}, want: []string{`history["val_loss"] has 1 values, want 0 or 2 (as many as history["loss"])`}},
		{name: "history val metric length", call: func(p string) error {
			return plot.History(p, map[string][]float64{"loss": {1, 2}, "mae": {1, 2}, "val_mae": {1, 2, 3}})
		}, want: []string{`history["val_mae"] has 3 values, want 0 or 2`}},
		{name: "history infinite", call: func(p string) error {
			return plot.History(p, map[string][]float64{"loss": {1, math.Inf(1)}, "accuracy": {1, 2}})
		}, want: []string{`history["loss"][1] is +Inf, want a finite number`}},
		{name: "history NaN metric", call: func(p string) error {
			return plot.History(p, map[string][]float64{"loss": {1, 2}, "accuracy": {math.NaN(), 2}})
		}, want: []string{`history["accuracy"][0] is NaN, want a finite number`}},

		{name: "confusion empty", call: func(p string) error { return plot.Confusion(p, nil, nil, classNames) },
			want: []string{"plot.Confusion", "trueLabels is empty"}},
		{name: "confusion lengths", call: func(p string) error { return plot.Confusion(p, labels(5), labels(4), classNames) },
			want: []string{"predicted has 4 labels, want 5"}},
		{name: "confusion range", call: func(p string) error { return plot.Confusion(p, labels(5), []uint8{0, 0, 12, 0, 0}, classNames) },
			want: []string{"predicted[2] is 12"}},
		{name: "confusion names", call: func(p string) error { return plot.Confusion(p, labels(5), labels(5), []string{}) },
			want: []string{"classNames is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			require.NotPanics(t, func() { err = tt.call(out) })
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.Equal(t, tt.shape, errors.Is(err, tensor.ErrShape), "wraps tensor.ErrShape: %v", err)
			_, statErr := os.Stat(out)
			assert.True(t, os.IsNotExist(statErr), "a failed call must not write %s", out)
		})
	}
}
