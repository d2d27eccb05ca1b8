package plot_test

import (
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// fashionDir holds the real Fashion-MNIST files on the development machines;
// tests that need them skip when it is absent.
const fashionDir = "/usr/share/datasets/fashion-mnist"

// readIDX reads a gzipped IDX file of unsigned bytes and returns its
// dimensions and data. It is a few lines on purpose: package loader owns the
// real reader, and this package must not depend on it.
func readIDX(path string) ([]int, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	var magic uint32
	if err := binary.Read(zr, binary.BigEndian, &magic); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if magic>>8 != 0x08 {
		return nil, nil, fmt.Errorf("%s: magic %#08x is not unsigned-byte IDX", path, magic)
	}
	dims := make([]int, magic&0xff)
	n := 1
	for i := range dims {
		var d uint32
		if err := binary.Read(zr, binary.BigEndian, &d); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", path, err)
		}
		dims[i] = int(d)
		n *= int(d)
	}
	data := make([]byte, n)
	if _, err := io.ReadFull(zr, data); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return dims, data, nil
}

// fashion returns the first n images and labels of a Fashion-MNIST split
// ("train" or "t10k"), skipping the test when the data set is not installed.
func fashion(t testing.TB, split string, n int) ([][]uint8, []uint8) {
	t.Helper()
	imgPath := filepath.Join(fashionDir, split+"-images-idx3-ubyte.gz")
	if _, err := os.Stat(imgPath); err != nil {
		t.Skipf("Fashion-MNIST not installed: %v", err)
	}
	dims, pix, err := readIDX(imgPath)
	if err != nil {
		t.Fatal(err)
	}
	_, labels, err := readIDX(filepath.Join(fashionDir, split+"-labels-idx1-ubyte.gz"))
	if err != nil {
		t.Fatal(err)
	}
	size := dims[1] * dims[2]
	imgs := make([][]uint8, n)
	for i := range imgs {
		imgs[i] = pix[i*size : (i+1)*size]
	}
	return imgs, labels[:n]
}
