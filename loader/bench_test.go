package loader

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// decompressedSize is what the four files hold once decompressed, the
// figure MB/s refers to.
const decompressedSize = 16 + 60000*ImageSize + 8 + 60000 + 16 + 10000*ImageSize + 8 + 10000

// BenchmarkLoad loads the four gzipped files of Debian's package, all checks
// included: what cmd/train pays at startup, and what Python's
// keras.datasets.fashion_mnist.load_data() is compared with
// (testdata/bench_load_data.py).
func BenchmarkLoad(b *testing.B) {
	dir := debianDir(b)
	b.SetBytes(decompressedSize)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadDir(dir); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadUncompressed loads gunzipped copies: the cost of the parsing
// and digest checks alone.
func BenchmarkLoadUncompressed(b *testing.B) {
	src := debianDir(b)
	dir := b.TempDir()
	for _, s := range specs() {
		f, err := os.Open(filepath.Join(src, s.gzName()))
		if err != nil {
			b.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			b.Fatal(err)
		}
		out, err := os.Create(filepath.Join(dir, s.name))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(out, zr); err != nil {
			b.Fatal(err)
		}
		f.Close()
		out.Close()
	}
	b.SetBytes(decompressedSize)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadDir(dir); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScaled(b *testing.B) {
	s := Split{Images: make([]uint8, 60000*ImageSize), Labels: make([]uint8, 60000)}
	b.SetBytes(int64(len(s.Images)))
	for b.Loop() {
		s.Scaled()
	}
}
