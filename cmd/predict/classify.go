package main

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/gokeras/fashion/loader"
)

// item is one image to classify and, once classify has run, its result.
type item struct {
	file      string // the path as given; "" for the test image
	testIndex int    // the test image's index, with trueLabel; -1 for a file
	trueLabel int

	pixels []float32 // 28×28 in [0, 1], light on dark; nil if err
	err    error     // why the image could not be read or classified
	top    []guess   // the most probable classes, most probable first
}

// guess is one class and its probability.
type guess struct {
	label int
	prob  float32
}

// gather reads and prepares the images cfg names, the test image first. An
// unreadable file is not fatal: its item carries the error.
func gather(ctx context.Context, cfg config) ([]*item, error) {
	var items []*item
	if cfg.testIndex >= 0 {
		items = append(items, testItem(ctx, cfg.dataDir, cfg.testIndex))
	}
	for _, file := range cfg.files {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("interrupted: %w", err)
		}
		it := &item{file: file, testIndex: -1}
		if img, err := readImage(file); err != nil {
			it.err = err
		} else {
			it.pixels = preprocess(img)
		}
		items = append(items, it)
	}
	return items, nil
}

// testItem returns test image i as the model saw it in evaluation.
func testItem(ctx context.Context, dataDir string, i int) *item {
	it := &item{testIndex: i}
	data, err := loader.DefaultSearch(dataDir).Load(ctx)
	if err != nil {
		it.err = err
		return it
	}
	if i >= data.Test.Len() {
		it.err = fmt.Errorf("the test set from %s has only %d images", data.Source, data.Test.Len())
		return it
	}
	// The same scaling as Split.Scaled, which cmd/train evaluated on, for
	// one image rather than all ten thousand.
	one := loader.Split{Images: data.Test.Image(i), Labels: data.Test.Labels[i : i+1]}
	it.pixels = one.Scaled()
	it.trueLabel = int(data.Test.Labels[i])
	return it
}

// predictor is what classify needs of a *savedmodel.Model.
type predictor interface {
	Predict(images []float32, n int) ([]float32, error)
}

// classify runs the model once on all the items that have pixels, a single
// batch being much faster than one run per image, and keeps each one's top
// k classes.
func classify(model predictor, items []*item, k int) error {
	var batch []float32
	var ready []*item
	for _, it := range items {
		if it.err == nil {
			batch = append(batch, it.pixels...)
			ready = append(ready, it)
		}
	}
	if len(ready) == 0 {
		return nil
	}
	probs, err := model.Predict(batch, len(ready))
	if err != nil {
		return err
	}
	for i, it := range ready {
		it.top = topK(probs[i*loader.NumClasses:(i+1)*loader.NumClasses], k)
	}
	return nil
}

// topK returns the k most probable classes, ties in label order so that
// the output is stable.
func topK(probs []float32, k int) []guess {
	all := make([]guess, len(probs))
	for label, p := range probs {
		all[label] = guess{label, p}
	}
	slices.SortStableFunc(all, func(a, b guess) int { return cmp.Compare(b.prob, a.prob) })
	return all[:min(k, len(all))]
}
