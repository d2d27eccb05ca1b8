package serving

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/internal/npy"
	"github.com/gokeras/fashion/internal/pyenv"
	"github.com/gokeras/fashion/loader"
	"github.com/gokeras/fashion/savedmodel"
	"github.com/gokeras/fashion/tensor"
	"github.com/gokeras/fashion/tfmodel"
)

var testRoot string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "serving-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testRoot = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// fashionModel is a SavedModel of the tutorial's architecture written by
// tfmodel.Save (signatures serving_default on float images and
// serving_uint8 on raw pixels), with seeded, untrained weights: serving
// does not care how good the weights are. Built once per seed.
var fashionModels sync.Map // seed -> func() (string, error)

func fashionModel(t testing.TB, seed int64) string {
	t.Helper()
	f, _ := fashionModels.LoadOrStore(seed, sync.OnceValues(func() (string, error) {
		dir := filepath.Join(testRoot, fmt.Sprintf("fashion-seed%d", seed))
		m, err := tfmodel.NewSequential(tfmodel.Flatten(28, 28), tfmodel.Dense(128, "relu"), tfmodel.Dense(10, "softmax"))
		if err != nil {
			return "", err
		}
		defer m.Close()
		opts := tfmodel.DefaultCompileOptions()
		opts.Seed = seed
		if err := m.Compile(opts); err != nil {
			return "", err
		}
		return dir, m.Save(dir)
	}))
	dir, err := f.(func() (string, error))()
	require.NoError(t, err)
	return dir
}

const kerasImages = 4

// kerasModel is the tutorial's model exported by Keras 3's model.export
// through the .venv's Python, built once.
var kerasModel = sync.OnceValues(func() (string, error) {
	dir := filepath.Join(testRoot, "keras-export")
	root, err := pyenv.Root()
	if err != nil {
		return "", err
	}
	images := filepath.Join(testRoot, "keras-images.npy")
	probs := filepath.Join(testRoot, "keras-probs.npy")
	if err := npy.WriteFile(images, testImages(nil, kerasImages), kerasImages, 28, 28); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	_, err = pyenv.Run(ctx, filepath.Join(root, "savedmodel", "testdata", "keras_export.py"), dir, images, probs)
	return dir, err
})

var testData = sync.OnceValues(func() (*loader.Dataset, error) { return loader.Load("") })

var testScaled = sync.OnceValues(func() ([]float32, error) {
	d, err := testData()
	if err != nil {
		return nil, err
	}
	return d.Test.Scaled(), nil
})

// testImages returns n test images scaled to [0, 1] (real Fashion-MNIST).
func testImages(t testing.TB, n int) []float32 {
	scaled, err := testScaled()
	if t != nil {
		require.NoError(t, err, "the real Fashion-MNIST is needed: run scripts/libtensorflow-install.sh")
	} else if err != nil {
		panic(err)
	}
	return scaled[:n*784]
}

func testPixels(t testing.TB, n int) []uint8 {
	d, err := testData()
	require.NoError(t, err)
	return d.Test.Images[:n*784]
}

// baseWith makes a model base path holding the given versions, each a copy
// (symbolic link) of the given model directory.
func baseWith(t testing.TB, versions map[int64]string) string {
	t.Helper()
	base := t.TempDir()
	for v, dir := range versions {
		require.NoError(t, os.Symlink(dir, filepath.Join(base, fmt.Sprint(v))))
	}
	return base
}

// startServer starts a Server on base and a REST test server for it.
func startServer(t testing.TB, base string, edit func(*Options)) (*Server, *httptest.Server) {
	t.Helper()
	opts := Options{ModelName: "fashion", BasePath: base, Logf: t.Logf, Metrics: NewMetrics()}
	if edit != nil {
		edit(&opts)
	}
	s, err := New(opts)
	require.NoError(t, err)
	require.NoError(t, s.Start())
	hs := httptest.NewServer(s.RESTHandler(RESTOptions{Timeout: time.Minute}))
	t.Cleanup(func() {
		hs.Close()
		require.NoError(t, s.Close())
	})
	return s, hs
}

// doJSON sends a request and returns the status and decoded body.
func doJSON(t testing.TB, method, url, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(raw, &out), "body %q", raw)
	return resp.StatusCode, out
}

// imagesJSON renders n images as nested JSON lists [n][28][28].
func imagesJSON(images []float32, n int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(imageJSON(images[i*784 : (i+1)*784]))
	}
	b.WriteByte(']')
	return b.String()
}

func imageJSON(img []float32) string {
	var b strings.Builder
	b.WriteByte('[')
	for r := 0; r < 28; r++ {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('[')
		for c := 0; c < 28; c++ {
			if c > 0 {
				b.WriteByte(',')
			}
			b.WriteString(fmt.Sprint(img[r*28+c]))
		}
		b.WriteByte(']')
	}
	b.WriteByte(']')
	return b.String()
}

// directPredict runs the model directly through savedmodel.Load, the
// reference the server's answers are compared with.
func directPredict(t testing.TB, dir string, images []float32, n int) [][]float32 {
	t.Helper()
	m, err := savedmodel.Load(dir)
	require.NoError(t, err)
	defer m.Close()
	probs, err := m.Predict(tensor.Float32{Shape: []int{n, 28, 28}, Data: images})
	require.NoError(t, err)
	require.Equal(t, []int{n, 10}, probs.Shape)
	rows := make([][]float32, n)
	for i := range rows {
		rows[i] = probs.Data[i*10 : (i+1)*10]
	}
	return rows
}

// floats32 converts decoded JSON numbers (any nesting of lists) to rows of
// float32.
func floatRows(t testing.TB, v any) [][]float32 {
	t.Helper()
	list, ok := v.([]any)
	require.True(t, ok, "want a list, got %T", v)
	out := make([][]float32, len(list))
	for i, row := range list {
		r, ok := row.([]any)
		require.True(t, ok, "want a list, got %T", row)
		for _, x := range r {
			f, ok := x.(float64)
			require.True(t, ok, "want a number, got %T", x)
			out[i] = append(out[i], float32(f))
		}
	}
	return out
}

func decodeJSON(resp *http.Response, v any) error {
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %s", resp.StatusCode, raw)
	}
	return json.Unmarshal(raw, v)
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func netListen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
