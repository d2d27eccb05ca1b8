package loader

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDownload(t *testing.T) {
	archives := kerasArchives(t)
	srv, hits := archiveServer(t, archives)
	cache := filepath.Join(t.TempDir(), "fashion-mnist") // created by Fetch
	var log bytes.Buffer
	d := &Downloader{BaseURL: srv.URL + "/datasets", Client: srv.Client(), Dir: cache, Progress: &log}

	require.NoError(t, d.Fetch(t.Context()))

	entries, err := os.ReadDir(cache)
	require.NoError(t, err)
	require.Len(t, entries, 4, "the four archives and nothing else")
	for _, s := range specs() {
		path := filepath.Join(cache, s.gzName())
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		sum := sha256.Sum256(b)
		assert.Equal(t, s.gzSHA256, hex.EncodeToString(sum[:]), "%s is the archive Keras downloads", s.gzName())
		st, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o644), st.Mode().Perm())
		// Not a terminal: one plain line per file.
		assert.Contains(t, log.String(), "loader: downloading "+srv.URL+"/datasets/"+s.gzName()+" (")
	}
	assert.NotContains(t, log.String(), "\r")
	assert.Equal(t, int64(4), hits.Load())

	ds, err := LoadDir(cache)
	require.NoError(t, err)
	assert.Equal(t, 60000, ds.Train.Len())

	require.NoError(t, d.Fetch(t.Context()))
	assert.Equal(t, int64(4), hits.Load(), "files already in the cache are not fetched again")
}

func TestDownloadFailures(t *testing.T) {
	first := specs()[0] // the file Fetch asks for first
	original := kerasArchive(t, first)
	tampered := bytes.Clone(original)
	tampered[len(tampered)/2] ^= 1

	serve := func(body []byte, length int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if length >= 0 {
				w.Header().Set("Content-Length", strconv.Itoa(length))
			} else {
				w.(http.Flusher).Flush() // chunked: no length for the client to check
			}
			w.Write(body)
		}
	}
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		want    error
		msg     string
	}{
		{"wrong digest", serve(tampered, len(tampered)), ErrDigest,
			"SHA-256 mismatch: got "},
		{"server error", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "backend down", http.StatusInternalServerError)
		}, ErrDownload, "the server answered 500 Internal Server Error"},
		{"not found", http.NotFound, ErrDownload, "the server answered 404 Not Found"},
		{"body cut short", serve(original[:len(original)/3], len(original)), io.ErrUnexpectedEOF,
			"after 8807293 of 26421880 bytes: unexpected EOF"},
		{"body short, no length", serve(original[:1000], -1), ErrTruncated,
			"the body ended after 1000 of 26421880 bytes"},
		{"body too long, no length", serve(append(bytes.Clone(original), 0), -1), ErrTrailingData,
			"the body is longer than the 26421880 bytes of the published file"},
		{"announced length wrong", serve(original[:10], 10), ErrDownload,
			"the server announces 10 bytes, want the 26421880 of the published file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			cache := t.TempDir()
			d := &Downloader{BaseURL: srv.URL + "/", Client: srv.Client(), Dir: cache}

			err := d.Fetch(t.Context())
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.want)
			assert.ErrorIs(t, err, ErrDownload)
			assert.Contains(t, err.Error(), "loader: download "+srv.URL+"/"+first.gzName()+": ")
			assert.Contains(t, err.Error(), tc.msg)

			entries, err := os.ReadDir(cache)
			require.NoError(t, err)
			assert.Empty(t, entries, "nothing is left in the cache")
		})
	}
}

func TestDownloadNeedsDir(t *testing.T) {
	err := (&Downloader{}).Fetch(t.Context())
	assert.ErrorIs(t, err, ErrDownload)
	assert.ErrorContains(t, err, "no directory to download into")
}

func TestDownloadCancelled(t *testing.T) {
	srv, _ := archiveServer(t, kerasArchives(t))
	cache := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := (&Downloader{BaseURL: srv.URL + "/datasets/", Client: srv.Client(), Dir: cache}).Fetch(ctx)
	assert.ErrorIs(t, err, context.Canceled)
	entries, _ := os.ReadDir(cache)
	assert.Empty(t, entries)
}

func TestProgress(t *testing.T) {
	t.Run("terminal", func(t *testing.T) {
		var out bytes.Buffer
		p := &liveProgress{w: &out, name: "x.gz", total: 2_000_000, last: -1}
		for _, n := range []int64{0, 1, 10_000, 1_000_000, 1_000_001, 2_000_000} {
			p.update(n)
		}
		p.done()
		lines := strings.Split(out.String(), "\r")
		assert.Equal(t, []string{
			"",
			"loader: downloading x.gz 0.0 MB of 2.0 MB   0%",
			"loader: downloading x.gz 1.0 MB of 2.0 MB  50%",
			"loader: downloading x.gz 2.0 MB of 2.0 MB 100%\n",
		}, lines, "redrawn only when the percentage changes")
	})
	t.Run("plain", func(t *testing.T) {
		var out bytes.Buffer
		p := newProgress(&out, "http://h/x.gz", 2_500_000)
		p.update(1)
		p.done()
		assert.Equal(t, "loader: downloading http://h/x.gz (2.5 MB)\n", out.String())
	})
	t.Run("silent", func(t *testing.T) {
		assert.Equal(t, silent{}, newProgress(nil, "http://h/x.gz", 1))
	})
	t.Run("terminal detection", func(t *testing.T) {
		r, w, err := os.Pipe()
		require.NoError(t, err)
		defer r.Close()
		defer w.Close()
		assert.False(t, isTerminal(w), "a pipe")
		assert.False(t, isTerminal(&bytes.Buffer{}))
		null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		require.NoError(t, err)
		defer null.Close()
		assert.True(t, isTerminal(null), "a character device, like a terminal")
	})
}
