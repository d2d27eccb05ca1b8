package main

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"runtime"
	"runtime/metrics"
	"slices"

	"github.com/gokeras/fashion/loader"
	"github.com/gokeras/fashion/tensor"
)

// item is one image to classify and, once classify has run, its result.
type item struct {
	file      string // the path as given; "" for the test image
	testIndex int    // the test image's index, with trueLabel; -1 for a file
	trueLabel int

	pixels []float32 // 28×28 in [0, 1], light on dark; nil if err
	err    error     // why the image could not be read or classified
	top    []guess   // the most probable classes, most probable first
	// scores is set when the model's outputs for this image are not a
	// probability distribution (see isDistribution): a model ending in
	// logits or sigmoids. Its numbers are then shown as scores.
	scores bool
}

// guess is one class and its probability, or its score if the item's
// outputs are not probabilities.
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
			return nil, err
		}
		it := &item{file: file, testIndex: -1}
		if img, err := readImage(file); err != nil {
			it.err = err
		} else {
			it.pixels = preprocess(img)
		}
		items = append(items, it)
		collectLargeGarbage()
	}
	return items, nil
}

// largeGarbage is the heap size past which collectLargeGarbage collects.
// predict's own live heap between images is small (the results, 3 KiB an
// image; TensorFlow's memory is not Go's), so a heap this large is mostly
// the last image's garbage.
const largeGarbage = 64 << 20

var heapObjects = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}

// collectLargeGarbage collects garbage now if an image left much of it. Go
// collects when the heap has doubled since the last collection, so without
// this the next image's allocations could come on top of the last one's
// garbage, and the peak be twice the maxImageBytes meant to bound it. A
// collection of a small live heap takes well under a millisecond, next to
// the tenth of a second it takes to decode an image that leaves 64 MiB.
func collectLargeGarbage() {
	metrics.Read(heapObjects)
	if heapObjects[0].Value.Kind() == metrics.KindUint64 && heapObjects[0].Value.Uint64() > largeGarbage {
		runtime.GC()
	}
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
	Predict(x tensor.Float32) (tensor.Float32, error)
}

// classify runs the model once on all the items that have pixels, a single
// batch being much faster than one run per image, and keeps each one's top
// k classes. image is the shape of one image as the model takes it (see
// imageShape).
func classify(model predictor, image []int, items []*item, k int) error {
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
	x, err := tensor.NewFloat32(batch, append([]int{len(ready)}, image...)...)
	if err != nil {
		return fmt.Errorf("preparing %d images of shape %v: %w", len(ready), image, err)
	}
	probs, err := model.Predict(x)
	if err != nil {
		return err
	}
	// The signature promised [-1 10]; a graph can still break the promise.
	if want := []int{len(ready), loader.NumClasses}; !slices.Equal(probs.Shape, want) {
		return fmt.Errorf("the model gave an output of shape %v for %d images, want %v", probs.Shape, len(ready), want)
	}
	for i, it := range ready {
		row := probs.Data[i*loader.NumClasses : (i+1)*loader.NumClasses]
		it.top = topK(row, k)
		it.scores = !isDistribution(row)
	}
	return nil
}

// Tolerances of isDistribution. Float32 rounding leaves a softmax's values
// a few ulps outside [0, 1] at most, and their sum within 1e-6 of 1; 1e-3
// for the sum also takes a model that rounds its outputs to three digits,
// while sigmoids and logits miss it by far.
const (
	probTolerance = 1e-5
	sumTolerance  = 1e-3
)

// isDistribution reports whether row can be read as class probabilities:
// every value finite and in [0, 1], and their sum 1, within rounding.
func isDistribution(row []float32) bool {
	sum := 0.0
	for _, v := range row {
		p := float64(v)
		if math.IsNaN(p) || p < -probTolerance || p > 1+probTolerance {
			return false
		}
		sum += p
	}
	return math.Abs(sum-1) <= sumTolerance
}

// topK returns the k most probable classes, ties in label order so that
// the output is stable. NaN counts as less than any number (cmp.Compare),
// so it comes last.
func topK(probs []float32, k int) []guess {
	all := make([]guess, len(probs))
	for label, p := range probs {
		all[label] = guess{label, p}
	}
	slices.SortStableFunc(all, func(a, b guess) int { return cmp.Compare(b.prob, a.prob) })
	return all[:min(k, len(all))]
}
