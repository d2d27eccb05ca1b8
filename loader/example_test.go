package loader_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/gokeras/fashion/loader"
)

func ExampleClassNames() {
	for label, name := range loader.ClassNames() {
		fmt.Println(label, name)
	}
	// Output:
	// 0 T-shirt/top
	// 1 Trouser
	// 2 Pullover
	// 3 Dress
	// 4 Coat
	// 5 Sandal
	// 6 Shirt
	// 7 Sneaker
	// 8 Bag
	// 9 Ankle boot
}

// Load is what cmd/train does: the -data flag, then the Keras cache,
// Debian's package, and at last a download.
func ExampleLoad() {
	ds, err := loader.Load("") // or the -data flag's value
	if err != nil {
		log.Fatal(err) // says every place tried and how to provide the data
	}
	fmt.Println("read from", ds.Source)
	trainImages := ds.Train.Scaled() // the tutorial's train_images / 255.0
	fmt.Println(len(trainImages), ds.Train.Len())
}

// LoadDir reads one directory, here Debian's copy of the data set.
func ExampleLoadDir() {
	ds, err := loader.LoadDir(loader.SystemDir)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("train: %d images of %d×%d\n", ds.Train.Len(), loader.Rows, loader.Cols)
	fmt.Printf("test: %d images\n", ds.Test.Len())
	fmt.Println("first test image:", loader.ClassName(int(ds.Test.Labels[0])))
	// Output:
	// train: 60000 images of 28×28
	// test: 10000 images
	// first test image: Ankle boot
}

// A Search names its places explicitly: here no home directory and no
// network, only the Debian package.
func ExampleSearch() {
	s := loader.Search{System: loader.SystemDir}
	ds, err := s.Load(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ds.Source)
	// Output:
	// Debian package dataset-fashion-mnist /usr/share/datasets/fashion-mnist
}

// A Downloader can be pointed at a mirror and a cache of one's own.
func ExampleDownloader() {
	d := &loader.Downloader{
		BaseURL:  "https://mirror.example/tf-keras-datasets/",
		Dir:      "/var/cache/fashion-mnist",
		Progress: os.Stderr,
	}
	if err := d.Fetch(context.Background()); err != nil {
		log.Fatal(err)
	}
	ds, err := loader.LoadDir(d.Dir)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ds.Train.Len())
}

func ExampleSplit_Scaled() {
	s := loader.Split{Images: make([]uint8, loader.ImageSize), Labels: []uint8{9}}
	s.Images[0], s.Images[1], s.Images[2] = 0, 51, 255
	x := s.Scaled()
	fmt.Println(len(x), x[0], x[1], x[2])
	// Output:
	// 784 0 0.2 1
}

func ExampleSplit_ScaledTensor() {
	ds, err := loader.LoadDir(loader.SystemDir)
	if err != nil {
		log.Fatal(err)
	}
	x := ds.Test.ScaledTensor() // what a model's Predict or Fit takes
	fmt.Println(x.Shape, x.Data[14*loader.Cols+20])
	// Output:
	// [10000 28 28] 0.58431375
}

func ExampleSplit_Image() {
	ds, err := loader.LoadDir(loader.SystemDir)
	if err != nil {
		log.Fatal(err)
	}
	img := ds.Test.Image(0)
	// Row 14 of the first test image, an ankle boot, in shades of ASCII.
	fmt.Print("|")
	for _, v := range img[14*loader.Cols : 15*loader.Cols] {
		fmt.Print(string(" .:-=+*#%@"[int(v)*10/256]))
	}
	fmt.Println("|")
	// Output:
	// |            -+===*+++**+**= |
}
