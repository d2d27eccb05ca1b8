package serving

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/gokeras/fashion/savedmodel"
)

// The JSON tensor codec of TensorFlow Serving's REST API
// (tensorflow_serving/util/json_tensor.cc): requests in the row
// ("instances") or columnar ("inputs") format, responses in the same format
// ("predictions" or "outputs"), with its error messages.

// jsonFormat is the format a predict request came in, and its response goes
// out in.
type jsonFormat int

const (
	formatRow jsonFormat = iota
	formatColumnar
)

const base64Key = "b64"

// bytesSuffix marks string outputs written as {"b64": ...}.
const bytesSuffix = "_bytes"

// statusString is absl::Status::ToString of an *Error: "CODE: message".
func statusString(err error) string {
	e := asError(err)
	return e.Code.String() + ": " + e.Msg
}

func formatError(v *jvalue, msg ...any) *Error {
	return errorf(InvalidArgument, "JSON Value: %s %s", v.debugString(), fmt.Sprint(msg...))
}

func typeError(v *jvalue, dtype tf.DataType) *Error {
	return errorf(InvalidArgument, "JSON Value: %s Type: %s is not of expected type: %s", v.debugString(), v.typeName(), DTypeName(dtype))
}

// predictJSON is a decoded REST predict request.
type predictJSON struct {
	signature string // as given; "" for the default
	inputs    map[string]*Tensor
	format    jsonFormat
}

// decodePredictJSON decodes a parsed predict request body. inputsOf
// returns the inputs of the signature named in the request ("" for the
// default one).
func decodePredictJSON(doc jvalue, inputsOf func(signature string) ([]savedmodel.TensorSpec, error)) (*predictJSON, error) {
	if doc.kind != jObject {
		return nil, formatError(&doc, "Is not object")
	}
	req := &predictJSON{}
	if sig := doc.member("signature_name"); sig != nil {
		if sig.kind != jString {
			return nil, errorf(InvalidArgument, "JSON Value: %s not formatted correctly. 'signature_name' key must be a string value.", doc.debugString())
		}
		req.signature = sig.str
	}
	var err error
	specs, err := inputsOf(req.signature)
	if err != nil {
		return nil, err
	}
	if len(specs) == 0 {
		name := req.signature
		if name == "" {
			name = "DEFAULT"
		}
		return nil, errorf(InvalidArgument, "Failed to get input map for signature: %s", name)
	}
	instances, inputs := doc.member("instances"), doc.member("inputs")
	switch {
	case instances != nil && inputs != nil:
		return nil, formatError(&doc, "Not formatted correctly expecting only one of 'inputs' or 'instances' keys to exist ")
	case instances != nil:
		if instances.kind != jArray {
			return nil, formatError(&doc, "Expecting 'instances' to be an list/array")
		}
		if len(instances.arr) == 0 {
			return nil, formatError(&doc, "No values in 'instances' array")
		}
		req.format = formatRow
		req.inputs, err = tensorsFromInstances(instances.arr, specs)
	case inputs != nil:
		req.format = formatColumnar
		req.inputs, err = tensorsFromInputs(inputs, specs)
	default:
		return nil, errorf(InvalidArgument, "Missing 'inputs' or 'instances' key")
	}
	if err != nil {
		return nil, err
	}
	return req, nil
}

func isBase64Object(v *jvalue) bool {
	return v.kind == jObject && len(v.obj) == 1 && v.obj[0].key == base64Key && v.obj[0].val.kind == jString
}

func isElementObject(v *jvalue) bool { return v.kind == jObject && !isBase64Object(v) }

// denseShape is the shape of v read along first elements
// (GetDenseTensorShape); fill checks the rest agrees.
func denseShape(v *jvalue) []int64 {
	shape := []int64{}
	for v.kind == jArray {
		shape = append(shape, int64(len(v.arr)))
		if len(v.arr) == 0 {
			break
		}
		v = &v.arr[0]
	}
	return shape
}

