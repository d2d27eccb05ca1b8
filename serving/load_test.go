package serving

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	tensorpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/tensor_go_proto"
	typespb "github.com/galeone/tensorflow/tensorflow/go/core/framework/types_go_proto"

	"github.com/gokeras/fashion/serving/apis"
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
// reports requests and images per second, p50 and p99 latency, errors
// (there must be none) and the process's RSS before and after the run.
//
//	go test -run '^$' -bench 'BenchmarkREST|BenchmarkGRPC' -benchtime 2000x ./serving
func BenchmarkREST(b *testing.B) {
	dir := fashionModel(b, 1)
	images := testImages(b, 32)
	for _, batching := range []bool{false, true} {
		for _, n := range []int{1, 32} {
			b.Run(fmt.Sprintf("batching=%v/images=%d", batching, n), func(b *testing.B) {
				_, hs := startServer(b, baseWith(b, map[int64]string{1: dir}), benchOptions(batching))
				body := `{"instances": ` + imagesJSON(images, n) + `}`
				client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
				defer client.CloseIdleConnections()
				url := hs.URL + "/v1/models/fashion:predict"
				loadBench(b, n, func() error {
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
				})
			})
		}
	}
}

// BenchmarkGRPC is BenchmarkREST over gRPC: PredictRequests carrying the
// images as tensor_content, one client connection shared by the clients.
func BenchmarkGRPC(b *testing.B) {
	dir := fashionModel(b, 1)
	images := testImages(b, 32)
	for _, batching := range []bool{false, true} {
		for _, n := range []int{1, 32} {
			b.Run(fmt.Sprintf("batching=%v/images=%d", batching, n), func(b *testing.B) {
				s, _ := startServer(b, baseWith(b, map[int64]string{1: dir}), benchOptions(batching))
				lis, err := netListen()
				require.NoError(b, err)
				g := grpc.NewServer()
				s.RegisterGRPC(g)
				go g.Serve(lis)
				defer g.Stop()
				conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
				require.NoError(b, err)
				defer conn.Close()
				pc := apis.NewPredictionServiceClient(conn)
				var content []byte
				for _, f := range images[:n*784] {
					content = put32(content, math.Float32bits(f))
				}
				req := &apis.PredictRequest{
					ModelSpec: &apis.ModelSpec{Name: "fashion"},
					Inputs: map[string]*tensorpb.TensorProto{"images": {
						Dtype: typespb.DataType_DT_FLOAT, TensorShape: shapeProto(int64(n), 28, 28), TensorContent: content,
					}},
				}
				loadBench(b, n, func() error {
					ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
					defer cancel()
					resp, err := pc.Predict(ctx, req)
					if err != nil {
						return err
					}
					if got := len(resp.GetOutputs()["probabilities"].GetFloatVal()); got != n*10 {
						return fmt.Errorf("%d probabilities", got)
					}
					return nil
				})
			})
		}
	}
}

func benchOptions(batching bool) func(*Options) {
	return func(o *Options) {
		o.Logf = nil
		if batching {
			o.Batching = &BatchingParameters{MaxBatchSize: 64, BatchTimeout: time.Millisecond, NumBatchThreads: 2, MaxEnqueuedBatches: 100}
		}
	}
}

// loadBench runs call from 16 concurrent clients b.N times in all, after a
// warm-up, and reports the load test's figures.
func loadBench(b *testing.B, n int, call func() error) {
	for i := 0; i < 20; i++ { // warm up connections and kernels
		require.NoError(b, call())
	}
	before := sampleMemory(0)
	var mu sync.Mutex
	var lat []time.Duration
	var errs int
	var firstErr error
	b.SetParallelism(8) // 16 clients on 2 CPUs
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		bad := 0
		var first error
		for pb.Next() {
			t0 := time.Now()
			if err := call(); err != nil {
				bad++
				first = err
			}
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		lat = append(lat, mine...)
		errs += bad
		if firstErr == nil {
			firstErr = first
		}
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	after := sampleMemory(len(lat))
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(len(lat)*n)/elapsed.Seconds(), "images/s")
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(errs), "errors")
	b.ReportMetric(float64(before.rss)/(1<<20), "rss-before-MiB")
	b.ReportMetric(float64(after.rss)/(1<<20), "rss-after-MiB")
	b.ReportMetric(float64(after.rss-before.rss)/(1<<20), "rss-growth-MiB")
	if errs > 0 {
		b.Errorf("%d requests failed; the first: %v", errs, firstErr)
	}
}
