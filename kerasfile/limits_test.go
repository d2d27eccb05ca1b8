package kerasfile

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// zeros reads n zero bytes.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), z.n)]
	clear(p)
	z.n -= int64(len(p))
	return len(p), nil
}

// deflatedZeros returns n zero bytes deflated, the body of a zip bomb
// (64 MiB take 64 KB), and their CRC-32.
func deflatedZeros(t *testing.T, n int64) ([]byte, uint32) {
	t.Helper()
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	require.NoError(t, err)
	crc := crc32.NewIEEE()
	_, err = io.Copy(io.MultiWriter(w, crc), &zeros{n})
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes(), crc.Sum32()
}

// withRawMember copies the .keras archive src with member name replaced by
// raw, deflated data under a header that says what hdr says, true or not.
func withRawMember(t *testing.T, src, name string, hdr zip.FileHeader, raw []byte) string {
	t.Helper()
	zr, err := zip.OpenReader(src)
	require.NoError(t, err)
	defer zr.Close()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		if f.Name == name {
			hdr.Name, hdr.Method, hdr.CompressedSize64 = name, zip.Deflate, uint64(len(raw))
			w, err := zw.CreateRaw(&hdr)
			require.NoError(t, err)
			_, err = w.Write(raw)
			require.NoError(t, err)
			continue
		}
		require.NoError(t, zw.Copy(f))
	}
	require.NoError(t, zw.Close())
	dst := filepath.Join(t.TempDir(), "raw.keras")
	require.NoError(t, os.WriteFile(dst, buf.Bytes(), 0o644))
	return dst
}

// TestReadMemberLimits checks that no member of a .keras file makes Read
// allocate more than its limit: zip bombs are refused from their header,
// before a byte is inflated; a header that understates its member is
// caught at the size it declared.
func TestReadMemberLimits(t *testing.T) {
	good := filepath.Join(t.TempDir(), "good.keras")
	require.NoError(t, Write(good, trainedState(t, adam(mixed(1)), 2)))
	weights := memberOf(t, good, weightsMember)
	meta := memberOf(t, good, metadataMember)
	config := memberOf(t, good, configMember)

	bomb, bombCRC := deflatedZeros(t, 64<<20)
	for _, tc := range []struct {
		name, path, want string
	}{
		// The file: a 2 MB archive whose weights claim 2 GiB.
		{"weights declare 2 GiB",
			withRawMember(t, good, weightsMember, zip.FileHeader{UncompressedSize64: 2 << 30}, bytes.Repeat(bomb, 30)),
			"model.weights.h5: declares 2147483648 bytes uncompressed, more than the limit of 1073741824 bytes for a weights file"},
		{"weights declare 1 GiB and a byte",
			withRawMember(t, good, weightsMember, zip.FileHeader{UncompressedSize64: 1<<30 + 1}, bomb),
			"model.weights.h5: declares 1073741825 bytes uncompressed, more than the limit of 1073741824 bytes for a weights file"},
		{"weights header understates",
			withRawMember(t, good, weightsMember, zip.FileHeader{UncompressedSize64: uint64(len(weights)), CRC32: crc32.ChecksumIEEE(weights)}, bomb),
			fmt.Sprintf("model.weights.h5: holds more than the %d bytes its zip header declares", len(weights))},
		// Within the limit, the bomb is read, and is no HDF5 file.
		{"weights inflate to 64 MiB",
			withRawMember(t, good, weightsMember, zip.FileHeader{UncompressedSize64: 64 << 20, CRC32: bombCRC}, bomb),
			"model.weights.h5: not a readable HDF5 file: "},
		{"metadata header understates",
			withRawMember(t, good, metadataMember, zip.FileHeader{UncompressedSize64: uint64(len(meta)), CRC32: crc32.ChecksumIEEE(meta)}, bomb),
			fmt.Sprintf("metadata.json: holds more than the %d bytes its zip header declares", len(meta))},
		{"metadata inflates to 64 MiB",
			withRawMember(t, good, metadataMember, zip.FileHeader{UncompressedSize64: 64 << 20, CRC32: bombCRC}, bomb),
			"metadata.json: declares 67108864 bytes uncompressed, more than the limit of 1048576 bytes for a JSON member"},
		// Valid JSON, within the old 16 MiB limit.
		{"config.json over the JSON limit",
			rewrite(t, good, func(name string, old []byte) []byte {
				if name == configMember {
					return append(old, bytes.Repeat([]byte(" "), 8<<20)...)
				}
				return old
			}),
			fmt.Sprintf("config.json: declares %d bytes uncompressed, more than the limit of 1048576 bytes for a JSON member", len(config)+8<<20)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(tc.path)
			require.Error(t, err)
			assert.ErrorContains(t, err, "kerasfile: read "+tc.path+": "+tc.want)
		})
	}
}

// TestWriteLimit checks that Write refuses a model whose weights file Read
// would refuse, before building it.
func TestWriteLimit(t *testing.T) {
	// 65 variables of 16 MiB, which share their values: 1040 MiB to write,
	// 16 MiB to hold.
	shared := make([]float32, 1<<22)
	layer := Layer{ClassName: "Embedding"}
	for range 65 {
		layer.Weights = append(layer.Weights, Weight{Shape: []int{1 << 22}, Values: shared})
	}
	path := filepath.Join(t.TempDir(), "big.keras")
	assert.EqualError(t, Write(path, Model{InputShape: []int{1}, Layers: []Layer{layer}}), "kerasfile: write "+path+
		": the model's variables and the optimizer's take 1090519040 bytes, more than the limit of 1073741824 bytes of model.weights.h5 that Read accepts")
}
