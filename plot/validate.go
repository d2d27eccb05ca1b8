package plot

import (
	"fmt"
	"math"

	"github.com/gokeras/fashion/tensor"
)

// probSlack tolerates float32 softmax outputs that overshoot 1 by rounding.
const probSlack = 1e-3

// picture is one image out of a tensor: h rows of w values, row-major.
type picture struct {
	h, w int
	pix  []float32
}

// shapeError reports a tensor whose shape does not fit its use, naming the
// shape and what was wanted; it wraps tensor.ErrShape.
func shapeError(name string, shape []int, want string) error {
	return fmt.Errorf("%w: %s has shape %v, want %s", tensor.ErrShape, name, shape, want)
}

// checkData checks t's shape holds its data.
func checkData(name string, t tensor.Float32) error {
	if err := t.Validate(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// onePicture returns the single image img holds: [H W], or [1 H W] as a
// batch of one.
func onePicture(name string, img tensor.Float32) (picture, error) {
	if err := checkData(name, img); err != nil {
		return picture{}, err
	}
	s := img.Shape
	if len(s) == 3 && s[0] == 1 {
		s = s[1:]
	}
	if len(s) != 2 || s[0] < 1 || s[1] < 1 {
		return picture{}, shapeError(name, img.Shape, "one image, [H W] or [1 H W]")
	}
	return picture{h: s[0], w: s[1], pix: img.Data}, nil
}

// pictures returns the first n images of imgs, which must be [N H W] with
// N at least n.
func pictures(name string, imgs tensor.Float32, n int) ([]picture, error) {
	if err := checkData(name, imgs); err != nil {
		return nil, err
	}
	s := imgs.Shape
	if len(s) != 3 || s[1] < 1 || s[2] < 1 {
		return nil, shapeError(name, s, "images, [N H W]")
	}
	if s[0] < n {
		return nil, fmt.Errorf("%w: %s has %d images (shape %v), want at least %d", tensor.ErrShape, name, s[0], s, n)
	}
	out := make([]picture, n)
	size := s[1] * s[2]
	for i := range out {
		out[i] = picture{h: s[1], w: s[2], pix: imgs.Data[i*size : (i+1)*size]}
	}
	return out, nil
}

// checkScaled checks p's pixels are scaled to [0, 1], as a model takes
// them: the binary colormap draws 0 white and 1 black, so raw 0..255
// pixels, the usual slip, would come out black.
func checkScaled(name string, p picture) error {
	for i, v := range p.pix {
		if !(v >= 0 && v <= 1) { // NaN too
			return fmt.Errorf("%s has %v at row %d, column %d, want pixels scaled to [0, 1] (pixels / 255)", name, v, i/p.w, i%p.w)
		}
	}
	return nil
}

// checkFinite checks p's pixels are numbers a colour scale can span.
func checkFinite(name string, p picture) error {
	for i, v := range p.pix {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("%s has %v at row %d, column %d, want a finite number", name, v, i/p.w, i%p.w)
		}
	}
	return nil
}

// oneRow returns the single row of probabilities probs holds: [C], or
// [1 C] as a batch of one (what model.predict gives for one image).
func oneRow(name string, probs tensor.Float32, classes int) ([]float32, error) {
	if err := checkData(name, probs); err != nil {
		return nil, err
	}
	s := probs.Shape
	if len(s) == 2 && s[0] == 1 {
		s = s[1:]
	}
	if len(s) != 1 || s[0] != classes {
		return nil, shapeError(name, probs.Shape, fmt.Sprintf("[%d] or [1 %d] (one probability per class name)", classes, classes))
	}
	return probs.Data, checkProbs(name, probs.Data)
}

// probRowsOf returns the rows of probs, which must be [n C] with C one per
// class name.
func probRowsOf(probs tensor.Float32, n, classes int) ([][]float32, error) {
	const name = "probs"
	if err := checkData(name, probs); err != nil {
		return nil, err
	}
	s := probs.Shape
	if len(s) != 2 || s[1] != classes {
		return nil, shapeError(name, s, fmt.Sprintf("[N %d] (one probability per class name)", classes))
	}
	if s[0] != n {
		return nil, fmt.Errorf("%w: %s has %d rows (shape %v), want %d (one per image)", tensor.ErrShape, name, s[0], s, n)
	}
	out := make([][]float32, n)
	for i := range out {
		out[i] = probs.Data[i*classes : (i+1)*classes]
	}
	return out, nil
}

func checkClassNames(classNames []string) error {
	if len(classNames) == 0 {
		return fmt.Errorf("classNames is empty, want one name per class")
	}
	return nil
}

func checkLabel(name string, label, classes int) error {
	if label < 0 || label >= classes {
		return fmt.Errorf("%s is %d, want a class index in [0, %d)", name, label, classes)
	}
	return nil
}

// checkProbs also catches the tutorial's classic slip of plotting the
// model's logits instead of the softmax output.
func checkProbs(name string, probs []float32) error {
	for i, p := range probs {
		v := float64(p)
		if math.IsNaN(v) || v < -probSlack || v > 1+probSlack {
			return fmt.Errorf("%s[%d] is %v, want a probability in [0, 1] (softmax output, not logits)", name, i, p)
		}
	}
	return nil
}

// argmax returns the first index of the largest value, as np.argmax does.
func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
