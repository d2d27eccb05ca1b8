package serving

import (
	"fmt"
	"math"
	"math/rand"
	"strconv"
	"strings"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/savedmodel"
)

// generalPredictJSON is the general path: parse, then decode.
func generalPredictJSON(body string, limits jsonLimits, inputsOf func(string) ([]savedmodel.TensorSpec, error)) (*predictJSON, error) {
	doc, err := parseJSON([]byte(body), limits)
	if err != nil {
		return nil, err
	}
	return decodePredictJSON(doc, inputsOf)
}

// TestFastPredictJSONAgreesWithTheGeneralPath: on every body the fast path
// takes, it builds exactly the general path's request (dtype, shape, bytes,
// signature, format); the bodies it must take, it takes; the rest it leaves
// to the general path.
func TestFastPredictJSONAgreesWithTheGeneralPath(t *testing.T) {
	limits := jsonLimits{maxDepth: 64, maxValues: 1 << 20}
	specsFor := func(dtype tf.DataType, names ...string) func(string) ([]savedmodel.TensorSpec, error) {
		return func(sig string) ([]savedmodel.TensorSpec, error) {
			if sig != "" && sig != "serving_default" && sig != "other" {
				return nil, errorf(InvalidArgument, "no signature %s", sig)
			}
			var specs []savedmodel.TensorSpec
			for _, n := range names {
				specs = append(specs, savedmodel.TensorSpec{Name: n, DType: dtype})
			}
			return specs, nil
		}
	}
	img := imagesJSON(testImages(t, 2), 2)
	for _, tc := range []struct {
		body  string
		dtype tf.DataType
		fast  bool // must take the fast path
	}{
		{`{"instances": ` + img + `}`, tf.Float, true},
		{`{"inputs": ` + img + `}`, tf.Float, true},
		{`{"signature_name": "other", "instances": ` + img + `}`, tf.Float, true},
		{`{"instances": ` + img + `, "signature_name": "other"}`, tf.Float, true},
		{" \n{ \"instances\" :[ [1, 2.5 ,-3e2], [4E-1,-0, 0.125] ] } trailing", tf.Float, true},
		{`{"instances": [1, 2, 3]}`, tf.Float, true},
		{`{"inputs": [[1.5, 2], [3, 4]]}`, tf.Double, true},
		{`{"instances": [[1, -2], [3, 4]]}`, tf.Int32, true},
		{`{"instances": [[255, 0]]}`, tf.Uint8, true},
		{`{"instances": [[1, 2], [3, 4]]}`, tf.Half, true},
		{`{"instances": [[1.00000001, 16777217, 3.4028235e38, 1e-45, 0.1, 0.30000001192092896]]}`, tf.Float, true},
		{`{"instances": [[1e39, -1e39, 1e-50]]}`, tf.Float, true},
		{`{"instances": [[123456789012345678901234567890, 0.000000000001]]}`, tf.Float, true},
		// Left to the general path: errors, and what the fast path does not read.
		{`{"instances": [[256]]}`, tf.Uint8, false},
		{`{"instances": [[1.5]]}`, tf.Int32, false},
		{`{"instances": [[1, 2], [3]]}`, tf.Float, false},
		{`{"instances": [[1, 2], 3]}`, tf.Float, false},
		{`{"instances": [1, [2]]}`, tf.Float, false},
		{`{"instances": []}`, tf.Float, false},
		{`{"instances": [[]]}`, tf.Float, false},
		{`{"instances": [NaN, Infinity]}`, tf.Float, false},
		{`{"instances": [01]}`, tf.Float, false},
		{`{"instances": [1.]}`, tf.Float, false},
		{`{"instances": [1e]}`, tf.Float, false},
		{`{"instances": [1e400]}`, tf.Double, false},
		{`{"instances": [1, 2]`, tf.Float, false},
		{`{"instances": [1, 2], "instances": [3, 4]}`, tf.Float, false},
		{`{"instances": [1, 2], "inputs": [3, 4]}`, tf.Float, false},
		{`{"instances": [{"images": [1]}]}`, tf.Float, false},
		{`{"inputs": {"images": [1, 2]}}`, tf.Float, false},
		{`{"instances": [1, 2], "extra": 1}`, tf.Float, false},
		{`{"signature_name": "nope", "instances": [1, 2]}`, tf.Float, false},
		{`{"signature_name": 1, "instances": [1, 2]}`, tf.Float, false},
		{`{"signature_name": "a\"b", "instances": [1, 2]}`, tf.Float, false},
		{`{"instances": [true]}`, tf.Bool, false},
		{`{"instances": ["a"]}`, tf.String, false},
		{`{}`, tf.Float, false},
		{`[1]`, tf.Float, false},
		{``, tf.Float, false},
	} {
		t.Run(fmt.Sprintf("%.60s", tc.body), func(t *testing.T) {
			inputsOf := specsFor(tc.dtype, "images")
			fast, ok := fastPredictJSON([]byte(tc.body), limits, inputsOf)
			assert.Equal(t, tc.fast, ok, "fast path taken")
			general, err := generalPredictJSON(tc.body, limits, inputsOf)
			if !ok {
				return
			}
			require.NoError(t, err, "the fast path took a body the general path refuses")
			assert.Equal(t, general.signature, fast.signature)
			assert.Equal(t, general.format, fast.format)
			require.Len(t, fast.inputs, 1)
			g, f := general.inputs["images"], fast.inputs["images"]
			assert.Equal(t, g.DType, f.DType)
			assert.Equal(t, g.Shape, f.Shape)
			assert.Equal(t, g.Data, f.Data)
		})
	}
	// A signature named after the tensor, whose input differs from the
	// default one's: read again for it.
	mixed := func(sig string) ([]savedmodel.TensorSpec, error) {
		if sig == "ints" {
			return []savedmodel.TensorSpec{{Name: "pixels", DType: tf.Int32}}, nil
		}
		return []savedmodel.TensorSpec{{Name: "images", DType: tf.Float}}, nil
	}
	for _, body := range []string{`{"instances": [[1, 2]], "signature_name": "ints"}`, `{"signature_name": "ints", "instances": [[1, 2]]}`, `{"instances": [[1, 2]], "signature_name": ""}`} {
		fast, ok := fastPredictJSON([]byte(body), limits, mixed)
		require.True(t, ok, body)
		general, err := generalPredictJSON(body, limits, mixed)
		require.NoError(t, err)
		assert.Equal(t, general, fast, body)
	}
	// Two inputs: always the general path.
	_, ok := fastPredictJSON([]byte(`{"inputs": [1]}`), limits, specsFor(tf.Float, "a", "b"))
	assert.False(t, ok)
	// Limits: left to the general path, which reports them.
	_, ok = fastPredictJSON([]byte(`{"instances": [[1, 2], [3, 4]]}`), jsonLimits{maxDepth: 64, maxValues: 5}, specsFor(tf.Float, "images"))
	assert.False(t, ok)
	_, ok = fastPredictJSON([]byte(`{"instances": [[[1]]]}`), jsonLimits{maxDepth: 3, maxValues: 100}, specsFor(tf.Float, "images"))
	assert.False(t, ok)
}

