package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gokeras/fashion/loader"
	"github.com/gokeras/fashion/plot"
	"github.com/gokeras/fashion/tensor"
	"github.com/gokeras/fashion/tfmodel"
)

// plotNames are the files drawPlots writes, in order: the only files in
// -plots it replaces.
var plotNames = []string{
	"1_train_image_0.png",
	"2_train_images_5x5.png",
	"3_prediction_test_0.png",
	"4_prediction_test_12.png",
	"5_predictions_first_15.png",
	"6_single_image_probabilities.png",
	"7_training_curves.png",
	"8_confusion_matrix.png",
}

// drawPlots draws the tutorial's six figures and the two this project adds,
// in the tutorial's order, and returns the files written.
func drawPlots(ctx context.Context, dir string, data *loader.Dataset, predictions, single tensor.Float32, history *tfmodel.History) ([]string, error) {
	names := loader.ClassNames()
	classNames := names[:]
	trainImages, testImages := data.Train.ScaledTensor(), data.Test.ScaledTensor()
	// The tutorial's first figure shows the raw pixels, 0..255.
	raw := make([]float32, loader.ImageSize)
	for i, p := range data.Train.Image(0) {
		raw[i] = float32(p)
	}
	rawImage := tensor.Float32{Shape: []int{loader.Rows, loader.Cols}, Data: raw}
	predicted := make([]uint8, data.Test.Len())
	for i := range predicted {
		predicted[i] = uint8(argmax(predictions.Slice(i, i+1).Data))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("plots: %w", err)
	}
	var written []string
	steps := []struct {
		name string
		draw func(path string) error
	}{
		{plotNames[0], func(p string) error { return plot.Image(p, rawImage) }},
		{plotNames[1], func(p string) error {
			return plot.Grid(p, trainImages.Slice(0, 25), data.Train.Labels[:25], classNames)
		}},
		{plotNames[2], func(p string) error {
			return plot.Prediction(p, testImages.Slice(0, 1), predictions.Slice(0, 1), int(data.Test.Labels[0]), classNames)
		}},
		{plotNames[3], func(p string) error {
			return plot.Prediction(p, testImages.Slice(12, 13), predictions.Slice(12, 13), int(data.Test.Labels[12]), classNames)
		}},
		{plotNames[4], func(p string) error {
			return plot.Predictions(p, testImages.Slice(0, 15), predictions.Slice(0, 15), data.Test.Labels[:15], classNames, 5, 3)
		}},
		{plotNames[5], func(p string) error {
			return plot.Probabilities(p, single, int(data.Test.Labels[1]), classNames)
		}},
		{plotNames[6], func(p string) error {
			return plot.History(p, history.History)
		}},
		{plotNames[7], func(p string) error {
			return plot.Confusion(p, data.Test.Labels, predicted, classNames)
		}},
	}
	for _, s := range steps {
		if err := ctx.Err(); err != nil {
			return written, err // each figure takes a moment: stop between them
		}
		if s.name == plotNames[6] && len(history.Epochs) == 0 {
			continue // a resumed run that had nothing left to train
		}
		path := filepath.Join(dir, s.name)
		if err := s.draw(path); err != nil {
			return written, fmt.Errorf("plot %s: %w", path, err)
		}
		written = append(written, path)
	}
	return written, nil
}
