package loader

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// KerasBaseURL is where keras.datasets.fashion_mnist.load_data downloads
// the four gzipped files from.
const KerasBaseURL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

// Downloader fetches the four gzipped files as Keras does, but checks each
// against its published SHA-256 and size before it appears in Dir: it is
// written to a temporary file in Dir and renamed into place only once
// verified, so an interrupted or tampered download never leaves a file that
// a later run, or Python's load_data, would take for the real one.
type Downloader struct {
	BaseURL  string       // "" means KerasBaseURL
	Client   *http.Client // nil means http.DefaultClient
	Dir      string       // where the files go, normally the Keras cache
	Progress io.Writer    // nil shows nothing; a terminal gets a live count
}

// Fetch downloads into Dir each of the four files that Dir does not already
// hold, gzipped or not, creating Dir if needed. It stops at the first
// failure, returning a [*DownloadError].
func (d *Downloader) Fetch(ctx context.Context) error {
	if d.Dir == "" {
		return &DownloadError{URL: d.baseURL(), Err: errors.New("no directory to download into")}
	}
	if err := os.MkdirAll(d.Dir, 0o755); err != nil {
		return &DownloadError{URL: d.baseURL(), Err: err}
	}
	for _, s := range specs() {
		if present(filepath.Join(d.Dir, s.name)) || present(filepath.Join(d.Dir, s.gzName())) {
			continue
		}
		if err := d.fetch(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

func (d *Downloader) baseURL() string {
	base := d.BaseURL
	if base == "" {
		base = KerasBaseURL
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	return base
}

func (d *Downloader) fetch(ctx context.Context, s fileSpec) (err error) {
	url := d.baseURL() + s.gzName()
	fail := func(err error) error { return &DownloadError{URL: url, Err: err} }

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fail(err)
	}
	// The digest is of the .gz file itself: ask for it as it is stored,
	// which also keeps Go's transport from decompressing it on the way.
	req.Header.Set("Accept-Encoding", "identity")
	client := d.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fail(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fail(fmt.Errorf("the server answered %s", resp.Status))
	}
	if resp.ContentLength >= 0 && resp.ContentLength != s.gzSize {
		return fail(fmt.Errorf("the server announces %d bytes, want the %d of the published file", resp.ContentLength, s.gzSize))
	}

	tmp, err := os.CreateTemp(d.Dir, "."+s.gzName()+".*.part")
	if err != nil {
		return fail(err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()

	bar := newProgress(d.Progress, url, s.gzSize)
	h := sha256.New()
	// One byte more than expected is read, so that an over-long body is
	// noticed without reading all of it.
	body := &countingReader{r: io.LimitReader(resp.Body, s.gzSize+1), report: bar.update}
	n, err := io.Copy(io.MultiWriter(tmp, h), body)
	bar.done()
	switch {
	case err != nil:
		return fail(fmt.Errorf("after %d of %d bytes: %w", n, s.gzSize, err))
	case n < s.gzSize:
		return fail(fmt.Errorf("%w: the body ended after %d of %d bytes", ErrTruncated, n, s.gzSize))
	case n > s.gzSize:
		return fail(fmt.Errorf("%w: the body is longer than the %d bytes of the published file", ErrTrailingData, s.gzSize))
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != s.gzSHA256 {
		return fail(fmt.Errorf("%w: got %s, want %s", ErrDigest, got, s.gzSHA256))
	}
	// Synced before the rename, so that a crash cannot leave a renamed but
	// empty file behind; readable by all, as Keras leaves its cache.
	if err = tmp.Sync(); err != nil {
		return fail(err)
	}
	if err = tmp.Chmod(0o644); err != nil {
		return fail(err)
	}
	if err = tmp.Close(); err != nil {
		return fail(err)
	}
	if err = os.Rename(tmp.Name(), filepath.Join(d.Dir, s.gzName())); err != nil {
		return fail(err)
	}
	return nil
}

func present(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// countingReader reports the running total of bytes read.
type countingReader struct {
	r      io.Reader
	n      int64
	report func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.report(c.n)
	return n, err
}
