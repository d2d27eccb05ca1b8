package plot

import (
	"fmt"
	"math"
)

// ImageSide is the width and height of a Fashion-MNIST image in pixels;
// every image passed to this package is ImageSide*ImageSide bytes, row by
// row from the top left.
const ImageSide = 28

// probSlack tolerates float32 softmax outputs that overshoot 1 by rounding.
const probSlack = 1e-3

func checkImage(name string, img []uint8) error {
	if len(img) != ImageSide*ImageSide {
		return fmt.Errorf("%s has %d pixels, want %d (%d×%d)", name, len(img), ImageSide*ImageSide, ImageSide, ImageSide)
	}
	return nil
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
func checkProbs(name string, probs []float32, classes int) error {
	if len(probs) != classes {
		return fmt.Errorf("%s has %d values, want %d (one per class name)", name, len(probs), classes)
	}
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
