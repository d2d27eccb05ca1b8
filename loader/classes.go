package loader

import "strconv"

// Image geometry and label range of Fashion-MNIST.
const (
	Rows       = 28
	Cols       = 28
	ImageSize  = Rows * Cols // bytes per image
	NumClasses = 10
)

// ClassNames returns the names of labels 0 to 9 in the tutorial's order. It
// returns an array value, so no caller can rename a class for everyone else.
func ClassNames() [NumClasses]string {
	return [NumClasses]string{
		"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
		"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
	}
}

// ClassName returns the name of one label. A label outside 0–9, which a
// loaded Dataset never holds but a model's arg-max over a wrong layer might
// produce, is named by its number rather than causing a panic in a caption.
func ClassName(label int) string {
	if label < 0 || label >= NumClasses {
		return "class " + strconv.Itoa(label)
	}
	return ClassNames()[label]
}
