package kerasfile_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/gokeras/fashion/kerasfile"
)

// A model trained in Go goes to Python as a .keras file.
func ExampleWrite() {
	dir, err := os.MkdirTemp("", "kerasfile")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	m := kerasfile.NewModel(kerasfile.Fashion())
	// Fill in the trained variables, kernels in (in, out) row-major order:
	// m.Layers[0].Kernel[i*128+j] connects pixel i to unit j.
	m.Layers[1].Bias[3] = 0.5
	m.Optimizer.Iterations = 1875 // one epoch of 60,000 samples in batches of 32
	path := filepath.Join(dir, "model.keras")
	if err := kerasfile.Write(path, m); err != nil {
		log.Fatal(err)
	}

	back, err := kerasfile.ReadArch(path, kerasfile.Fashion())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(back.Arch(), back.Params(), back.Layers[1].Bias[3], back.Optimizer.Iterations)
	// Output: Flatten((28, 28)) -> Dense(128, relu) -> Dense(10, softmax) 101770 0.5 1875
}

// ReadArch names what is wrong with a model of another architecture.
func ExampleReadArch() {
	dir, err := os.MkdirTemp("", "kerasfile")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	wide := kerasfile.NewModel(kerasfile.Arch{
		InputShape: []int{28, 28},
		Layers:     []kerasfile.DenseArch{{Units: 128, Activation: "relu"}, {Units: 64, Activation: "softmax"}},
	})
	path := filepath.Join(dir, "wide.keras")
	if err := kerasfile.Write(path, wide); err != nil {
		log.Fatal(err)
	}
	_, err = kerasfile.ReadArch(path, kerasfile.Fashion())
	fmt.Println(err != nil)
	fmt.Println(wide.Match(kerasfile.Fashion()))
	// Output:
	// true
	// layer 2 (dense_1) is Dense(64, softmax), want Dense(10, softmax)
}
