package serving

import (
	"math"
	"strconv"
	"unicode/utf8"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/gokeras/fashion/savedmodel"
)

// The fast path of REST predict. Most predict bodies are one dense array of
// numbers for a signature with one numeric input, {"instances": [...]} or
// {"inputs": [...]}, maybe with "signature_name". The general path parses
// such a body into a tree of jvalues (a node and a string per number) and
// converts each number twice; for a batch of 32 images (25,088 numbers)
// that was most of a request's time and garbage. fastPredictJSON reads the
// numbers straight from the body into the tensor's bytes instead.
//
// It only ever succeeds with the tensor the general path would build; on
// anything else (another key, a string, an object, NaN, a ragged or empty
// array, a number that is not plain, a limit reached, any malformed JSON)
// it gives up, and the caller runs the general path, which answers with
// TensorFlow Serving's result or error exactly as before.

// fastPredictJSON decodes body if it is of the common kind; ok is false if
// it is not (nothing is reported: the general path will).
func fastPredictJSON(body []byte, limits jsonLimits, inputsOf func(signature string) ([]savedmodel.TensorSpec, error)) (req *predictJSON, ok bool) {
	d := fastDecoder{data: body, maxDepth: limits.maxDepth, maxValues: limits.maxValues}
	d.skipSpace()
	if !d.eat('{') {
		return nil, false
	}
	var sig string
	var haveSig bool
	tensorAt := -1
	format := formatRow
	// Read the tensor where it is, for the default signature's input unless
	// "signature_name" came first, and again should "signature_name" come
	// after it and name a signature whose input differs.
	var spec savedmodel.TensorSpec
	var t *Tensor
	d.values = 1
	for first := true; ; first = false {
		d.skipSpace()
		if first && d.eat('}') {
			return nil, false // no instances nor inputs
		}
		key, ok := d.plainString()
		if !ok {
			return nil, false
		}
		d.skipSpace()
		if !d.eat(':') {
			return nil, false
		}
		d.skipSpace()
		d.values++
		switch key {
		case "signature_name":
			if haveSig {
				return nil, false
			}
			if sig, ok = d.plainString(); !ok {
				return nil, false
			}
			haveSig = true
			if t != nil {
				s, ok := fastSpec(inputsOf, sig)
				if !ok {
					return nil, false
				}
				if s.Name != spec.Name || s.DType != spec.DType {
					at := d.pos
					if spec, t, ok = d.decodeAt(tensorAt, s, format); !ok {
						return nil, false
					}
					d.pos = at
				}
			}
		case "instances", "inputs":
			if tensorAt >= 0 {
				return nil, false // both, or twice: the general path decides
			}
			if key == "inputs" {
				format = formatColumnar
			}
			tensorAt = d.pos
			s, ok := fastSpec(inputsOf, sig)
			if !ok {
				return nil, false
			}
			if spec, t, ok = d.decodeAt(tensorAt, s, format); !ok {
				return nil, false
			}
		default:
			return nil, false
		}
		d.skipSpace()
		if d.eat(',') {
			continue
		}
		if d.eat('}') {
			break
		}
		return nil, false
	}
	if t == nil {
		return nil, false
	}
	return &predictJSON{signature: sig, inputs: map[string]*Tensor{spec.Name: t}, format: format}, true
}

// fastSpec is the one input of signature sig, if the fast path reads it.
func fastSpec(inputsOf func(signature string) ([]savedmodel.TensorSpec, error), sig string) (savedmodel.TensorSpec, bool) {
	specs, err := inputsOf(sig)
	if err != nil || len(specs) != 1 || !fastDType(specs[0].DType) {
		return savedmodel.TensorSpec{}, false
	}
	return specs[0], true
}

