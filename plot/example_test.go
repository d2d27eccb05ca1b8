package plot_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/gokeras/fashion/plot"
)

// Example draws the tutorial's prediction figure for one test image and
// shows the kind of error a mismatched input gets instead of a panic.
func Example() {
	dir, err := os.MkdirTemp("", "plot-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	classNames := []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
		"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
	img := make([]uint8, plot.ImageSide*plot.ImageSide) // one test image, 0..255
	probs := []float32{0.01, 0, 0, 0, 0, 0.02, 0, 0.05, 0, 0.92}

	path := filepath.Join(dir, "prediction.png")
	if err := plot.Prediction(path, img, probs, 9, classNames); err != nil {
		log.Fatal(err)
	}
	fmt.Println("wrote", filepath.Base(path))

	err = plot.Prediction(path, img, probs[:3], 9, classNames)
	fmt.Println(err)
	// Output:
	// wrote prediction.png
	// plot.Prediction: probs has 3 values, want 10 (one per class name)
}
