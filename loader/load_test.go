package loader

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/internal/filekind"
)

func TestLoadDirRealData(t *testing.T) {
	dir := debianDir(t)
	ds, err := LoadDir(dir)
	require.NoError(t, err)

	assert.Equal(t, Source{Kind: FromDir, Dir: dir}, ds.Source)
	for _, tc := range []struct {
		name     string
		split    Split
		n        int
		perClass int
	}{
		{"train", ds.Train, 60000, 6000},
		{"test", ds.Test, 10000, 1000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.n, tc.split.Len())
			require.Len(t, tc.split.Images, tc.n*Rows*Cols)
			var counts [NumClasses]int
			for _, l := range tc.split.Labels {
				counts[l]++
			}
			for class, c := range counts {
				assert.Equal(t, tc.perClass, c, "class %d (%s)", class, ClassName(class))
			}
		})
	}

	assert.Equal(t, []uint8{9, 0, 0}, ds.Train.Labels[:3], "first training labels")
	assert.Equal(t, []uint8{3, 0, 5}, ds.Train.Labels[len(ds.Train.Labels)-3:], "last training labels")
	assert.Equal(t, uint8(9), ds.Test.Labels[0])
	assert.Equal(t, "Ankle boot", ClassName(int(ds.Test.Labels[0])))

	img := ds.Train.Image(0)
	require.Len(t, img, ImageSize)
	assert.Equal(t, ds.Train.Images[:ImageSize], img)
	assert.Equal(t, ds.Train.Images[ImageSize:2*ImageSize], ds.Train.Image(1))
}

// An uncompressed copy, as `gunzip` leaves it, loads the same data; and it
// is preferred over a .gz beside it, here a broken one that would fail.
func TestLoadDirUncompressed(t *testing.T) {
	src := debianDir(t)
	dir := t.TempDir()
	for _, s := range specs() {
		f, err := os.Open(filepath.Join(src, s.gzName()))
		require.NoError(t, err)
		zr, err := gzip.NewReader(f)
		require.NoError(t, err)
		raw, err := io.ReadAll(zr)
		require.NoError(t, err)
		f.Close()
		require.NoError(t, os.WriteFile(filepath.Join(dir, s.name), raw, 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, s.gzName()), []byte("not gzip"), 0o644))
	}
	ds, err := LoadDir(dir)
	require.NoError(t, err)
	assert.Equal(t, 60000, ds.Train.Len())
	assert.Equal(t, 10000, ds.Test.Len())
	assert.Equal(t, []uint8{9, 0, 0}, ds.Train.Labels[:3])
}

