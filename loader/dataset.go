package loader

import (
	"fmt"

	"github.com/gokeras/fashion/tensor"
)

// Dataset is Fashion-MNIST as load_data returns it: a training split of
// 60,000 images and a test split of 10,000, with where they came from.
type Dataset struct {
	Train, Test Split
	Source      Source
}

// Split is one half of the data set. Images holds Len() images of Rows×Cols
// bytes each, row-major and back to back, as the IDX file stores them, so it
// can be handed to a tensor without copying; Labels[i] is the class of image
// i, in 0–9.
type Split struct {
	Images []uint8
	Labels []uint8
}

// Len returns the number of examples.
func (s Split) Len() int { return len(s.Labels) }

// Image returns image i as Rows×Cols bytes, row-major. It shares memory with
// s.Images: it is a view for plotting, not a copy to modify.
func (s Split) Image(i int) []uint8 {
	return s.Images[i*ImageSize : (i+1)*ImageSize : (i+1)*ImageSize]
}

// Scaled returns all images as float32 in [0, 1], the tutorial's
// `train_images / 255.0`. It is a separate, explicit step because it
// quadruples the memory, and because the model must see the same scaling at
// training and at prediction time.
//
// Each pixel is divided in float64 and then rounded to float32, as NumPy's
// division followed by TensorFlow's cast does, so the values match the
// Python tutorial bit for bit.
func (s Split) Scaled() []float32 {
	var table [256]float32
	for v := range table {
		table[v] = float32(float64(v) / 255.0)
	}
	out := make([]float32, len(s.Images))
	for i, v := range s.Images {
		out[i] = table[v]
	}
	return out
}

// ScaledTensor is Scaled as the tensor models take, [Len(), Rows, Cols].
func (s Split) ScaledTensor() tensor.Float32 {
	return tensor.Float32{Shape: []int{s.Len(), Rows, Cols}, Data: s.Scaled()}
}

// SourceKind says which of the places [Load] searches supplied the data.
type SourceKind uint8

const (
	FromDir        SourceKind = iota // the directory the caller named
	FromKerasCache                   // ~/.keras/datasets/fashion-mnist
	FromSystem                       // Debian's /usr/share/datasets/fashion-mnist
	FromDownload                     // downloaded into the Keras cache just now
)

func (k SourceKind) String() string {
	switch k {
	case FromDir:
		return "directory"
	case FromKerasCache:
		return "Keras cache"
	case FromSystem:
		return "Debian package " + debianPackage
	case FromDownload:
		return "download"
	}
	return fmt.Sprintf("SourceKind(%d)", uint8(k))
}

// Source says where a Dataset was read from, so that a run's log can show
// which copy of the data it trained on.
type Source struct {
	Kind SourceKind
	Dir  string // the directory the four files were read from
}

func (s Source) String() string {
	if s.Kind == FromDownload {
		return "downloaded into " + s.Dir
	}
	return s.Kind.String() + " " + s.Dir
}