// decodeAt reads the tensor at offset at for spec, leaving d.pos after it.
func (d *fastDecoder) decodeAt(at int, spec savedmodel.TensorSpec, format jsonFormat) (savedmodel.TensorSpec, *Tensor, bool) {
	if at >= len(d.data) || d.data[at] != '[' {
		return spec, nil, false
	}
	t := &Tensor{DType: spec.DType}
	d.pos = at
	d.values = 3
	shape, ok := d.tensor(t)
	if !ok || (format == formatRow && len(shape) == 0) {
		return spec, nil, false
	}
	t.Shape = append([]int64(nil), shape...)
	return spec, t, true
}

// fastDType reports whether the fast path decodes numbers of dtype.
func fastDType(dtype tf.DataType) bool {
	switch dtype {
	case tf.Float, tf.Double, tf.Half, tf.Bfloat16, tf.Int8, tf.Uint8, tf.Int16, tf.Uint16,
		tf.Int32, tf.Uint32, tf.Int64, tf.Uint64:
		return true
	}
	return false
}

type fastDecoder struct {
	data      []byte
	pos       int
	values    int
	maxDepth  int
	maxValues int
	shape     []int64 // learned along the first elements; -1 until known
	rank      int     // -1 until the first number
}

func (d *fastDecoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *fastDecoder) eat(c byte) bool {
	if d.pos < len(d.data) && d.data[d.pos] == c {
		d.pos++
		return true
	}
	return false
}

// plainString reads a string without escapes or control characters.
func (d *fastDecoder) plainString() (string, bool) {
	if !d.eat('"') {
		return "", false
	}
	start := d.pos
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if c == '"' {
			s := d.data[start:d.pos]
			d.pos++
			if !utf8.Valid(s) {
				return "", false
			}
			return string(s), true
		}
		if c == '\\' || c < 0x20 {
			return "", false
		}
		d.pos++
	}
	return "", false
}

// tensor reads the array at d.pos into t.Data and returns its shape.
func (d *fastDecoder) tensor(t *Tensor) ([]int64, bool) {
	d.shape = d.shape[:0]
	d.rank = -1
	if !d.array(t, 0) || d.rank < 0 {
		return nil, false
	}
	return d.shape, true
}

// array reads an array at nesting level (0 for the tensor itself), checking
// it is dense: every array at a level as long as the first one, numbers
// only at the level of the first number.
func (d *fastDecoder) array(t *Tensor, level int) bool {
	// The top object and its member are two levels above the tensor.
	if level+2 >= d.maxDepth || (d.rank >= 0 && level >= d.rank) {
		return false
	}
	d.pos++ // '['
	d.values++
	if level == len(d.shape) {
		d.shape = append(d.shape, -1)
	}
	var n int64
	for {
		d.skipSpace()
		if d.pos >= len(d.data) {
			return false
		}
		if d.data[d.pos] == '[' {
			if !d.array(t, level+1) {
				return false
			}
		} else {
			if d.rank < 0 {
				d.rank = level + 1
			}
			if level+1 != d.rank || !d.number(t) {
				return false
			}
		}
		n++
		d.skipSpace()
		if d.eat(',') {
			continue
		}
		if d.eat(']') {
			break
		}
		return false
	}
	if d.maxValues > 0 && d.values > d.maxValues {
		return false
	}
	if d.shape[level] < 0 {
		d.shape[level] = n
	}
	return d.shape[level] == n
}

