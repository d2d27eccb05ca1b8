package serving

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"strings"
	"unsafe"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	typespb "github.com/galeone/tensorflow/tensorflow/go/core/framework/types_go_proto"
)

// Tensor is a dense tensor in Go memory: numeric elements in TensorFlow's
// own layout (row-major, little-endian, as TensorProto.tensor_content holds
// them), strings one by one. It is what requests decode to and responses
// encode from, whatever the wire format.
type Tensor struct {
	DType   tf.DataType
	Shape   []int64
	Data    []byte   // numeric types: NumElements()×ElemSize(DType) bytes
	Strings []string // DT_STRING: NumElements() strings
}

// NumElements is the product of the dimensions (1 for a scalar).
func (t *Tensor) NumElements() int64 { return numElements(t.Shape) }

func numElements(shape []int64) int64 {
	n := int64(1)
	for _, d := range shape {
		n *= d
	}
	return n
}

// ElemSize is the size in bytes of one element of dtype in TensorFlow's
// layout, 0 for DT_STRING and for types this server does not carry.
func ElemSize(dtype tf.DataType) int {
	switch dtype {
	case tf.Uint8, tf.Int8, tf.Bool:
		return 1
	case tf.Int16, tf.Uint16, tf.Half, tf.Bfloat16:
		return 2
	case tf.Float, tf.Int32, tf.Uint32:
		return 4
	case tf.Double, tf.Int64, tf.Uint64, tf.Complex64:
		return 8
	case tf.Complex128:
		return 16
	}
	return 0
}

// DTypeName is TensorFlow's name of a dtype, e.g. "float" (DataTypeString).
func DTypeName(dtype tf.DataType) string {
	switch dtype {
	case tf.Float:
		return "float"
	case tf.Double:
		return "double"
	case tf.Int32:
		return "int32"
	case tf.Uint32:
		return "uint32"
	case tf.Uint8:
		return "uint8"
	case tf.Int16:
		return "int16"
	case tf.Uint16:
		return "uint16"
	case tf.Int8:
		return "int8"
	case tf.String:
		return "string"
	case tf.Complex64:
		return "complex64"
	case tf.Complex128:
		return "complex128"
	case tf.Int64:
		return "int64"
	case tf.Uint64:
		return "uint64"
	case tf.Bool:
		return "bool"
	case tf.Half:
		return "half"
	case tf.Bfloat16:
		return "bfloat16"
	}
	return strings.ToLower(strings.TrimPrefix(typespb.DataType(dtype).String(), "DT_"))
}

// supported reports whether the server carries tensors of dtype.
func supported(dtype tf.DataType) bool { return dtype == tf.String || ElemSize(dtype) > 0 }

// check verifies t's buffers match its dtype and shape.
func (t *Tensor) check() error {
	for _, d := range t.Shape {
		if d < 0 {
			return fmt.Errorf("negative dimension in shape %v", t.Shape)
		}
	}
	n := t.NumElements()
	if t.DType == tf.String {
		if int64(len(t.Strings)) != n {
			return fmt.Errorf("%d strings for shape %v", len(t.Strings), t.Shape)
		}
		return nil
	}
	size := ElemSize(t.DType)
	if size == 0 {
		return fmt.Errorf("dtype %s is not supported", DTypeName(t.DType))
	}
	if int64(len(t.Data)) != n*int64(size) {
		return fmt.Errorf("%d bytes of %s for shape %v", len(t.Data), DTypeName(t.DType), t.Shape)
	}
	return nil
}

// serializable are the dtypes whose bytes the Go bindings copy as they are
// (tf.ReadTensor, WriteContentsTo).
func serializable(dtype tf.DataType) bool {
	switch dtype {
	case tf.Float, tf.Double, tf.Int32, tf.Uint8, tf.Int16, tf.Int8, tf.Complex64, tf.Int64,
		tf.Bool, tf.Bfloat16, tf.Uint16, tf.Complex128, tf.Half:
		return true
	}
	return false
}

// toTF copies t into a TensorFlow tensor.
func (t *Tensor) toTF() (*tf.Tensor, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	shape := append([]int64(nil), t.Shape...)
	switch {
	case serializable(t.DType):
		return tf.ReadTensor(t.DType, shape, bytes.NewReader(t.Data))
	case t.DType == tf.String:
		// TF_TensorBitcastFrom (Reshape) refuses strings: build the nesting.
		return tf.NewTensor(nested(reflect.TypeOf(""), shape, func(i int) reflect.Value { return reflect.ValueOf(t.Strings[i]) }).Interface())
	case t.DType == tf.Uint32:
		vals := make([]uint32, len(t.Data)/4)
		copy(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(vals))), len(t.Data)), t.Data)
		if len(shape) == 0 {
			return tf.NewTensor(vals[0])
		}
		return reshaped(tf.NewTensor(vals))(shape)
	case t.DType == tf.Uint64:
		vals := make([]uint64, len(t.Data)/8)
		copy(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(vals))), len(t.Data)), t.Data)
		if len(shape) == 0 {
			return tf.NewTensor(vals[0])
		}
		return reshaped(tf.NewTensor(vals))(shape)
	}
	return nil, fmt.Errorf("dtype %s is not supported", DTypeName(t.DType))
}

func reshaped(t *tf.Tensor, err error) func([]int64) (*tf.Tensor, error) {
	return func(shape []int64) (*tf.Tensor, error) {
		if err != nil {
			return nil, err
		}
		if err := t.Reshape(shape); err != nil {
			return nil, err
		}
		return t, nil
	}
}

