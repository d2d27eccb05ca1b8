package main

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/loader"
)

// fakeModel records its calls and gives image i probability 0.5 + i/100
// for class i (mod 10), the rest spread evenly.
type fakeModel struct {
	calls []int
	err   error
}

func (f *fakeModel) Predict(images []float32, n int) ([]float32, error) {
	f.calls = append(f.calls, n)
	if f.err != nil {
		return nil, f.err
	}
	probs := make([]float32, 0, n*loader.NumClasses)
	for i := range n {
		top := 0.5 + float32(i)/100
		for c := range loader.NumClasses {
			p := (1 - top) / 9
			if c == i%loader.NumClasses {
				p = top
			}
			probs = append(probs, p)
		}
	}
	return probs, nil
}

func TestClassifyBatchesGoodImages(t *testing.T) {
	blank := make([]float32, loader.ImageSize)
	items := []*item{
		{file: "a.png", testIndex: -1, pixels: blank},
		{file: "bad.png", testIndex: -1, err: errEmpty},
		{file: "b.png", testIndex: -1, pixels: blank},
	}
	model := &fakeModel{}
	require.NoError(t, classify(model, items, 2))
	assert.Equal(t, []int{2}, model.calls, "one Predict call for the two good images")
	assert.Equal(t, 0, items[0].top[0].label)
	assert.InDelta(t, 0.5, items[0].top[0].prob, 1e-6)
	assert.Len(t, items[0].top, 2)
	assert.Nil(t, items[1].top)
	assert.Equal(t, 1, items[2].top[0].label, "the second image of the batch")

	model = &fakeModel{}
	require.NoError(t, classify(model, items[1:2], 3))
	assert.Empty(t, model.calls, "no call without a good image")

	model = &fakeModel{err: errors.New("boom")}
	assert.EqualError(t, classify(model, items, 3), "boom")
}

func TestTopK(t *testing.T) {
	probs := []float32{0.1, 0.3, 0.1, 0.3, 0, 0, 0, 0, 0.2, 0}
	assert.Equal(t, []guess{{1, 0.3}, {3, 0.3}, {8, 0.2}, {0, 0.1}}, topK(probs, 4), "ties in label order")
	assert.Len(t, topK(probs, 10), 10)
}

func TestReport(t *testing.T) {
	shirt := &item{file: "shirt.png", testIndex: -1, top: []guess{{6, 0.712}, {0, 0.18}, {2, 0.061}}}
	test := &item{testIndex: 0, trueLabel: 9, top: []guess{{9, 0.9132}, {5, 0.05}}}
	empty := &item{file: "empty.png", testIndex: -1, err: errEmpty}
	items := []*item{test, shirt, empty}

	var stdout, stderr bytes.Buffer
	failed, err := report(&stdout, &stderr, items, false)
	require.NoError(t, err)
	assert.Equal(t, 1, failed)
	assert.Equal(t, "test image 0 (Ankle boot): Ankle boot 91.3%, Sandal 5.0%\n"+
		"shirt.png: Shirt 71.2%, T-shirt/top 18.0%, Pullover 6.1%\n", stdout.String())
	assert.Equal(t, "predict: empty.png: empty file\n", stderr.String())

	stdout.Reset()
	stderr.Reset()
	failed, err = report(&stdout, &stderr, items, true)
	require.NoError(t, err)
	assert.Equal(t, 1, failed)
	assert.Equal(t, `{"test_index":0,"true_label":9,"true_class":"Ankle boot","top":[{"class":"Ankle boot","label":9,"probability":0.9132},{"class":"Sandal","label":5,"probability":0.05}]}
{"file":"shirt.png","top":[{"class":"Shirt","label":6,"probability":0.712},{"class":"T-shirt/top","label":0,"probability":0.18},{"class":"Pullover","label":2,"probability":0.061}]}
{"file":"empty.png","error":"empty file"}
`, stdout.String())
	assert.Empty(t, stderr.String(), "JSON mode reports errors on stdout")
}