func TestLoadDirDefects(t *testing.T) {
	var (
		wrongType  = append([]byte{0, 0, 8, 2}, imagesIDX(1, 0)[4:]...)
		wrongDims  = imagesIDX(3, 7)
		hugeCount  = imagesIDX(0, 0)
		badTrailer = gzipped(t, imagesIDX(3, 7))
		badHeader  = gzipped(t, imagesIDX(3, 7))
		cutGzip    = gzipped(t, imagesIDX(3, 7))
	)
	wrongDims[15] = 27
	hugeCount[4], hugeCount[5], hugeCount[6], hugeCount[7] = 0xff, 0xff, 0xff, 0xff
	badTrailer[len(badTrailer)-8] ^= 0xff // CRC-32
	badHeader[2] = 7                      // compression method
	cutGzip = cutGzip[:len(cutGzip)/2]

	for _, tc := range []struct {
		name    string
		file    string // the one file replaced
		content []byte
		want    error
		msg     string
	}{
		{"wrong magic", trainImagesName, wrongType, ErrBadMagic,
			"wrong magic number 0x00000802 (IDX type 0x08, 2 dimensions), want 0x00000803 (IDX unsigned-byte images)"},
		{"labels as images", testImagesName, labelsIDX(1, 2), ErrBadMagic,
			"wrong magic number 0x00000801 (IDX unsigned-byte labels), want 0x00000803 (IDX unsigned-byte images)"},
		{"images as labels", trainLabelsName, imagesIDX(1, 0), ErrBadMagic,
			"want 0x00000801 (IDX unsigned-byte labels)"},
		{"not IDX at all", testLabelsName, []byte("<html>404</html>"), ErrBadMagic, "(not an IDX file)"},
		{"wrong dimensions", trainImagesName, wrongDims, ErrBadDims, "wrong dimensions: images are 28×27, want 28×28"},
		{"truncated pixels", trainImagesName, imagesIDX(3, 7)[:2000], ErrTruncated,
			"truncated: the header declares 3 images (2352 bytes) but only 1984 bytes follow it"},
		{"truncated labels", trainLabelsName, labelsIDX(1, 2, 3)[:9], ErrTruncated,
			"the header declares 3 labels (3 bytes) but only 1 bytes follow it"},
		{"truncated header", trainImagesName, imagesIDX(1, 0)[:10], ErrTruncated,
			"truncated: the file ends inside the 16-byte IDX header, after 10 bytes"},
		{"huge declared count", trainImagesName, hugeCount, ErrTruncated,
			"the header declares 4294967295 images (3367254359280 bytes) but only 0 bytes follow it"},
		{"huge count in gzip", trainImagesName, gzipped(t, hugeCount), ErrTruncated,
			"-byte gzip file can hold"},
		{"more than published", testLabelsName, gzipped(t, labelsIDX(make([]byte, 10001)...)), ErrBadDims,
			"wrong dimensions: the header declares 10001 labels, more than the 10000 of the published file"},
		{"truncated gzip", trainImagesName, cutGzip, ErrTruncated, "truncated: the gzip stream ends"},
		{"gzip of too little", testImagesName, gzipped(t, imagesIDX(3, 7)[:900]), ErrTruncated,
			"truncated: the gzip stream ends after 884 of the 2352 bytes of 3 images the header declares"},
		{"corrupt gzip checksum", trainImagesName, badTrailer, ErrCorruptGzip, "corrupt gzip at the end of the data: gzip: invalid checksum"},
		{"corrupt gzip header", trainImagesName, badHeader, ErrCorruptGzip, "corrupt gzip in the gzip header"},
		{"empty file", trainLabelsName, nil, ErrEmpty, "empty file"},
		{"empty gzip", trainLabelsName, gzipped(t, nil), ErrEmpty, "empty file: nothing inside the gzip stream"},
		{"trailing data", testLabelsName, append(labelsIDX(9, 2), 0), ErrTrailingData,
			"trailing data: 1 bytes follow the 2 labels (2 bytes) that the header declares"},
		{"trailing data in gzip", testLabelsName, gzipped(t, append(labelsIDX(9, 2), 0)), ErrTrailingData,
			"trailing data: more bytes follow the 2 labels the header declares"},
		{"label above 9", trainLabelsName, labelsIDX(9, 10, 0), ErrBadLabel,
			"label above 9: label 10 at index 1; Fashion-MNIST has classes 0 to 9"},
		{"counts disagree", trainLabelsName, labelsIDX(9, 0), ErrCountMismatch,
			"image and label counts disagree: 2 labels for the 3 images in "},
		{"not the published data", testLabelsName, labelsIDX(1, 1), ErrDigest,
			"SHA-256 mismatch: the decompressed content has SHA-256 "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			syntheticSet(t, dir)
			bad := filepath.Join(dir, tc.file) // uncompressed names win over .gz
			require.NoError(t, os.WriteFile(bad, tc.content, 0o644))

			ds, err := LoadDir(dir)
			require.Error(t, err)
			assert.Nil(t, ds)
			assert.ErrorIs(t, err, tc.want)
			assert.Contains(t, err.Error(), "loader: "+bad+": ", "the error names the file")
			assert.Contains(t, err.Error(), tc.msg)

			var fe *FileError
			require.ErrorAs(t, err, &fe)
		})
	}
}

// A well-formed set that is not Fashion-MNIST fails only on its digests,
// one error per file; that is also what a truncated-but-consistent or
// tampered copy would produce.
func TestLoadDirSyntheticFailsDigest(t *testing.T) {
	dir := t.TempDir()
	paths := syntheticSet(t, dir)
	_, err := LoadDir(dir)
	require.ErrorIs(t, err, ErrDigest)
	for _, p := range paths {
		assert.Contains(t, err.Error(), "loader: "+p+": SHA-256 mismatch")
	}
	assert.NotErrorIs(t, err, ErrCountMismatch)
}

