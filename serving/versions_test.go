package serving

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/savedmodel"
)

func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func imageTensor(images []float32, n int) *Tensor {
	t := &Tensor{DType: 1, Shape: []int64{int64(n), 28, 28}}
	for _, f := range images[:n*784] {
		t.Data = put32(t.Data, math.Float32bits(f))
	}
	return t
}

func probsOf(t *testing.T, resp *PredictResponse) [][]float32 {
	out := resp.Outputs["probabilities"]
	require.NotNil(t, out)
	rows := make([][]float32, out.Shape[0])
	for i := range rows {
		for j := 0; j < int(out.Shape[1]); j++ {
			rows[i] = append(rows[i], out.float32At(i*int(out.Shape[1])+j))
		}
	}
	return rows
}

// TestVersionLifecycle walks a model's versions through what TensorFlow
// Serving does with them: the highest loads; a new one is loaded and
// swapped in while a request in flight finishes on the old one, which is
// closed after; a broken one is reported and the served one keeps serving;
// removing the served folder falls back to another version only once that
// one is loaded; a fixed folder is loaded again.
func TestVersionLifecycle(t *testing.T) {
	ctx := waitCtx(t)
	m1, m2 := fashionModel(t, 1), fashionModel(t, 2)
	base := baseWith(t, map[int64]string{1: m1})
	s, _ := startServer(t, base, nil)
	images := testImages(t, 2)
	req := &PredictRequest{Spec: ModelSpec{Name: "fashion"}, Inputs: map[string]*Tensor{"images": imageTensor(images, 2)}}
	want1, want2 := directPredict(t, m1, images, 2), directPredict(t, m2, images, 2)
	served := func() int64 { v, _ := s.ServedVersion(); return v }
	require.Equal(t, int64(1), served())

	// A request in flight on version 1.
	held, err := s.acquire("fashion", 0, false, "")
	require.NoError(t, err)
	require.NoError(t, os.Symlink(m2, filepath.Join(base, "2")))
	require.NoError(t, s.Poll())
	assert.Equal(t, int64(2), served())
	sts, err := s.Status("fashion", 0, false)
	require.NoError(t, err)
	assert.Equal(t, []VersionStatus{{Version: 2, State: StateAvailable}, {Version: 1, State: StateUnloading}}, sts)
	resp, err := s.predict(ctx, held, req)
	require.NoError(t, err, "the request in flight finishes on version 1")
	assert.Equal(t, int64(1), resp.Spec.Version)
	assert.Equal(t, want1, probsOf(t, resp))
	resp, err = s.Predict(ctx, req)
	require.NoError(t, err)
	assert.Equal(t, int64(2), resp.Spec.Version)
	assert.Equal(t, want2, probsOf(t, resp))
	s.release(held)
	require.NoError(t, s.WaitFor(ctx, func(m map[int64]VersionStatus) bool { return m[1].State == StateEnd }))
	_, err = s.Predict(ctx, &PredictRequest{Spec: ModelSpec{Name: "fashion", Version: 1, HasVersion: true}, Inputs: req.Inputs})
	assert.Equal(t, NotFound, CodeOf(err))

	// A broken version 3: reported, version 2 keeps serving.
	broken := filepath.Join(base, "3")
	require.NoError(t, os.Mkdir(broken, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(broken, "saved_model.pb"), []byte("not a protobuf"), 0o644))
	require.NoError(t, s.Poll())
	assert.Equal(t, int64(2), served())
	sts, err = s.Status("fashion", 3, true)
	require.NoError(t, err)
	require.Len(t, sts, 1)
	assert.Equal(t, StateEnd, sts[0].State)
	assert.Equal(t, Unknown, sts[0].Code)
	assert.Contains(t, sts[0].Message, "saved_model.pb is corrupt")
	require.NoError(t, s.Poll()) // not retried while unchanged
	assert.Equal(t, int64(2), served())

	// Version 2's folder removed: version 1 (the highest loadable left) is
	// loaded, then swapped in.
	require.NoError(t, os.Remove(filepath.Join(base, "2")))
	require.NoError(t, s.Poll())
	assert.Equal(t, int64(1), served())
	require.NoError(t, s.WaitFor(ctx, func(m map[int64]VersionStatus) bool { return m[2].State == StateEnd }))

	// Every loadable folder removed: version 1 stays.
	require.NoError(t, os.Remove(filepath.Join(base, "1")))
	require.NoError(t, s.Poll())
	assert.Equal(t, int64(1), served())
	resp, err = s.Predict(ctx, req)
	require.NoError(t, err)
	assert.Equal(t, want1, probsOf(t, resp))

	// Version 3 fixed: loaded.
	require.NoError(t, os.RemoveAll(broken))
	require.NoError(t, os.Symlink(m2, broken))
	require.NoError(t, s.Poll())
	assert.Equal(t, int64(3), served())
}

