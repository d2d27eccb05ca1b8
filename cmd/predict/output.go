package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/gokeras/fashion/loader"
)

// report prints the items in order, results on stdout, and returns how many
// failed. In text mode a failure is one line on stderr naming the file; in
// JSON mode it is an object with an "error" on stdout, so that a consumer
// gets one line per input either way.
func report(stdout, stderr io.Writer, items []*item, asJSON bool) (failed int, err error) {
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false) // "T-shirt/top" and file names stay readable
	for _, it := range items {
		if it.err != nil {
			failed++
		}
		if asJSON {
			err = enc.Encode(jsonResult(it))
		} else if it.err != nil {
			_, err = fmt.Fprintf(stderr, "predict: %s: %s\n", it.name(), errorText(it))
		} else {
			_, err = fmt.Fprintln(stdout, textResult(it))
		}
		if err != nil {
			return failed, err
		}
	}
	return failed, nil
}

// name is how the output refers to an item.
func (it *item) name() string {
	if it.testIndex >= 0 {
		return fmt.Sprintf("test image %d", it.testIndex)
	}
	return it.file
}

// textResult is one line such as
//
//	shirt.png: Shirt 71.2%, T-shirt/top 18.0%, Pullover 6.1%
//	test image 0 (Ankle boot): Ankle boot 91.3%, Sneaker 4.0%, Sandal 2.2%
//
// where the test image's true class is in parentheses.
func textResult(it *item) string {
	var b strings.Builder
	b.WriteString(it.name())
	if it.testIndex >= 0 {
		fmt.Fprintf(&b, " (%s)", loader.ClassName(it.trueLabel))
	}
	b.WriteString(":")
	for i, g := range it.top {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, " %s %.1f%%", loader.ClassName(g.label), 100*g.prob)
	}
	return b.String()
}

// result is the JSON form of an item. File is omitted for the test image,
// which has TestIndex and its true class instead.
type result struct {
	File      string      `json:"file,omitempty"`
	TestIndex *int        `json:"test_index,omitempty"`
	TrueLabel *int        `json:"true_label,omitempty"`
	TrueClass string      `json:"true_class,omitempty"`
	Top       []jsonGuess `json:"top,omitempty"`
	Error     string      `json:"error,omitempty"`
}

type jsonGuess struct {
	Class       string  `json:"class"`
	Label       int     `json:"label"`
	Probability float32 `json:"probability"` // float32 prints the shortest exact digits
}

func jsonResult(it *item) result {
	r := result{File: it.file}
	if it.testIndex >= 0 {
		r.TestIndex = &it.testIndex
		if it.err == nil {
			r.TrueLabel = &it.trueLabel
			r.TrueClass = loader.ClassName(it.trueLabel)
		}
	}
	if it.err != nil {
		r.Error = errorText(it)
		return r
	}
	for _, g := range it.top {
		r.Top = append(r.Top, jsonGuess{Class: loader.ClassName(g.label), Label: g.label, Probability: g.prob})
	}
	return r
}

// errorText is the item's error without a repetition of the file name, which
// the output already shows: "no such file or directory" rather than
// "open x.png: no such file or directory".
func errorText(it *item) string {
	var pe *fs.PathError
	if errors.As(it.err, &pe) && pe.Path == it.file {
		return pe.Err.Error()
	}
	return it.err.Error()
}