// TestFastFloat32ParsesAsStrconv: the fast path's float32 numbers have the
// bits strconv.ParseFloat(s, 32) gives, on the literals clients write
// (Python's and Go's shortest forms, fixed and exponent forms) and on
// random digit strings.
func TestFastFloat32ParsesAsStrconv(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	var lits []string
	for i := 0; i < 200000; i++ {
		f := math.Float32frombits(r.Uint32())
		if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
			continue
		}
		g := r.Float32() * float32(math.Pow(10, float64(r.Intn(12)-6)))
		lits = append(lits,
			strconv.FormatFloat(float64(f), 'g', -1, 32),
			strconv.FormatFloat(float64(g), 'g', -1, 32),
			strconv.FormatFloat(float64(g), 'f', -1, 32),
			strconv.FormatFloat(float64(g), 'e', r.Intn(10), 32),
			strconv.FormatFloat(float64(g), 'g', 17, 64),
			fmt.Sprintf("%d.%0*de%d", r.Intn(100000), r.Intn(6)+1, r.Intn(1000), r.Intn(25)-12),
			fmt.Sprint(r.Intn(1<<25)-1<<24),
		)
	}
	var body strings.Builder
	body.WriteString(`{"instances": [`)
	for i, l := range lits {
		if i > 0 {
			body.WriteByte(',')
		}
		body.WriteString(l)
	}
	body.WriteString(`]}`)
	req, ok := fastPredictJSON([]byte(body.String()), jsonLimits{maxDepth: 64, maxValues: 1 << 30}, func(string) ([]savedmodel.TensorSpec, error) {
		return []savedmodel.TensorSpec{{Name: "x", DType: tf.Float}}, nil
	})
	require.True(t, ok)
	got := req.inputs["x"]
	require.Equal(t, []int64{int64(len(lits))}, got.Shape)
	bad := 0
	for i, l := range lits {
		want, err := strconv.ParseFloat(l, 32)
		require.NoError(t, err, l)
		if math.Float32bits(got.float32At(i)) != math.Float32bits(float32(want)) {
			bad++
			if bad < 10 {
				t.Errorf("%s: got %v (%#x), want %v", l, got.float32At(i), math.Float32bits(got.float32At(i)), float32(want))
			}
		}
	}
	assert.Zero(t, bad, "of %d literals", len(lits))
}