// fill appends the values of v, a tensor of shape, to t (FillTensorProto).
func fill(v *jvalue, level int, shape []int64, t *Tensor) (int, error) {
	rank := len(shape)
	if v.kind != jArray {
		if level != rank {
			return 0, errorf(InvalidArgument, "JSON Value: %s found at incorrect level: %d in the JSON DOM. Expected at level: %d", v.debugString(), level+1, rank)
		}
		if err := appendValue(v, t); err != nil {
			return 0, err
		}
		return 1, nil
	}
	if level >= rank {
		return 0, errorf(InvalidArgument, "Encountered list at unexpected level: %d expected < %d", level, rank)
	}
	if int64(len(v.arr)) != shape[level] {
		return 0, errorf(InvalidArgument, "Encountered list at unexpected size: %d at level: %d expected size: %d", len(v.arr), level, shape[level])
	}
	n := 0
	for i := range v.arr {
		k, err := fill(&v.arr[i], level+1, shape, t)
		if err != nil {
			return 0, err
		}
		n += k
	}
	return n, nil
}

// Integer ranges of rapidjson's IsInt, IsUint, IsInt64, IsUint64 and, for
// the narrow types that TensorFlow Serving would silently wrap, theirs.
func intLiteral(v *jvalue, lo int64, hi uint64) (int64, uint64, bool) {
	if v.kind != jNumber || !isIntegral(v.str) {
		return 0, 0, false
	}
	if strings.HasPrefix(v.str, "-") {
		i, err := strconv.ParseInt(v.str, 10, 64)
		if err != nil || i < lo {
			return 0, 0, false
		}
		return i, uint64(i), true
	}
	u, err := strconv.ParseUint(v.str, 10, 64)
	if err != nil || u > hi {
		return 0, 0, false
	}
	return int64(u), u, true
}

func isIntegral(lit string) bool { return !strings.ContainsAny(lit, ".eENIa") }

