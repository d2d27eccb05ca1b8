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
	"strings"
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
// caught at the size it declared; config.json cannot raise the weights'
// limit past maxWeightsSize.
func TestReadMemberLimits(t *testing.T) {
	good := filepath.Join(t.TempDir(), "good.keras")
	require.NoError(t, Write(good, withState(seeded(Fashion(), 1), 2)))
	weights := memberOf(t, good, weightsMember)
	meta := memberOf(t, good, metadataMember)
	config := memberOf(t, good, configMember)
	limit, err := weightsLimit(seeded(Fashion(), 1))
	require.NoError(t, err)
	require.EqualValues(t, 2302600, limit, "12 bytes for each of 101,770 parameters, 16 for Adam's scalars, 1 MiB + 2×16 KiB of room")

	bomb, bombCRC := deflatedZeros(t, 64<<20)
	editConfig := func(from, to string) func(string, []byte) []byte {
		return func(name string, old []byte) []byte {
			if name == configMember {
				require.Contains(t, string(old), from)
				return []byte(strings.Replace(string(old), from, to, 1))
			}
			return old
		}
	}
	for _, tc := range []struct {
		name, path, want string
	}{
		{"weights inflate to 64 MiB",
			withRawMember(t, good, weightsMember, zip.FileHeader{UncompressedSize64: 64 << 20, CRC32: bombCRC}, bomb),
			"model.weights.h5: declares 67108864 bytes uncompressed, more than the limit of 2302600 bytes for the model config.json describes"},
		// The file: a 2 MB archive whose weights claim 2 GiB, the
		// old limit's size exactly.
		{"weights declare 2 GiB",
			withRawMember(t, good, weightsMember, zip.FileHeader{UncompressedSize64: 2 << 30}, bytes.Repeat(bomb, 30)),
			"model.weights.h5: declares 2147483648 bytes uncompressed, more than the limit of 2302600 bytes for the model config.json describes"},
		{"weights header understates",
			withRawMember(t, good, weightsMember, zip.FileHeader{UncompressedSize64: uint64(len(weights)), CRC32: crc32.ChecksumIEEE(weights)}, bomb),
			fmt.Sprintf("model.weights.h5: holds more than the %d bytes its zip header declares", len(weights))},
		{"metadata header understates",
			withRawMember(t, good, metadataMember, zip.FileHeader{UncompressedSize64: uint64(len(meta)), CRC32: crc32.ChecksumIEEE(meta)}, bomb),
			fmt.Sprintf("metadata.json: holds more than the %d bytes its zip header declares", len(meta))},
		// Valid JSON, within the old 16 MiB limit.
		{"config.json over the JSON limit",
			rewrite(t, good, func(name string, old []byte) []byte {
				if name == configMember {
					return append(old, bytes.Repeat([]byte(" "), 8<<20)...)
				}
				return old
			}),
			fmt.Sprintf("config.json: declares %d bytes uncompressed, more than the limit of 1048576 bytes for a JSON member", len(config)+8<<20)},
		// 784×2^24 + 2^24×10 weights: 160 GB with Adam's moments, which a
		// bomb could otherwise fill.
		{"config claims a model over 1 GiB", rewrite(t, good, editConfig(`"units":128`, `"units":16777216`)),
			"config.json: the model's 13337886730 weights, with Adam's state, need 160055722120 bytes of model.weights.h5, more than the limit of 1073741824 bytes"},
		{"input shape too wide", rewrite(t, good, editConfig(`"batch_shape":[null,28,28]`, `"batch_shape":[null,65536,65536]`)),
			"config.json: input shape (65536, 65536) flattens to more than 16777216 values"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(tc.path)
			assert.EqualError(t, err, "kerasfile: read "+tc.path+": "+tc.want)
		})
	}
}

// TestWeightsLimitFitsKeras checks the weights limit against the files
// Keras and Go write: the largest, a compiled and trained model's, comes
// well within it.
func TestWeightsLimitFitsKeras(t *testing.T) {
	for _, a := range []Arch{
		Fashion(),
		{InputShape: []int{28, 28}, Layers: []DenseArch{{1, "relu"}, {1, "softmax"}}},
		{InputShape: []int{32, 32, 3}, Layers: []DenseArch{{512, "relu"}, {256, "relu"}, {10, "softmax"}}},
	} {
		m := withState(seeded(a, 1), 2)
		path := filepath.Join(t.TempDir(), "m.keras")
		require.NoError(t, Write(path, m))
		size := len(memberOf(t, path, weightsMember))
		limit, err := weightsLimit(m)
		require.NoError(t, err)
		assert.Less(t, int64(size), limit, a.String())
		assert.Less(t, limit-int64(size), int64(h5Room+h5RoomPerLayer*len(a.Layers)), "%s: the limit is not proportional to the model", a)
	}
}
