package serving

import (
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseBatchingParameters(t *testing.T) {
	def := DefaultBatchingParameters()
	for _, tc := range []struct {
		name, text string
		want       func(p *BatchingParameters)
		err        string
	}{
		{"TensorFlow Serving's example", `
max_batch_size { value: 32 }
batch_timeout_micros { value: 5000 }
num_batch_threads { value: 2 }
max_enqueued_batches { value: 100 }
`, func(p *BatchingParameters) {
			p.MaxBatchSize, p.BatchTimeout, p.NumBatchThreads, p.MaxEnqueuedBatches = 32, 5*time.Millisecond, 2, 100
		}, ""},
		{"comments, separators, allowed sizes", "# tuned\nmax_batch_size: { value: 8 }, allowed_batch_sizes: 4; allowed_batch_sizes: 8\nthread_pool_name { value: \"pool\" }", func(p *BatchingParameters) {
			p.MaxBatchSize, p.AllowedBatchSizes, p.ThreadPoolName = 8, []int64{4, 8}, "pool"
		}, ""},
		{"empty", "", func(*BatchingParameters) {}, ""},
		{"unknown field", "max_batch { value: 3 }", nil, `unknown field "max_batch"`},
		{"not a wrapper", "max_batch_size: 3", nil, "max_batch_size: want { value: N }"},
		{"not a number", "max_batch_size { value: lots }", nil, `"lots" is not an integer`},
		{"unclosed", "max_batch_size { value: 3", nil, "missing '}'"},
		{"zero threads", "num_batch_threads { value: 0 }", nil, "num_batch_threads must be positive"},
		{"allowed sizes end below max", "max_batch_size { value: 8 } allowed_batch_sizes: 4", nil, "must equal max_batch_size"},
		{"padding", "pad_variable_length_inputs: true", nil, "pad_variable_length_inputs is not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseBatchingParameters([]byte(tc.text))
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			want := def
			tc.want(&want)
			assert.Equal(t, want, p)
		})
	}
}

func TestParseMonitoringConfig(t *testing.T) {
	c, err := ParseMonitoringConfig([]byte("prometheus_config {\n  enable: true,\n  path: \"/metrics\"\n}\n"))
	require.NoError(t, err)
	assert.Equal(t, MonitoringConfig{PrometheusEnable: true, PrometheusPath: "/metrics"}, c)
	c, err = ParseMonitoringConfig([]byte("prometheus_config { enable: true }"))
	require.NoError(t, err)
	assert.Equal(t, DefaultPrometheusPath, c.PrometheusPath)
	_, err = ParseMonitoringConfig([]byte("prometheus { enable: true }"))
	assert.Error(t, err)
}

// TestBatching sends concurrent requests of different sizes and checks
// they ran as one merged batch and each got its own rows.
func TestBatching(t *testing.T) {
	dir := fashionModel(t, 1)
	// A long timeout: the batch runs when full, so exactly once.
	p := BatchingParameters{MaxBatchSize: 16, BatchTimeout: time.Minute, NumBatchThreads: 1, MaxEnqueuedBatches: 4}
	s, hs := startServer(t, baseWith(t, map[int64]string{1: dir}), func(o *Options) { o.Batching = &p })
	images := testImages(t, 16)
	want := directPredict(t, dir, images, 16)
	before := s.BatchStats()

	sizes := []int{1, 2, 3, 4, 5, 1} // 16 rows
	var wg sync.WaitGroup
	got := make([][][]float32, len(sizes))
	errs := make([]error, len(sizes))
	at := 0
	for i, n := range sizes {
		from := at
		at += n
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := `{"instances": ` + imagesJSON(images[from*784:], n) + `}`
			resp, err := http.Post(hs.URL+"/v1/models/fashion:predict", "application/json", strings.NewReader(body))
			if err != nil {
				errs[i] = err
				return
			}
			defer resp.Body.Close()
			var out struct{ Predictions [][]float32 }
			errs[i] = decodeJSON(resp, &out)
			got[i] = out.Predictions
		}()
	}
	wg.Wait()
	at = 0
	for i, n := range sizes {
		require.NoError(t, errs[i])
		require.Len(t, got[i], n)
		for r := 0; r < n; r++ {
			for c := range want[at+r] {
				// One batch of 16 against one of 16: the same rows, the same bits.
				assert.Equal(t, math.Float32bits(want[at+r][c]), math.Float32bits(got[i][r][c]), "request %d row %d", i, r)
			}
		}
		at += n
	}
	after := s.BatchStats()
	assert.Equal(t, BatchStats{Batches: 1, Requests: int64(len(sizes))}, BatchStats{after.Batches - before.Batches, after.Requests - before.Requests})

	// Too big for a batch.
	code, body := doJSON(t, "POST", hs.URL+"/v1/models/fashion:predict", `{"inputs": `+imagesJSON(testImages(t, 17), 17)+`}`)
	assert.Equal(t, 400, code)
	assert.Equal(t, "Task size 17 is larger than maximum input batch size 16", body["error"])
}

// TestBatchingPadding pads a batch up to an allowed size and still hands
// back only the caller's rows.
func TestBatchingPadding(t *testing.T) {
	dir := fashionModel(t, 1)
	p := BatchingParameters{MaxBatchSize: 8, AllowedBatchSizes: []int64{4, 8}, NumBatchThreads: 1, MaxEnqueuedBatches: 4}
	_, hs := startServer(t, baseWith(t, map[int64]string{1: dir}), func(o *Options) { o.Batching = &p })
	images := testImages(t, 3)
	code, body := doJSON(t, "POST", hs.URL+"/v1/models/fashion:predict", `{"instances": `+imagesJSON(images, 3)+`}`)
	require.Equal(t, 200, code, "%v", body)
	got := floatRows(t, body["predictions"])
	want := directPredict(t, dir, images, 3)
	require.Len(t, got, 3)
	for i := range want {
		for j := range want[i] {
			assert.InDelta(t, want[i][j], got[i][j], 1e-6)
		}
	}
}