// fromTF copies a TensorFlow tensor into Go memory.
func fromTF(t *tf.Tensor) (*Tensor, error) {
	out := &Tensor{DType: t.DataType(), Shape: append([]int64{}, t.Shape()...)}
	switch {
	case serializable(out.DType):
		var buf bytes.Buffer
		buf.Grow(int(out.NumElements()) * ElemSize(out.DType))
		if _, err := t.WriteContentsTo(&buf); err != nil {
			return nil, err
		}
		out.Data = buf.Bytes()
	case out.DType == tf.String:
		out.Strings = make([]string, 0, out.NumElements())
		flatten(reflect.ValueOf(t.Value()), func(v reflect.Value) { out.Strings = append(out.Strings, v.String()) })
	case out.DType == tf.Uint32 || out.DType == tf.Uint64:
		size := ElemSize(out.DType)
		out.Data = make([]byte, 0, int(out.NumElements())*size)
		flatten(reflect.ValueOf(t.Value()), func(v reflect.Value) {
			u := v.Uint()
			for i := 0; i < size; i++ {
				out.Data = append(out.Data, byte(u>>(8*i)))
			}
		})
	default:
		return nil, fmt.Errorf("output dtype %s is not supported", DTypeName(out.DType))
	}
	if err := out.check(); err != nil {
		return nil, err
	}
	return out, nil
}

// nested builds a Go value of nested slices of shape from the elements
// leaf(0), leaf(1), ... in row-major order (a scalar for an empty shape).
func nested(elem reflect.Type, shape []int64, leaf func(int) reflect.Value) reflect.Value {
	next := 0
	var build func(dims []int64) reflect.Value
	build = func(dims []int64) reflect.Value {
		if len(dims) == 0 {
			v := leaf(next)
			next++
			return v
		}
		typ := elem
		for range dims {
			typ = reflect.SliceOf(typ)
		}
		v := reflect.MakeSlice(typ, int(dims[0]), int(dims[0]))
		for i := 0; i < int(dims[0]); i++ {
			v.Index(i).Set(build(dims[1:]))
		}
		return v
	}
	return build(shape)
}

// flatten calls leaf for each non-slice value of v, in row-major order.
func flatten(v reflect.Value, leaf func(reflect.Value)) {
	if v.Kind() != reflect.Slice {
		leaf(v)
		return
	}
	for i := 0; i < v.Len(); i++ {
		flatten(v.Index(i), leaf)
	}
}

// rowSize is the number of elements in one row (along dimension 0).
func (t *Tensor) rowSize() int64 { return numElements(t.Shape[1:]) }

// concatRows concatenates tensors of the same dtype and inner shape along
// dimension 0.
func concatRows(parts []*Tensor) *Tensor {
	first := parts[0]
	out := &Tensor{DType: first.DType, Shape: append([]int64{0}, first.Shape[1:]...)}
	var total int
	for _, p := range parts {
		out.Shape[0] += p.Shape[0]
		total += len(p.Data)
	}
	if first.DType == tf.String {
		out.Strings = make([]string, 0, out.NumElements())
		for _, p := range parts {
			out.Strings = append(out.Strings, p.Strings...)
		}
		return out
	}
	out.Data = make([]byte, 0, total)
	for _, p := range parts {
		out.Data = append(out.Data, p.Data...)
	}
	return out
}

// rows returns rows [from, to) of t along dimension 0, sharing t's memory.
func (t *Tensor) rows(from, to int64) *Tensor {
	out := &Tensor{DType: t.DType, Shape: append([]int64{to - from}, t.Shape[1:]...)}
	n := t.rowSize()
	if t.DType == tf.String {
		out.Strings = t.Strings[from*n : to*n]
	} else {
		size := int64(ElemSize(t.DType))
		out.Data = t.Data[from*n*size : to*n*size]
	}
	return out
}

// Element accessors for the JSON and protobuf codecs: element i of t.

func (t *Tensor) float32At(i int) float32 {
	return math.Float32frombits(le32(t.Data[4*i:]))
}

func (t *Tensor) float64At(i int) float64 {
	return math.Float64frombits(le64(t.Data[8*i:]))
}

func le16(b []byte) uint16 { return uint16(b[0]) | uint16(b[1])<<8 }
func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
func le64(b []byte) uint64 { return uint64(le32(b)) | uint64(le32(b[4:]))<<32 }

func put16(b []byte, v uint16) []byte { return append(b, byte(v), byte(v>>8)) }
func put32(b []byte, v uint32) []byte {
	return append(b, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
}
func put64(b []byte, v uint64) []byte { return put32(put32(b, uint32(v)), uint32(v>>32)) }

// halfToFloat converts an IEEE 754 binary16 to float32.
func halfToFloat(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal
		return float32(math.Copysign(float64(frac)*math.Pow(2, -24), float64(1-2*int(h>>15))))
	case exp == 0x1f:
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	}
	return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
}

// floatToHalf converts a float32 to binary16, rounding to nearest even.
func floatToHalf(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	frac := b & 0x7fffff
	switch {
	case exp == 0xff:
		if frac != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	case exp-127 > 15:
		return sign | 0x7c00
	case exp-127 < -25:
		return sign
	case exp-127 < -14: // subnormal half
		m := frac | 0x800000
		shift := uint32(-14-(exp-127)) + 13
		h := m >> shift
		rem := m & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rem > half || (rem == half && h&1 == 1) {
			h++
		}
		return sign | uint16(h)
	}
	h := uint32(exp-127+15)<<10 | frac>>13
	rem := frac & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && h&1 == 1) {
		h++
	}
	return sign | uint16(h)
}

func bfloat16ToFloat(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

func floatToBfloat16(f float32) uint16 {
	b := math.Float32bits(f)
	if f != f {
		return uint16(b>>16) | 0x40
	}
	// Round to nearest even, as TensorFlow's bfloat16 conversion does.
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}