// number reads one number and appends it to t as the general path would
// (appendValue on the literal).
func (d *fastDecoder) number(t *Tensor) bool {
	d.values++
	start := d.pos
	if d.pos < len(d.data) && d.data[d.pos] == '-' {
		d.pos++
	}
	var mant uint64
	digits, intDigits, fracDigits := 0, 0, 0
	for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
		mant = mant*10 + uint64(d.data[d.pos]-'0')
		d.pos++
		intDigits++
	}
	if intDigits == 0 || (intDigits > 1 && d.data[d.pos-intDigits] == '0') {
		return false // no digits, or a leading zero: the general path says what
	}
	digits = intDigits
	integral := true
	if d.pos < len(d.data) && d.data[d.pos] == '.' {
		integral = false
		d.pos++
		for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
			mant = mant*10 + uint64(d.data[d.pos]-'0')
			d.pos++
			fracDigits++
		}
		if fracDigits == 0 {
			return false
		}
		digits += fracDigits
	}
	exp := 0
	if d.pos < len(d.data) && (d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
		integral = false
		d.pos++
		neg := false
		if d.pos < len(d.data) && (d.data[d.pos] == '+' || d.data[d.pos] == '-') {
			neg = d.data[d.pos] == '-'
			d.pos++
		}
		expDigits := 0
		for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
			if exp < 100000 {
				exp = exp*10 + int(d.data[d.pos]-'0')
			}
			d.pos++
			expDigits++
		}
		if expDigits == 0 {
			return false
		}
		if neg {
			exp = -exp
		}
	}
	negative := d.data[start] == '-'
	lit := d.data[start:d.pos]
	if t.DType == tf.Float && digits <= 19 {
		if f, ok := fastFloat32(mant, exp-fracDigits, negative); ok {
			t.Data = put32(t.Data, math.Float32bits(f))
			return true
		}
	}
	if t.DType == tf.Double {
		f, err := strconv.ParseFloat(string(lit), 64)
		if err != nil {
			return false
		}
		t.Data = put64(t.Data, math.Float64bits(f))
		return true
	}
	if !integral || digits > 15 {
		// The general parser refuses numbers a double cannot hold.
		if _, err := strconv.ParseFloat(string(lit), 64); err != nil {
			return false
		}
	}
	v := jvalue{kind: jNumber, str: string(lit)}
	return appendValue(&v, t) == nil
}

// float64pow10 are the powers of ten a float64 holds exactly.
var float64pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// fastFloat32 is mant×10^exp10 correctly rounded to float32, the bits
// strconv.ParseFloat(s, 32) gives, when it can be had cheaply: by
// exactFloat32, or through float64. mant×10^exp10 computed in float64 with
// exact operands (mant below 2^53, |exp10| at most 22) is the float64
// nearest the exact value; rounding that to float32 rounds the exact value
// correctly unless the float64 landed exactly halfway between two float32s
// (a midpoint nearer the exact value than the float64 would contradict its
// being nearest), so that case, float32's subnormals and overflow are left
// to strconv.
func fastFloat32(mant uint64, exp10 int, negative bool) (float32, bool) {
	if f, ok := exactFloat32(mant, exp10, negative); ok {
		return f, true
	}
	if mant >= 1<<53 || exp10 < -22 || exp10 > 22 {
		return 0, false
	}
	v := float64(mant)
	if exp10 < 0 {
		v /= float64pow10[-exp10]
	} else {
		v *= float64pow10[exp10]
	}
	if v < 0x1p-126 || v > math.MaxFloat32 {
		return 0, false
	}
	if math.Float64bits(v)&(1<<29-1) == 1<<28 {
		return 0, false // a float32 midpoint
	}
	f := float32(v)
	if negative {
		f = -f
	}
	return f, true
}

// float32pow10 are the powers of ten a float32 holds exactly.
var float32pow10 = [...]float32{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10}

// exactFloat32 is mant×10^exp10 correctly rounded to float32 when one
// rounded operation on exact operands gives it (mant below 2^24, |exp10|
// at most 10), as strconv.ParseFloat(s, 32) does first too: the same bits.
func exactFloat32(mant uint64, exp10 int, negative bool) (float32, bool) {
	if mant >= 1<<24 || exp10 < -10 || exp10 > 10 {
		return 0, false
	}
	f := float32(mant)
	if exp10 < 0 {
		f /= float32pow10[-exp10]
	} else {
		f *= float32pow10[exp10]
	}
	if negative {
		f = -f
	}
	return f, true
}
