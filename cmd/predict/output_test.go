package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/loader"
	"github.com/gokeras/fashion/tensor"
)

// fakeModel records the shapes it is called with and gives image i
// probability 0.5 + i/100 for class i (mod 10), the rest spread evenly;
// with classes set, that many classes instead of ten.
type fakeModel struct {
	calls   [][]int
	err     error
	classes int
}

func (f *fakeModel) Predict(x tensor.Float32) (tensor.Float32, error) {
	f.calls = append(f.calls, x.Shape)
	if f.err != nil {
		return tensor.Float32{}, f.err
	}
	classes := loader.NumClasses
	if f.classes > 0 {
		classes = f.classes
	}
	n := x.Len()
	probs := make([]float32, 0, n*classes)
	for i := range n {
		top := 0.5 + float32(i)/100
		for c := range classes {
			p := (1 - top) / float32(classes-1)
			if c == i%classes {
				p = top
			}
			probs = append(probs, p)
		}
	}
	return tensor.Float32{Shape: []int{n, classes}, Data: probs}, nil
}

func TestClassifyBatchesGoodImages(t *testing.T) {
	blank := make([]float32, loader.ImageSize)
	items := []*item{
		{file: "a.png", testIndex: -1, pixels: blank},
		{file: "bad.png", testIndex: -1, err: errEmpty},
		{file: "b.png", testIndex: -1, pixels: blank},
	}
	for _, image := range [][]int{{28, 28}, {784}} {
		t.Run(fmt.Sprint(image), func(t *testing.T) {
			model := &fakeModel{}
			require.NoError(t, classify(model, image, items, 2))
			assert.Equal(t, [][]int{append([]int{2}, image...)}, model.calls,
				"one Predict call for the two good images, in the shape the model takes")
			assert.Equal(t, 0, items[0].top[0].label)
			assert.InDelta(t, 0.5, items[0].top[0].prob, 1e-6)
			assert.Len(t, items[0].top, 2)
			assert.Nil(t, items[1].top)
			assert.Equal(t, 1, items[2].top[0].label, "the second image of the batch")
		})
	}

	model := &fakeModel{}
	require.NoError(t, classify(model, []int{28, 28}, items[1:2], 3))
	assert.Empty(t, model.calls, "no call without a good image")

	model = &fakeModel{err: errors.New("boom")}
	assert.EqualError(t, classify(model, []int{28, 28}, items, 3), "boom")

	// A graph that gives another shape than its signature declares.
	model = &fakeModel{classes: 5}
	assert.EqualError(t, classify(model, []int{28, 28}, items, 3), "the model gave an output of shape [2 5] for 2 images, want [2 10]")
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

func TestIsDistribution(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, tc := range []struct {
		name string
		row  []float32
		want bool
	}{
		{"softmax", []float32{0.7, 0.2, 0.1, 0, 0, 0, 0, 0, 0, 0}, true},
		{"one class certain", []float32{1, 0, 0, 0, 0, 0, 0, 0, 0, 0}, true},
		{"float32 rounding", []float32{0.1000001, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.0999999}, true},
		{"rounded to three digits", []float32{0.333, 0.333, 0.333, 0, 0, 0, 0, 0, 0, 0.0005}, true},
		{"sigmoids", []float32{0.746, 0.632, 0.1, 0.1, 0, 0, 0, 0, 0, 0}, false},
		{"logits", []float32{3.2, -1, 0.5, 0, 0, 0, 0, 0, 0, 0}, false},
		{"negative, summing to 1", []float32{1.5, -0.5, 0, 0, 0, 0, 0, 0, 0, 0}, false},
		{"sum off by 2e-3", []float32{0.502, 0.5, 0, 0, 0, 0, 0, 0, 0, 0}, false},
		{"NaN", []float32{nan, 1, 0, 0, 0, 0, 0, 0, 0, 0}, false},
		{"infinite", []float32{inf, 0, 0, 0, 0, 0, 0, 0, 0, 0}, false},
		{"all zero", make([]float32, 10), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, isDistribution(tc.row))
		})
	}
}

// classify marks each image's outputs that are not probabilities, on their
// own: one image's NaN does not make the others' probabilities scores.
func TestClassifyMarksScores(t *testing.T) {
	blank := make([]float32, loader.ImageSize)
	items := []*item{{file: "a.png", testIndex: -1, pixels: blank}, {file: "b.png", testIndex: -1, pixels: blank}}
	model := rowsModel{
		{0.1, 0.9, 0, 0, 0, 0, 0, 0, 0, 0},
		{float32(math.NaN()), 3, -2, 0, 0, 0, 0, 0, 0, 0},
	}
	require.NoError(t, classify(model, []int{28, 28}, items, 3))
	assert.False(t, items[0].scores)
	assert.True(t, items[1].scores)
	assert.Equal(t, []guess{{1, 3}, {3, 0}, {4, 0}}, items[1].top, "NaN ranks last")
}

// rowsModel returns its rows, one per image.
type rowsModel [][]float32