func TestLoadDirMissing(t *testing.T) {
	t.Run("no directory", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "nope")
		_, err := LoadDir(dir)
		assert.ErrorIs(t, err, fs.ErrNotExist)
		assert.EqualError(t, err, "loader: "+dir+": no such file or directory")
	})
	t.Run("one file missing", func(t *testing.T) {
		dir := t.TempDir()
		paths := syntheticSet(t, dir)
		require.NoError(t, os.Remove(paths[testLabelsName]))
		_, err := LoadDir(dir)
		assert.ErrorIs(t, err, fs.ErrNotExist)
		assert.EqualError(t, err, "loader: "+dir+": file does not exist: no t10k-labels-idx1-ubyte[.gz]")
	})
	t.Run("a file, not a directory", func(t *testing.T) {
		paths := syntheticSet(t, t.TempDir())
		_, err := LoadDir(paths[trainImagesName])
		assert.ErrorContains(t, err, "not a directory")
	})
}

// Every defect in a set is reported, not just the first one found.
func TestLoadDirReportsAllDefects(t *testing.T) {
	dir := t.TempDir()
	syntheticSet(t, dir)
	require.NoError(t, os.WriteFile(filepath.Join(dir, trainImagesName), nil, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, testLabelsName), labelsIDX(42), 0o644))
	_, err := LoadDir(dir)
	assert.ErrorIs(t, err, ErrEmpty)
	assert.ErrorIs(t, err, ErrBadLabel)
}

// A header's claim is not trusted with memory: a 16-byte file that declares
// four billion images is rejected having allocated next to nothing, and a
// stream of unknown size that makes the same claim gets a bounded buffer.
func TestDecodeIDXDoesNotTrustHeaderWithMemory(t *testing.T) {
	huge := imagesIDX(0, 0)
	huge[4], huge[5], huge[6], huge[7] = 0xff, 0xff, 0xff, 0xff

	for _, tc := range []struct {
		name     string
		input    []byte
		size     int64
		maxBytes uint64
	}{
		{"raw, size known", huge, int64(len(huge)), 1 << 20},
		{"gzip, size known", gzipped(t, huge), -2, 1 << 20},
		{"raw, size unknown", huge, -1, 4 * chunkSize},
	} {
		t.Run(tc.name, func(t *testing.T) {
			size := tc.size
			if size == -2 {
				size = int64(len(tc.input))
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := decodeIDX(bytes.NewReader(tc.input), size, imagesKind, 0)
			runtime.ReadMemStats(&after)
			require.ErrorIs(t, err, ErrTruncated)
			assert.Less(t, after.TotalAlloc-before.TotalAlloc, tc.maxBytes)
		})
	}
}

// An error from the reader itself is passed on as it is, not mistaken for a
// defect of the data.
func TestDecodeIDXPassesReadErrors(t *testing.T) {
	boom := errors.New("disk on fire")
	for _, input := range [][]byte{imagesIDX(2, 1), gzipped(t, imagesIDX(2, 1))} {
		r := io.MultiReader(bytes.NewReader(input[:len(input)/2]), iotestErrReader{boom})
		_, err := decodeIDX(r, -1, imagesKind, 0)
		assert.ErrorIs(t, err, boom)
		assert.NotErrorIs(t, err, ErrTruncated)
		assert.NotErrorIs(t, err, ErrCorruptGzip)
	}
}

type iotestErrReader struct{ err error }

func (r iotestErrReader) Read([]byte) (int, error) { return 0, r.err }

// A FIFO swapped in where an IDX file was found is refused, not opened:
// opening it would wait for a writer forever.
func TestReadIDXFileRefusesSpecialFiles(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "train-images-idx3-ubyte")
	require.NoError(t, syscall.Mkfifo(fifo, 0o644))
	for _, path := range []string{fifo, "/dev/zero"} {
		_, err := readIDXFile(path, imagesKind, 0)
		require.Error(t, err, path)
		assert.ErrorIs(t, err, filekind.ErrNotRegular, path)
		assert.Contains(t, err.Error(), path+": is a ", path)
	}
}
