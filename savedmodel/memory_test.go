package savedmodel_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/internal/rss"
	"github.com/gokeras/fashion/savedmodel"
)

// TestLoadPredictCloseDoesNotLeak loads, uses and closes a SavedModel 100
// times: a server reloading its model must not grow. Between cycle 20
// (allocators warm) and cycle 100, the bytes malloc has handed out and not
// had back (where TensorFlow's allocations live) must stay put, and the
// resident set, which also keeps freed pages the allocator holds for reuse,
// must stay within a bound that a leak of the model (400 KB of weights and
// its graph per cycle) would break.
func TestLoadPredictCloseDoesNotLeak(t *testing.T) {
	ts := loadTestSet(t, 100)
	dir := filepath.Join(t.TempDir(), "model")
	writeModel(t, newTrained(t, fashion, 3), dir, false)
	type sample struct{ rss, malloc int64 }
	measure := func() sample {
		rss.Settle()
		r, err := rss.Current()
		require.NoError(t, err)
		return sample{r, rss.MallocInUse()}
	}
	var at20 sample
	for i := 1; i <= 100; i++ {
		m, err := savedmodel.Load(dir)
		require.NoError(t, err)
		probs, err := m.Predict(ts.images, ts.n)
		require.NoError(t, err)
		require.Len(t, probs, ts.n*classes)
		require.NoError(t, m.Close())
		if i == 20 {
			at20 = measure()
		}
	}
	at100 := measure()
	mb := func(b int64) float64 { return float64(b) / (1 << 20) }
	t.Logf("after 20 and 100 load-predict-close cycles: RSS %.1f -> %.1f MiB, malloc in use %.2f -> %.2f MiB",
		mb(at20.rss), mb(at100.rss), mb(at20.malloc), mb(at100.malloc))
	assert.Less(t, at100.malloc-at20.malloc, int64(1<<20), "malloc'd bytes grew over 80 cycles")
	// glibc keeps the freed pages of each session's threads in its arenas: the
	// resident set creeps up by ~25 MiB and levels off after ~200 cycles, while
	// the bytes in use stay flat. A leaked model per cycle would pass 48 MiB.
	assert.Less(t, at100.rss-at20.rss, int64(48<<20), "RSS grew over 80 cycles")
}
