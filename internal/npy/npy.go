// Package npy reads and writes NumPy's .npy array files, so Go tests can hand
// arrays (images, labels, probabilities) to the Python checks in the
// repository and read back what Python computed.
//
// Only what those checks need is supported: little-endian float32, float64,
// int32, int64 and uint8 arrays in C order, format versions 1.0 to 3.0.
// Arrays are flat Go slices plus a shape, as numpy stores them.
package npy

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// Elem lists the element types this package reads and writes.
type Elem interface {
	float32 | float64 | int32 | int64 | uint8
}

// magic opens every .npy file.
const magic = "\x93NUMPY"

// descr returns numpy's dtype string for T, as written in the header.
func descr[T Elem]() string {
	var zero T
	switch any(zero).(type) {
	case float32:
		return "<f4"
	case float64:
		return "<f8"
	case int32:
		return "<i4"
	case int64:
		return "<i8"
	default: // uint8
		return "|u1"
	}
}

// WriteFile writes data with the given shape to path as a .npy file.
func WriteFile[T Elem](path string, data []T, shape ...int) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("npy: %w", cerr)
		}
	}()
	w := bufio.NewWriter(f)
	if err := Write(w, data, shape...); err != nil {
		return fmt.Errorf("%w (writing %s)", err, path)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("npy: write %s: %w", path, err)
	}
	return nil
}

// Write writes data with the given shape to w in .npy format 1.0. An empty
// shape writes a scalar, which needs exactly one element.
func Write[T Elem](w io.Writer, data []T, shape ...int) error {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return fmt.Errorf("npy: negative dimension in shape %v", shape)
		}
		n *= d
	}
	if n != len(data) {
		return fmt.Errorf("npy: shape %v holds %d elements, data has %d", shape, n, len(data))
	}
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	tuple := strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += "," // a Python 1-tuple needs its comma
	}
	header := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr[T](), tuple)
	// numpy aligns the data to 64 bytes: magic(6)+version(2)+length(2)+header, the
	// header padded with spaces and ended by a newline.
	total := len(magic) + 4 + len(header) + 1
	header += strings.Repeat(" ", (64-total%64)%64) + "\n"
	if len(header) > math.MaxUint16 {
		return fmt.Errorf("npy: header of %d bytes too long for format 1.0", len(header))
	}
	var buf bytes.Buffer
	buf.WriteString(magic)
	buf.Write([]byte{1, 0})
	_ = binary.Write(&buf, binary.LittleEndian, uint16(len(header)))
	buf.WriteString(header)
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	if err := binary.Write(w, binary.LittleEndian, data); err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	return nil
}

// ReadFile reads a .npy file holding elements of type T and returns them
// flat, in C order, with the array's shape.
func ReadFile[T Elem](path string) ([]T, []int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("npy: %w", err)
	}
	defer f.Close()
	data, shape, err := Read[T](bufio.NewReader(f))
	if err != nil {
		return nil, nil, fmt.Errorf("%w (reading %s)", err, path)
	}
	return data, shape, nil
}

var (
	descrRE   = regexp.MustCompile(`'descr'\s*:\s*'([^']*)'`)
	fortranRE = regexp.MustCompile(`'fortran_order'\s*:\s*(True|False)`)
	shapeRE   = regexp.MustCompile(`'shape'\s*:\s*\(([^)]*)\)`)
)

// Read reads one .npy array of elements of type T from r. The file's dtype
// must be T's: converting silently would hide a mistake in the producer.
func Read[T Elem](r io.Reader) ([]T, []int, error) {
	pre := make([]byte, len(magic)+2)
	if _, err := io.ReadFull(r, pre); err != nil {
		return nil, nil, fmt.Errorf("npy: reading magic: %w", err)
	}
	if string(pre[:len(magic)]) != magic {
		return nil, nil, errors.New("npy: not a .npy file (bad magic)")
	}
	var hlen int
	switch major := pre[len(magic)]; major {
	case 1:
		var n uint16
		if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
			return nil, nil, fmt.Errorf("npy: reading header length: %w", err)
		}
		hlen = int(n)
	case 2, 3:
		var n uint32
		if err := binary.Read(r, binary.LittleEndian, &n); err != nil {
			return nil, nil, fmt.Errorf("npy: reading header length: %w", err)
		}
		if n > 1<<24 {
			return nil, nil, fmt.Errorf("npy: header length %d is implausible", n)
		}
		hlen = int(n)
	default:
		return nil, nil, fmt.Errorf("npy: unsupported format version %d.%d", major, pre[len(magic)+1])
	}
	hb := make([]byte, hlen)
	if _, err := io.ReadFull(r, hb); err != nil {
		return nil, nil, fmt.Errorf("npy: reading header: %w", err)
	}
	header := string(hb)

	m := descrRE.FindStringSubmatch(header)
	if m == nil {
		return nil, nil, fmt.Errorf("npy: header has no descr: %q", header)
	}
	if got, want := normalizeDescr(m[1]), descr[T](); got != want {
		return nil, nil, fmt.Errorf("npy: array has dtype %q, want %q", m[1], want)
	}
	if m := fortranRE.FindStringSubmatch(header); m == nil || m[1] != "False" {
		return nil, nil, fmt.Errorf("npy: only C-order arrays are supported, header %q", header)
	}
	m = shapeRE.FindStringSubmatch(header)
	if m == nil {
		return nil, nil, fmt.Errorf("npy: header has no shape: %q", header)
	}
	shape := []int{}
	n := 1
	for _, f := range strings.Split(m[1], ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		d, err := strconv.Atoi(strings.TrimSuffix(f, "L"))
		if err != nil || d < 0 {
			return nil, nil, fmt.Errorf("npy: bad shape %q", m[1])
		}
		shape = append(shape, d)
		n *= d
	}
	data := make([]T, n)
	if err := binary.Read(r, binary.LittleEndian, data); err != nil {
		return nil, nil, fmt.Errorf("npy: reading %d elements of shape %v: %w", n, shape, err)
	}
	return data, shape, nil
}

// normalizeDescr maps the spellings numpy accepts for one byte types onto
// the one descr returns.
func normalizeDescr(d string) string {
	switch d {
	case "u1", "<u1", "|u1", "=u1":
		return "|u1"
	}
	return d
}
