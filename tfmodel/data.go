package tfmodel

import "fmt"

// checkData validates a data set against the model before anything reaches
// TensorFlow, so bad input is an error that says what is wrong rather than
// a failure deep inside a kernel.
func (m *Sequential) checkData(what string, x []float32, y []uint8, needLabels bool) (n int, err error) {
	f := m.features()
	if len(x) == 0 {
		return 0, fmt.Errorf("%s: no images", what)
	}
	if len(x)%f != 0 {
		return 0, fmt.Errorf("%s: %d image values is not a whole number of %v images (%d values each)", what, len(x), m.inputShape, f)
	}
	n = len(x) / f
	if !needLabels {
		return n, nil
	}
	if len(y) != n {
		return 0, fmt.Errorf("%s: %d images but %d labels", what, n, len(y))
	}
	for i, l := range y {
		if int(l) >= m.Classes() {
			return 0, fmt.Errorf("%s: label %d at index %d is out of range: want 0..%d", what, l, i, m.Classes()-1)
		}
	}
	return n, nil
}

// labels32 widens labels to the int32 TensorFlow's loss takes.
func labels32(y []uint8) []int32 {
	out := make([]int32, len(y))
	for i, l := range y {
		out[i] = int32(l)
	}
	return out
}
