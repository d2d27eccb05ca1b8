package plot_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/gokeras/fashion/plot"
	"github.com/gokeras/fashion/tensor"
)

// Example draws the tutorial's prediction figure for one test image and
// shows the kind of error a mismatched shape gets instead of a panic.
func Example() {
	dir, err := os.MkdirTemp("", "plot-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	classNames := []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
		"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
	// One test image, pixels scaled to [0, 1], and the model's output for
	// it, a batch of one.
	img := tensor.Float32{Shape: []int{28, 28}, Data: make([]float32, 28*28)}
	probs := tensor.Float32{Shape: []int{1, 10}, Data: []float32{0.01, 0, 0, 0, 0, 0.02, 0, 0.05, 0, 0.92}}

	path := filepath.Join(dir, "prediction.png")
	if err := plot.Prediction(path, img, probs, 9, classNames); err != nil {
		log.Fatal(err)
	}
	fmt.Println("wrote", filepath.Base(path))

	flat := tensor.Float32{Shape: []int{784}, Data: img.Data}
	err = plot.Prediction(path, flat, probs, 9, classNames)
	fmt.Println(err)
	// Output:
	// wrote prediction.png
	// plot.Prediction: shape mismatch: img has shape [784], want one image, [H W] or [1 H W]
}