// TestPollingPicksUpNewVersion waits, without sleeping, for the background
// poll to serve a version that appears.
func TestPollingPicksUpNewVersion(t *testing.T) {
	ctx := waitCtx(t)
	base := t.TempDir()
	s, hs := startServer(t, base, func(o *Options) { o.PollInterval = 20 * time.Millisecond })
	code, body := doJSON(t, "GET", hs.URL+"/v1/models/fashion", "")
	assert.Equal(t, 404, code)
	assert.Equal(t, "Could not find any versions of model fashion", body["error"])
	// Write the version beside and rename it in, as a deployment should.
	tmp := filepath.Join(base, ".incoming")
	require.NoError(t, os.Symlink(fashionModel(t, 1), tmp))
	require.NoError(t, os.Rename(tmp, filepath.Join(base, "5")))
	require.NoError(t, s.WaitFor(ctx, func(m map[int64]VersionStatus) bool { return m[5].State == StateAvailable }))
	code, body = doJSON(t, "POST", hs.URL+"/v1/models/fashion/versions/5:predict", `{"instances": [`+imageJSON(testImages(t, 1))+`]}`)
	assert.Equal(t, 200, code, "%v", body)
}

func TestOpCheck(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "1")
	require.NoError(t, writeReadFileModel(dir))
	base := filepath.Dir(dir)
	for _, trusted := range []bool{false, true} {
		t.Run(fmt.Sprint("trusted=", trusted), func(t *testing.T) {
			s, _ := startServer(t, base, func(o *Options) { o.Load.Trusted = trusted })
			sts, err := s.Status("fashion", 1, true)
			require.NoError(t, err)
			if !trusted {
				assert.Equal(t, StateEnd, sts[0].State)
				assert.Contains(t, sts[0].Message, "op ReadFile")
				return
			}
			assert.Equal(t, StateAvailable, sts[0].State)
			secret := filepath.Join(t.TempDir(), "secret")
			require.NoError(t, os.WriteFile(secret, []byte("s3cret"), 0o600))
			resp, err := s.Predict(waitCtx(t), &PredictRequest{Spec: ModelSpec{Name: "fashion"}, Inputs: map[string]*Tensor{
				"path": {DType: 7, Shape: []int64{}, Strings: []string{secret}},
			}})
			require.NoError(t, err)
			assert.Equal(t, []string{"s3cret"}, resp.Outputs["contents"].Strings)

			// TensorFlow's own error comes back with its own code.
			_, err = s.Predict(waitCtx(t), &PredictRequest{Spec: ModelSpec{Name: "fashion"}, Inputs: map[string]*Tensor{
				"path": {DType: 7, Shape: []int64{}, Strings: []string{secret + ".missing"}},
			}})
			assert.Equal(t, NotFound, CodeOf(err), "%v", err)
			assert.Contains(t, err.Error(), "No such file or directory")
		})
	}
}

func TestLoadErrorsAreNotFatal(t *testing.T) {
	_, err := New(Options{ModelName: "m"})
	assert.Error(t, err)
	s, err := New(Options{ModelName: "m", BasePath: filepath.Join(t.TempDir(), "missing")})
	require.NoError(t, err)
	err = s.Start()
	assert.True(t, errors.Is(err, os.ErrNotExist), "%v", err)
	require.NoError(t, s.Close())
	_ = savedmodel.DefaultSignature
}
