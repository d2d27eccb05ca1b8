package loader

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// debianDir returns Debian's copy of the data set, which the real-data tests
// need: CI installs the package, so its absence is a failure, not a skip.
func debianDir(t testing.TB) string {
	t.Helper()
	for _, s := range specs() {
		if _, err := os.Stat(filepath.Join(SystemDir, s.gzName())); err != nil {
			t.Fatalf("the real-data tests need Fashion-MNIST in %s: apt-get install %s (%v)", SystemDir, debianPackage, err)
		}
	}
	return SystemDir
}

// linkDebian makes dir hold the Debian files, as symbolic links, so that a
// test can put the real data anywhere without copying 30 MB.
func linkDebian(t testing.TB, dir string) {
	t.Helper()
	src := debianDir(t)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	for _, s := range specs() {
		require.NoError(t, os.Symlink(filepath.Join(src, s.gzName()), filepath.Join(dir, s.gzName())))
	}
}

// originalMTime is the modification time stored in the gzip headers of the
// archives Zalando published and Keras downloads.
func originalMTime(s fileSpec) uint32 {
	if strings.HasPrefix(s.name, "train") {
		return 1504176606
	}
	return 1504176627
}

// kerasArchive rebuilds, from Debian's copy, the exact archive that Keras
// downloads. Debian did not recompress the data: it only cleared the file
// name and time in the gzip header, so putting them back restores the
// original byte for byte, which lets the download tests serve the real
// files and check the real digests without any network.
func kerasArchive(t testing.TB, s fileSpec) []byte {
	t.Helper()
	deb, err := os.ReadFile(filepath.Join(debianDir(t), s.gzName()))
	require.NoError(t, err)
	require.Equal(t, []byte{0x1f, 0x8b, 8, 0}, deb[:4], "Debian's gzip header changed; this rebuild no longer applies")
	var out bytes.Buffer
	out.Write([]byte{0x1f, 0x8b, 8, 8}) // deflate, FNAME set
	binary.Write(&out, binary.LittleEndian, originalMTime(s))
	out.Write(deb[8:10]) // extra flags and OS
	out.WriteString(s.name)
	out.WriteByte(0)
	out.Write(deb[10:])
	return out.Bytes()
}

// archiveServer serves the given files by name, counting the requests.
func archiveServer(t testing.TB, files map[string][]byte) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Header.Get("Accept-Encoding") != "identity" {
			// A transparently decompressed body could never match the digest.
			http.Error(w, "the archive is served only as it is stored", http.StatusNotAcceptable)
			return
		}
		b, ok := files[strings.TrimPrefix(r.URL.Path, "/datasets/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func kerasArchives(t testing.TB) map[string][]byte {
	files := map[string][]byte{}
	for _, s := range specs() {
		files[s.gzName()] = kerasArchive(t, s)
	}
	return files
}

// imagesIDX builds an IDX file of n images whose pixels are all pixel.
func imagesIDX(n int, pixel byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, imagesMagic)
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	b = binary.BigEndian.AppendUint32(b, Rows)
	b = binary.BigEndian.AppendUint32(b, Cols)
	return append(b, bytes.Repeat([]byte{pixel}, n*ImageSize)...)
}

// labelsIDX builds an IDX file of the given labels.
func labelsIDX(labels ...byte) []byte {
	b := binary.BigEndian.AppendUint32(nil, labelsMagic)
	b = binary.BigEndian.AppendUint32(b, uint32(len(labels)))
	return append(b, labels...)
}

func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	_, err := zw.Write(b)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return out.Bytes()
}

// syntheticSet writes four small, well-formed files into dir: 3 training
// and 2 test examples, gzipped like Keras's. They parse, but they are not
// Fashion-MNIST, so loading them ends at the digest check.
func syntheticSet(t testing.TB, dir string) map[string]string {
	t.Helper()
	contents := map[string][]byte{
		trainImagesName: imagesIDX(3, 7),
		trainLabelsName: labelsIDX(9, 0, 0),
		testImagesName:  imagesIDX(2, 200),
		testLabelsName:  labelsIDX(9, 2),
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	paths := map[string]string{}
	for name, b := range contents {
		p := filepath.Join(dir, name+".gz")
		require.NoError(t, os.WriteFile(p, gzipped(t, b), 0o644))
		paths[name] = p
	}
	return paths
}
