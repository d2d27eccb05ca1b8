package serving

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/internal/rss"
)

// TestTimeoutsAndCancellation: a request past its deadline gets
// DEADLINE_EXCEEDED (504), one whose client went away CANCELLED, and the
// server keeps serving.
func TestTimeoutsAndCancellation(t *testing.T) {
	dir := fashionModel(t, 1)
	for _, batching := range []bool{false, true} {
		t.Run(fmt.Sprint("batching=", batching), func(t *testing.T) {
			s, _ := startServer(t, baseWith(t, map[int64]string{1: dir}), func(o *Options) {
				if batching {
					p := DefaultBatchingParameters()
					o.Batching = &p
				}
			})
			hs := httptestServer(t, s.RESTHandler(RESTOptions{Timeout: time.Nanosecond}))
			body := `{"instances": ` + imagesJSON(testImages(t, 1), 1) + `}`
			code, resp := doJSON(t, "POST", hs+"/v1/models/fashion:predict", body)
			assert.Equal(t, http.StatusGatewayTimeout, code)
			assert.Equal(t, "Deadline Exceeded", resp["error"])

			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			req := &PredictRequest{Spec: ModelSpec{Name: "fashion"}, Inputs: map[string]*Tensor{"images": imageTensor(testImages(t, 1), 1)}}
			_, err := s.Predict(ctx, req)
			assert.Equal(t, Canceled, CodeOf(err))
			assert.Equal(t, 499, CodeOf(err).HTTPStatus())

			_, err = s.Predict(context.Background(), req)
			assert.NoError(t, err)
		})
	}
}

func httptestServer(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := &http.Server{Handler: h}
	lis, err := netListen()
	require.NoError(t, err)
	go srv.Serve(lis)
	t.Cleanup(func() { srv.Close() })
	return "http://" + lis.Addr().String()
}

// BenchmarkREST is the load test: concurrent clients on loopback sending
// 1-image and 32-image predict requests, with and without batching. It
// reports requests per second, p50 and p99 latency, errors (there must be
// none) and the growth of the process's RSS over the run.
//
//	go test -run '^$' -bench BenchmarkREST -benchtime 2000x ./serving
func BenchmarkREST(b *testing.B) {
	dir := fashionModel(b, 1)
	images := testImages(b, 32)
	for _, batching := range []bool{false, true} {
		for _, n := range []int{1, 32} {
			b.Run(fmt.Sprintf("batching=%v/images=%d", batching, n), func(b *testing.B) {
				_, hs := startServer(b, baseWith(b, map[int64]string{1: dir}), func(o *Options) {
					o.Logf = nil
					if batching {
						o.Batching = &BatchingParameters{MaxBatchSize: 64, BatchTimeout: time.Millisecond, NumBatchThreads: 2, MaxEnqueuedBatches: 100}
					}
				})
				body := `{"instances": ` + imagesJSON(images, n) + `}`
				client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
				url := hs.URL + "/v1/models/fashion:predict"
				post := func() error {
					resp, err := client.Post(url, "application/json", strings.NewReader(body))
					if err != nil {
						return err
					}
					defer resp.Body.Close()
					if _, err := io.Copy(io.Discard, resp.Body); err != nil {
						return err
					}
					if resp.StatusCode != 200 {
						return fmt.Errorf("status %d", resp.StatusCode)
					}
					return nil
				}
				for i := 0; i < 20; i++ { // warm up connections and kernels
					require.NoError(b, post())
				}
				rss.Settle()
				before, _ := rss.Current()
				var mu sync.Mutex
				var lat []time.Duration
				var errs int
				b.SetParallelism(8) // 16 clients on 2 CPUs
				b.ResetTimer()
				start := time.Now()
				b.RunParallel(func(pb *testing.PB) {
					var mine []time.Duration
					bad := 0
					for pb.Next() {
						t0 := time.Now()
						if err := post(); err != nil {
							bad++
						}
						mine = append(mine, time.Since(t0))
					}
					mu.Lock()
					lat = append(lat, mine...)
					errs += bad
					mu.Unlock()
				})
				elapsed := time.Since(start)
				b.StopTimer()
				rss.Settle()
				after, _ := rss.Current()
				sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
				q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
				b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
				b.ReportMetric(float64(len(lat)*n)/elapsed.Seconds(), "images/s")
				b.ReportMetric(q(0.5), "p50-ms")
				b.ReportMetric(q(0.99), "p99-ms")
				b.ReportMetric(float64(errs), "errors")
				b.ReportMetric(float64(after-before)/(1<<20), "rss-growth-MiB")
				if errs > 0 {
					b.Errorf("%d requests failed", errs)
				}
			})
		}
	}
}
