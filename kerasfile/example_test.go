package kerasfile_test

import (
	"encoding/json"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/gokeras/fashion/kerasfile"
)

// A model trained in Go goes to Python as a .keras file, and comes back.
func ExampleWrite() {
	dir, err := os.MkdirTemp("", "kerasfile")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// keras.Sequential([keras.Input((28, 28)), Flatten(), Dense(10, activation="softmax")]),
	// its variables as Go trained them: the kernel (in, out) row-major.
	kernel := make([]float32, 784*10)
	kernel[0*10+3] = 0.25 // pixel 0 to class 3
	m := kerasfile.Model{
		InputShape: []int{28, 28},
		Layers: []kerasfile.Layer{
			{ClassName: "Flatten", Config: map[string]any{"data_format": "channels_last"}, BuildInputShape: []int{28, 28}},
			{
				ClassName:       "Dense",
				Config:          map[string]any{"units": 10, "activation": "softmax", "use_bias": true},
				BuildInputShape: []int{784},
				Weights:         []kerasfile.Weight{{Shape: []int{784, 10}, Values: kernel}, {Shape: []int{10}, Values: make([]float32, 10)}},
			},
		},
		Compile: &kerasfile.Compile{
			Optimizer: kerasfile.Optimizer{
				ClassName: "SGD",
				Config:    json.RawMessage(`{"name":"sgd","learning_rate":0.009999999776482582,"momentum":0.9}`),
				// One epoch of 60,000 samples in batches of 32; Slots nil
				// stores a fresh SGD's zero momentums.
				Iterations:   1875,
				LearningRate: 0.01,
			},
			Loss:    json.RawMessage(`"sparse_categorical_crossentropy"`),
			Metrics: json.RawMessage(`["accuracy"]`),
		},
	}
	path := filepath.Join(dir, "model.keras")
	if err := kerasfile.Write(path, m); err != nil {
		log.Fatal(err)
	}

	back, err := kerasfile.Read(path)
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range back.Layers {
		fmt.Println(l.ClassName, l.Name, l.Config["units"], len(l.Weights))
	}
	o := back.Compile.Optimizer
	fmt.Println(o.ClassName, o.Iterations, len(o.Slots), o.Slots[0].Shape, back.Layers[1].Weights[0].Values[3])
	fmt.Println(string(back.Compile.Loss), string(back.Compile.Metrics))
	// Output:
	// Flatten flatten <nil> 0
	// Dense dense 10 2
	// SGD 1875 2 [784 10] 0.25
	// "sparse_categorical_crossentropy" ["accuracy"]
}

// Write and Read refuse what they cannot store or return faithfully,
// naming the file and what is wrong.
func ExampleRead() {
	dir, err := os.MkdirTemp("", "kerasfile")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	m := kerasfile.Model{
		InputShape: []int{4},
		Layers: []kerasfile.Layer{{
			ClassName: "Dense", Config: map[string]any{"units": 1},
			Weights: []kerasfile.Weight{{Shape: []int{4, 1}, Values: make([]float32, 4)}},
		}},
		Compile: &kerasfile.Compile{Optimizer: kerasfile.Optimizer{
			ClassName: "Adam", Config: json.RawMessage(`{"name":"adam","learning_rate":0.001,"beta_1":1.5}`), LearningRate: 0.001,
		}},
	}
	err = kerasfile.Write(filepath.Join(dir, "model.keras"), m)
	fmt.Println(strings.ReplaceAll(err.Error(), dir, "DIR"))
	_, err = kerasfile.Read(filepath.Join(dir, "model.keras"))
	fmt.Println(strings.ReplaceAll(err.Error(), dir, "DIR"))
	// Output:
	// kerasfile: write DIR/model.keras: compile: Adam beta_1 1.5 out of range: want 0 <= beta_1 < 1
	// kerasfile: read DIR/model.keras: no such file or directory
}