func floatLiteral(v *jvalue, bits int) (float64, bool) {
	if v.kind != jNumber {
		return 0, false
	}
	switch v.str {
	case "NaN":
		return math.NaN(), true
	case "Infinity", "Inf":
		return math.Inf(1), true
	case "-Infinity", "-Inf":
		return math.Inf(-1), true
	}
	f, err := strconv.ParseFloat(v.str, bits)
	if err != nil && !isRangeErr(err) {
		return 0, false
	}
	return f, true
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// appendValue appends one JSON scalar to t (AddValueToTensor).
func appendValue(v *jvalue, t *Tensor) error {
	if v.kind == jObject {
		if t.DType != tf.String {
			return typeError(v, t.DType)
		}
		if !isBase64Object(v) {
			return errorf(InvalidArgument, "JSON Value: %s not formatted correctly for base64 data", v.debugString())
		}
		b, err := decodeBase64(v.obj[0].val.str)
		if err != nil {
			return errorf(InvalidArgument, "Unable to base64 decode")
		}
		t.Strings = append(t.Strings, string(b))
		return nil
	}
	switch t.DType {
	case tf.Float:
		f, ok := floatLiteral(v, 32)
		if !ok {
			return typeError(v, t.DType)
		}
		t.Data = put32(t.Data, math.Float32bits(float32(f)))
	case tf.Double:
		f, ok := floatLiteral(v, 64)
		if !ok {
			return typeError(v, t.DType)
		}
		t.Data = put64(t.Data, math.Float64bits(f))
	case tf.Half, tf.Bfloat16:
		f, ok := floatLiteral(v, 32)
		if !ok {
			return typeError(v, t.DType)
		}
		if t.DType == tf.Half {
			t.Data = put16(t.Data, floatToHalf(float32(f)))
		} else {
			t.Data = put16(t.Data, floatToBfloat16(float32(f)))
		}
	case tf.Int8:
		i, _, ok := intLiteral(v, math.MinInt8, math.MaxInt8)
		if !ok {
			return typeError(v, t.DType)
		}
		t.Data = append(t.Data, byte(i))
	case tf.Uint8:
		i, _, ok := intLiteral(v, 0, math.MaxUint8)
		if !ok {
			return typeError(v, t.DType)
		}
		t.Data = append(t.Data, byte(i))
	case tf.Int16:
		i, _, ok := intLiteral(v, math.MinInt16, math.MaxInt16)
		if !ok {
			return typeError(v, t.DType)
		}
		t.Data = put16(t.Data, uint16(i))
	case tf.Uint16:
		i, _, ok := intLiteral(v, 0, math.MaxUint16)
		if !ok {
			return typeError(v, t.DType)
		}
		t.Data = put16(t.Data, uint16(i))
	case tf.Int32:
		i, _, ok := intLiteral(v, math.MinInt32, math.MaxInt32)
		if !ok {
			return typeError(v, t.DType)
		}
		t.Data = put32(t.Data, uint32(i))
	case tf.Uint32:
		_, u, ok := intLiteral(v, 0, math.MaxUint32)
		if !ok {
			return typeError(v, t.DType)
		}
		t.Data = put32(t.Data, uint32(u))
	case tf.Int64:
		i, _, ok := intLiteral(v, math.MinInt64, math.MaxInt64)
		if !ok {
			return typeError(v, t.DType)
		}
		t.Data = put64(t.Data, uint64(i))
	case tf.Uint64:
		_, u, ok := intLiteral(v, 0, math.MaxUint64)
		if !ok {
			return typeError(v, t.DType)
		}
		t.Data = put64(t.Data, u)
	case tf.Bool:
		switch v.kind {
		case jTrue:
			t.Data = append(t.Data, 1)
		case jFalse:
			t.Data = append(t.Data, 0)
		default:
			return typeError(v, t.DType)
		}
	case tf.String:
		if v.kind != jString {
			return typeError(v, t.DType)
		}
		t.Strings = append(t.Strings, v.str)
	default:
		return errorf(Unimplemented, "Conversion of JSON Value: %s to type: %s", v.debugString(), DTypeName(t.DType))
	}
	return nil
}

func decodeBase64(s string) ([]byte, error) {
	// absl::Base64Unescape accepts padded and unpadded input.
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// tensorFromValue converts one JSON value to a tensor of dtype.
func tensorFromValue(v *jvalue, dtype tf.DataType) (*Tensor, error) {
	t := &Tensor{DType: dtype, Shape: denseShape(v)}
	if _, err := fill(v, 0, t.Shape, t); err != nil {
		return nil, err
	}
	return t, nil
}

// tensorsFromInstances decodes the row format
// (FillTensorMapFromInstancesList).
func tensorsFromInstances(items []jvalue, specs []savedmodel.TensorSpec) (map[string]*Tensor, error) {
	if !(items[0].kind == jObject) && len(specs) > 1 {
		return nil, errorf(InvalidArgument, "instances is a plain list, but expecting list of objects as multiple input tensors required as per tensorinfo_map")
	}
	byName := map[string]savedmodel.TensorSpec{}
	names := make([]string, len(specs))
	for i, s := range specs {
		byName[s.Name], names[i] = s, s.Name
	}
	type acc struct {
		t     *Tensor
		shape []int64
		size  int
	}
	accs := map[string]*acc{}
	add := func(v *jvalue, name string) error {
		spec, ok := byName[name]
		if !ok {
			return errorf(InvalidArgument, "JSON object: does not have named input: %s", name)
		}
		a := accs[name]
		if a == nil {
			a = &acc{t: &Tensor{DType: spec.DType}}
			accs[name] = a
		}
		shape := denseShape(v)
		size, err := fill(v, 0, shape, a.t)
		if err != nil {
			return err
		}
		switch {
		case a.shape == nil:
			a.shape, a.size = shape, size
		case a.size != size:
			return errorf(InvalidArgument, "Expecting tensor size: %d but got: %d", a.size, size)
		case !equalShape(a.shape, shape):
			return errorf(InvalidArgument, "Expecting shape %s but got: %s", shapeString(a.shape), shapeString(shape))
		}
		return nil
	}
	objects := isElementObject(&items[0])
	for i := range items {
		elem := &items[i]
		if objects {
			if !isElementObject(elem) {
				return nil, errorf(InvalidArgument, "Expecting object but got list at item %d of input list", i)
			}
			keys := map[string]bool{}
			for _, m := range elem.obj {
				keys[m.key] = true
				if err := add(&m.val, m.key); err != nil {
					return nil, errorf(InvalidArgument, "Failed to process element: %d key: %s of 'instances' list. Error: %s", i, m.key, statusString(err))
				}
			}
			if len(keys) != len(names) || !allIn(names, keys) {
				return nil, errorf(InvalidArgument, "Failed to process element: %d of 'instances' list. JSON object: %s keys must be equal to: %s", i, elem.debugString(), strings.Join(names, ","))
			}
		} else {
			if isElementObject(elem) {
				return nil, errorf(InvalidArgument, "Expecting value/list but got object at item %d of input list", i)
			}
			if err := add(elem, specs[0].Name); err != nil {
				return nil, errorf(InvalidArgument, "Failed to process element: %d of 'instances' list. Error: %s", i, statusString(err))
			}
		}
	}
	out := map[string]*Tensor{}
	for name, a := range accs {
		a.t.Shape = append([]int64{int64(len(items))}, a.shape...)
		out[name] = a.t
	}
	return out, nil
}

func allIn(names []string, keys map[string]bool) bool {
	for _, n := range names {
		if !keys[n] {
			return false
		}
	}
	return true
}

// tensorsFromInputs decodes the columnar format (FillTensorMapFromInputsMap).
func tensorsFromInputs(v *jvalue, specs []savedmodel.TensorSpec) (map[string]*Tensor, error) {
	out := map[string]*Tensor{}
	if v.kind != jObject || isBase64Object(v) {
		if len(specs) > 1 {
			return nil, errorf(InvalidArgument, "inputs is a plain value/list, but expecting an object as multiple input tensors required as per tensorinfo_map")
		}
		t, err := tensorFromValue(v, specs[0].DType)
		if err != nil {
			return nil, err
		}
		out[specs[0].Name] = t
		return out, nil
	}
	for _, s := range specs {
		item := v.member(s.Name)
		if item == nil {
			return nil, errorf(InvalidArgument, "Missing named input: %s in 'inputs' object.", s.Name)
		}
		t, err := tensorFromValue(item, s.DType)
		if err != nil {
			return nil, err
		}
		out[s.Name] = t
	}
	return out, nil
}

func equalShape(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// shapeString is TensorFlow Serving's [x,y,z] rendering of a shape.
func shapeString(shape []int64) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = strconv.FormatInt(d, 10)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// encodePredictJSON writes the outputs of a predict in format
// (MakeJsonFromTensors).
func encodePredictJSON(outputs map[string]*Tensor, format jsonFormat) ([]byte, error) {
	if len(outputs) == 0 {
		return nil, errorf(InvalidArgument, "Cannot convert empty tensor map to JSON")
	}
	names := make([]string, 0, len(outputs))
	for n := range outputs {
		names = append(names, n)
	}
	sort.Strings(names)
	var b []byte
	multi := len(names) > 1
	if format == formatColumnar {
		b = append(b, "{\n    \"outputs\": "...)
		if multi {
			b = append(b, '{')
		}
		for i, n := range names {
			if multi {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, "\n        "...)
				b = strconv.AppendQuote(b, n)
				b = append(b, ": "...)
			}
			t := outputs[n]
			off := 0
			b = appendValues(b, t, 0, &off, strings.HasSuffix(n, bytesSuffix))
		}
		if multi {
			b = append(b, "\n    }"...)
		}
		b = append(b, "\n}"...)
		return b, nil
	}
	batch := int64(-1)
	for _, n := range names {
		t := outputs[n]
		if len(t.Shape) == 0 {
			return nil, errorf(InvalidArgument, "Tensor name: %s has no shape information ", n)
		}
		if batch >= 0 && t.Shape[0] != batch {
			return nil, errorf(InvalidArgument, "Tensor name: %s has inconsistent batch size: %d expecting: %d", n, t.Shape[0], batch)
		}
		batch = t.Shape[0]
	}
	b = append(b, "{\n    \"predictions\": ["...)
	offsets := make([]int, len(names))
	for item := int64(0); item < batch; item++ {
		if item > 0 {
			b = append(b, ',')
		}
		b = append(b, "\n        "...)
		if multi {
			b = append(b, '{')
		}
		for i, n := range names {
			if multi {
				if i > 0 {
					b = append(b, ", "...)
				}
				b = strconv.AppendQuote(b, n)
				b = append(b, ": "...)
			}
			b = appendValues(b, outputs[n], 1, &offsets[i], strings.HasSuffix(n, bytesSuffix))
		}
		if multi {
			b = append(b, '}')
		}
	}
	b = append(b, "\n    ]\n}"...)
	return b, nil
}

// appendValues writes the sub-tensor of t at dimension dim starting at
// element *off (AddTensorValues).
func appendValues(b []byte, t *Tensor, dim int, off *int, asBytes bool) []byte {
	if dim >= len(t.Shape) {
		b = appendElement(b, t, *off, asBytes)
		*off++
		return b
	}
	b = append(b, '[')
	for i := int64(0); i < t.Shape[dim]; i++ {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = appendValues(b, t, dim+1, off, asBytes)
	}
	return append(b, ']')
}

func appendElement(b []byte, t *Tensor, i int, asBytes bool) []byte {
	d := t.Data
	switch t.DType {
	case tf.Float:
		return appendDecimal(b, float64(t.float32At(i)), 32)
	case tf.Double:
		return appendDecimal(b, t.float64At(i), 64)
	case tf.Half:
		return appendDecimal(b, float64(halfToFloat(le16(d[2*i:]))), 32)
	case tf.Bfloat16:
		return appendDecimal(b, float64(bfloat16ToFloat(le16(d[2*i:]))), 32)
	case tf.Int8:
		return strconv.AppendInt(b, int64(int8(d[i])), 10)
	case tf.Uint8:
		return strconv.AppendUint(b, uint64(d[i]), 10)
	case tf.Int16:
		return strconv.AppendInt(b, int64(int16(le16(d[2*i:]))), 10)
	case tf.Uint16:
		return strconv.AppendUint(b, uint64(le16(d[2*i:])), 10)
	case tf.Int32:
		return strconv.AppendInt(b, int64(int32(le32(d[4*i:]))), 10)
	case tf.Uint32:
		return strconv.AppendUint(b, uint64(le32(d[4*i:])), 10)
	case tf.Int64:
		return strconv.AppendInt(b, int64(le64(d[8*i:])), 10)
	case tf.Uint64:
		return strconv.AppendUint(b, le64(d[8*i:]), 10)
	case tf.Bool:
		return strconv.AppendBool(b, d[i] != 0)
	case tf.String:
		if asBytes {
			b = append(b, `{"b64": "`...)
			b = base64.StdEncoding.AppendEncode(b, []byte(t.Strings[i]))
			return append(b, `"}`...)
		}
		s, _ := jsonMarshalString(t.Strings[i])
		return append(b, s...)
	case tf.Complex64:
		re, im := math.Float32frombits(le32(d[8*i:])), math.Float32frombits(le32(d[8*i+4:]))
		b = append(b, '[')
		b = appendDecimal(b, float64(re), 32)
		b = append(b, ", "...)
		b = appendDecimal(b, float64(im), 32)
		return append(b, ']')
	case tf.Complex128:
		re, im := math.Float64frombits(le64(d[16*i:])), math.Float64frombits(le64(d[16*i+8:]))
		b = append(b, '[')
		b = appendDecimal(b, re, 64)
		b = append(b, ", "...)
		b = appendDecimal(b, im, 64)
		return append(b, ']')
	}
	return append(b, "null"...)
}

// appendDecimal writes a float as TensorFlow Serving's WriteDecimal: six
// significant digits when they read back as the same value, else
// max_digits10 (9 for float, 17 for double); ".0" on whole numbers; NaN,
// Infinity and -Infinity bare.
func appendDecimal(b []byte, v float64, bits int) []byte {
	switch {
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case math.IsInf(v, 1):
		return append(b, "Infinity"...)
	case math.IsInf(v, -1):
		return append(b, "-Infinity"...)
	}
	s := strconv.FormatFloat(v, 'g', 6, 64)
	back, err := strconv.ParseFloat(s, bits)
	if err != nil || back != v {
		digits := 9
		if bits == 64 {
			digits = 17
		}
		s = strconv.FormatFloat(v, 'g', digits, 64)
	}
	b = append(b, s...)
	if !strings.ContainsAny(s, ".e") {
		b = append(b, ".0"...)
	}
	return b
}

// jsonMarshalString quotes s for JSON; invalid UTF-8 becomes U+FFFD.
func jsonMarshalString(s string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
