package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gokeras/fashion/loader"
)

// report prints the items in order, results on stdout, and returns how many
// failed. In text mode a failure is one line on stderr naming the file; in
// JSON mode it is an object with an "error" on stdout, so that a consumer
// gets one line per input either way.
func report(stdout, stderr io.Writer, items []*item, asJSON bool) (failed int, err error) {
	for _, it := range items {
		if it.err != nil {
			failed++
		}
		if asJSON {
			_, err = stdout.Write(encodeJSON(it))
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

// name is how the text output refers to an item: the file name as given,
// or quoted in Go syntax if printing it as is would mangle it or the
// output: bytes that are not UTF-8 would show as U+FFFD (or worse, in the
// terminal's encoding), and control characters could break the line or
// move the cursor.
func (it *item) name() string {
	if it.testIndex >= 0 {
		return fmt.Sprintf("test image %d", it.testIndex)
	}
	if !utf8.ValidString(it.file) || strings.ContainsFunc(it.file, unicode.IsControl) {
		return strconv.Quote(it.file)
	}
	return it.file
}

// textResult is one line such as
//
//	shirt.png: Shirt 71.2%, T-shirt/top 18.0%, Pullover 6.1%
//	test image 0 (Ankle boot): Ankle boot 91.3%, Sneaker 4.0%, Sandal 2.2%
//	logits.png: Pullover score 3.21, Shirt score 1.5, Coat score NaN
//
// where the test image's true class is in parentheses, and the last is for
// outputs that are not probabilities (see item.scores): percentages of them
// would be false.
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
		if it.scores {
			// Four significant digits: enough to rank, and NaN and ±Inf
			// print as such.
			fmt.Fprintf(&b, " %s score %s", loader.ClassName(g.label), strconv.FormatFloat(float64(g.prob), 'g', 4, 32))
		} else {
			fmt.Fprintf(&b, " %s %.1f%%", loader.ClassName(g.label), 100*g.prob)
		}
	}
	return b.String()
}

// result is the JSON form of an item. File is omitted for the test image,
// which has TestIndex and its true class instead. FileBytes is the file name
// exactly, in base64 (how encoding/json writes []byte), when it is not valid
// UTF-8: File then has U+FFFD in place of the bad bytes, as JSON strings
// must be Unicode.
type result struct {
	File      string `json:"file,omitempty"`
	FileBytes []byte `json:"file_bytes,omitempty"`
	TestIndex *int   `json:"test_index,omitempty"`
	TrueLabel *int   `json:"true_label,omitempty"`
	TrueClass string `json:"true_class,omitempty"`
	// NotProbabilities marks outputs that are not a probability
	// distribution; the guesses then have Score, not Probability.
	NotProbabilities bool        `json:"not_probabilities,omitempty"`
	Top              []jsonGuess `json:"top,omitempty"`
	Error            string      `json:"error,omitempty"`
}

// jsonGuess is one class and either its probability or its score. JSON has
// no NaN or infinities (encoding/json refuses them, and the NaN and Infinity
// that Python's json writes are not JSON), so a non-finite score is null,
// and NonFinite says which it was: "NaN", "Infinity" or "-Infinity".
type jsonGuess struct {
	Class       string          `json:"class"`
	Label       int             `json:"label"`
	Probability *float32        `json:"probability,omitempty"` // float32 prints the shortest exact digits
	Score       json.RawMessage `json:"score,omitempty"`       // a number, or null
	NonFinite   string          `json:"non_finite,omitempty"`
}

func jsonResult(it *item) result {
	r := result{File: it.file}
	if !utf8.ValidString(it.file) {
		r.FileBytes = []byte(it.file)
	}
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
	r.NotProbabilities = it.scores
	for _, g := range it.top {
		jg := jsonGuess{Class: loader.ClassName(g.label), Label: g.label}
		v := g.prob
		switch {
		case !it.scores:
			jg.Probability = &v
		case math.IsNaN(float64(v)):
			jg.Score, jg.NonFinite = json.RawMessage("null"), "NaN"
		case math.IsInf(float64(v), 1):
			jg.Score, jg.NonFinite = json.RawMessage("null"), "Infinity"
		case math.IsInf(float64(v), -1):
			jg.Score, jg.NonFinite = json.RawMessage("null"), "-Infinity"
		default:
			jg.Score, _ = json.Marshal(v) // a finite float32 always encodes
		}
		r.Top = append(r.Top, jg)
	}
	return r
}

// encodeJSON is the item's JSON object and a newline, with "&", "<" and ">"
// left as they are in file names. Nothing in a result should fail to
// encode; if something did, the line becomes an error object for that
// input, so that the stream stays one valid object per input.
func encodeJSON(it *item) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(jsonResult(it)); err != nil {
		b.Reset()
		fallback := jsonResult(&item{file: it.file, testIndex: it.testIndex, err: err})
		fallback.Error = "cannot write the result as JSON: " + err.Error()
		enc.Encode(fallback)
	}
	return b.Bytes()
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