func (m rowsModel) Predict(x tensor.Float32) (tensor.Float32, error) {
	var out []float32
	for i := range x.Len() {
		out = append(out, m[i]...)
	}
	return tensor.Float32{Shape: []int{x.Len(), loader.NumClasses}, Data: out}, nil
}

// Outputs that are not probabilities are shown as scores, in text and in
// JSON, and non-finite ones keep the JSON stream valid.
func TestReportScores(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, tc := range []struct {
		name       string
		top        []guess
		text, json string
	}{
		{"sigmoids", []guess{{2, 0.746}, {5, 0.632}},
			"x.png: Pullover score 0.746, Sandal score 0.632",
			`{"file":"x.png","not_probabilities":true,"top":[{"class":"Pullover","label":2,"score":0.746},{"class":"Sandal","label":5,"score":0.632}]}`},
		{"logits", []guess{{6, 3.21875}, {0, -1e-7}, {8, 123456.7}},
			"x.png: Shirt score 3.219, T-shirt/top score -1e-07, Bag score 1.235e+05",
			`{"file":"x.png","not_probabilities":true,"top":[{"class":"Shirt","label":6,"score":3.21875},{"class":"T-shirt/top","label":0,"score":-1e-7},{"class":"Bag","label":8,"score":123456.7}]}`},
		{"non-finite", []guess{{1, inf}, {3, -inf}, {9, nan}},
			"x.png: Trouser score +Inf, Dress score -Inf, Ankle boot score NaN",
			`{"file":"x.png","not_probabilities":true,"top":[{"class":"Trouser","label":1,"score":null,"non_finite":"Infinity"},{"class":"Dress","label":3,"score":null,"non_finite":"-Infinity"},{"class":"Ankle boot","label":9,"score":null,"non_finite":"NaN"}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			items := []*item{
				{file: "x.png", testIndex: -1, top: tc.top, scores: true},
				{file: "after.png", testIndex: -1, top: []guess{{7, 1}}},
			}
			var stdout, stderr bytes.Buffer
			_, err := report(&stdout, &stderr, items, false)
			require.NoError(t, err)
			assert.Equal(t, tc.text+"\nafter.png: Sneaker 100.0%\n", stdout.String())

			stdout.Reset()
			_, err = report(&stdout, &stderr, items, true)
			require.NoError(t, err, "the stream goes on past non-finite values")
			out := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
			require.Len(t, out, 2, stdout.String())
			assert.Equal(t, tc.json, out[0])
			assert.True(t, json.Valid([]byte(out[0])))
			assert.Equal(t, `{"file":"after.png","top":[{"class":"Sneaker","label":7,"probability":1}]}`, out[1])
			assert.Empty(t, stderr.String())
		})
	}
}

// File names reach the output unchanged or, where they cannot be, in a
// documented form from which their exact bytes come back.
func TestReportFileNames(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		text       string // the text result's start, up to the colon
		bytes      bool   // JSON has file_bytes
	}{
		{"plain", "shirt.png", "shirt.png", false},
		{"spaces and UTF-8", "my shirt – été.png", "my shirt – été.png", false},
		{"HTML characters", "<a&b>.png", "<a&b>.png", false},
		{"Latin-1 bytes", "chemise-\xe9t\xe9.png", `"chemise-\xe9t\xe9.png"`, true},
		{"lone continuation byte", "a\x80.png", `"a\x80.png"`, true},
		{"newline", "two\nlines.png", `"two\nlines.png"`, false},
		{"terminal escape", "\x1b[2Jclear.png", `"\x1b[2Jclear.png"`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			good := &item{file: tc.file, testIndex: -1, top: []guess{{6, 0.5}}}
			bad := &item{file: tc.file, testIndex: -1, err: errEmpty}
			var stdout, stderr bytes.Buffer
			_, err := report(&stdout, &stderr, []*item{good, bad}, false)
			require.NoError(t, err)
			assert.Equal(t, tc.text+": Shirt 50.0%\n", stdout.String())
			assert.Equal(t, "predict: "+tc.text+": empty file\n", stderr.String())

			stdout.Reset()
			_, err = report(&stdout, &stderr, []*item{good, bad}, true)
			require.NoError(t, err)
			for i, line := range strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n") {
				var got struct {
					File      string  `json:"file"`
					FileBytes *[]byte `json:"file_bytes"`
				}
				require.NoError(t, json.Unmarshal([]byte(line), &got), line)
				if !tc.bytes {
					assert.Equal(t, tc.file, got.File, "line %d: %s", i, line)
					assert.Nil(t, got.FileBytes, "line %d: %s", i, line)
					continue
				}
				assert.Equal(t, strings.ToValidUTF8(tc.file, "\uFFFD"), got.File, "line %d: readable, U+FFFD for the bad bytes", i)
				require.NotNil(t, got.FileBytes, "line %d: %s", i, line)
				assert.Equal(t, []byte(tc.file), *got.FileBytes, "line %d: the exact bytes", i)
			}
		})
	}
}
