package savedmodel_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/savedmodel"
	"github.com/gokeras/fashion/tensor"
)

// Load runs a signature's ops in the caller's thread (TensorFlow's
// negative inter_op_parallelism_threads) unless InterOpPool asks for
// TensorFlow's default session.
func TestLoadRunsInTheCallersThread(t *testing.T) {
	for _, c := range []struct {
		opts savedmodel.LoadOptions
		want int32
	}{
		{savedmodel.LoadOptions{}, -1},
		{savedmodel.LoadOptions{Trusted: true}, -1},
		{savedmodel.LoadOptions{InterOpPool: true}, 0},
	} {
		got, err := savedmodel.InterOpThreads(c.opts)
		require.NoError(t, err)
		assert.Equal(t, c.want, got, "%+v", c.opts)
	}
}

// A model loaded to run in the caller's thread (the default) and one on
// TensorFlow's inter-op pool give the same outputs bit for bit, one image
// at a time, as a batch and from goroutines at once.
func TestCallersThreadAndInterOpPoolAgree(t *testing.T) {
	dir := t.TempDir()
	writeModel(t, newTrained(t, fashion, 1), dir, false)
	ts := loadTestSet(t, 64)

	var models []*savedmodel.Model
	for _, pool := range []bool{false, true} {
		m, err := savedmodel.LoadWithOptions(dir, savedmodel.LoadOptions{InterOpPool: pool})
		require.NoError(t, err, "InterOpPool %v", pool)
		t.Cleanup(func() { m.Close() })
		models = append(models, m)
	}
	batch := make([][]float32, 2)
	for i, m := range models {
		var err error
		batch[i], err = predictImages(m, ts.images, ts.n)
		require.NoError(t, err)
	}
	require.Equal(t, batch[0], batch[1], "a batch of %d", ts.n)

	// One image per call, from 4 goroutines at once per model.
	one := make([][]float32, 2)
	for i, m := range models {
		one[i] = make([]float32, ts.n*classes)
		var wg sync.WaitGroup
		errs := make(chan error, ts.n)
		for g := range 4 {
			wg.Go(func() {
				for k := g; k < ts.n; k += 4 {
					y, err := predictImages(m, ts.images[k*pixels:(k+1)*pixels], 1)
					if err != nil {
						errs <- fmt.Errorf("image %d: %w", k, err)
						return
					}
					copy(one[i][k*classes:], y)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
	}
	require.Equal(t, one[0], one[1], "one image a call")
	// Against the batch only within rounding: one row goes through other
	// MatMul kernels than 64 do, whichever thread runs them.
	require.LessOrEqual(t, maxAbsDiff(batch[0], one[0]), 1e-6, "one image a call against the batch")
}

// BenchmarkPredictOneImage times Predict on one image, the signature's
// ops run in the caller's thread (the default) and on TensorFlow's
// inter-op pool.
//
//	go test ./savedmodel -run '^$' -bench PredictOneImage
func BenchmarkPredictOneImage(b *testing.B) {
	dir := b.TempDir()
	writeModel(b, newTrained(b, fashion, 1), dir, false)
	ts := loadTestSet(b, 1)
	x := tensor.Float32{Shape: []int{1, 28, 28}, Data: ts.images}
	for _, c := range []struct {
		name string
		pool bool
	}{{"callers_thread", false}, {"inter_op_pool", true}} {
		b.Run(c.name, func(b *testing.B) {
			m, err := savedmodel.LoadWithOptions(dir, savedmodel.LoadOptions{InterOpPool: c.pool})
			require.NoError(b, err)
			defer m.Close()
			for b.Loop() {
				if _, err := m.Predict(x); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
