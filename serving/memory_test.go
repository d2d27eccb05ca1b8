package serving

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/internal/onednn"
	"github.com/gokeras/fashion/internal/rss"
)

// memSample is the process's memory at one point of a load.
type memSample struct {
	requests          int
	rss, malloc, heap int64 // resident set, C malloc in use, Go heap in use
}

func sampleMemory(requests int) memSample {
	rss.Settle()
	debug.FreeOSMemory() // Go's freed pages back to the system: RSS without them
	r, _ := rss.Current()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memSample{requests, r, rss.MallocInUse(), int64(ms.HeapInuse)}
}

func (m memSample) String() string {
	mb := func(b int64) float64 { return float64(b) / (1 << 20) }
	return fmt.Sprintf("after %5d requests: RSS %6.1f MiB, malloc in use %6.2f MiB, Go heap in use %6.2f MiB", m.requests, mb(m.rss), mb(m.malloc), mb(m.heap))
}

// restLoad sends total predict requests from clients concurrent clients and
// calls at(done) after each multiple of every requests, with no request in
// flight. It fails t on any request that does not answer 200.
func restLoad(t testing.TB, url, body string, clients, total, every int, at func(done int)) {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	defer client.CloseIdleConnections()
	post := func() error {
		resp, err := client.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(out), "{\n    \"predictions\": [") {
			return fmt.Errorf("status %d: %.200s", resp.StatusCode, out)
		}
		return nil
	}
	for done := 0; done < total; done += every {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var first error
		next := make(chan struct{})
		go func() {
			defer close(next)
			for i := 0; i < every; i++ {
				select {
				case next <- struct{}{}:
				case <-ctx.Done():
					return
				}
			}
		}()
		for c := 0; c < clients; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range next {
					if err := post(); err != nil {
						mu.Lock()
						if first == nil {
							first = err
						}
						mu.Unlock()
						cancel()
					}
				}
			}()
		}
		wg.Wait()
		cancel()
		require.NoError(t, first)
		at(done + every)
	}
}

// TestRESTPredictMemoryIsFlat sends REST predict requests of 32 images from
// 8 concurrent clients, with and without batching, and compares the memory
// in use at two late points, as savedmodel's TestLoadPredictCloseDoesNotLeak
// does for loads.
//
// What grows at first, and why it is no leak (measured over 20,000 requests
// per mode, oneDNN on and off, see BENCHMARKS.md's serving notes):
//   - Go's heap: each request's body, decoded tensor and answer are garbage
//     once answered; the collector lets the heap grow to about twice what
//     is live at peak (8 requests in flight) before collecting.
//   - glibc's arenas: TensorFlow's threads allocate and free the run's
//     tensors in per-thread arenas, which keep freed pages for reuse.
//   - under oneDNN, the per-thread primitive cache of TensorFlow's oneDNN
//     kernels (1,024 entries, an entry per new input address holding memory
//     the size of that input): it fills with the few addresses malloc hands
//     the requests' input tensors and then stops growing.
//
// All three level off within the warm-up; a leaked input tensor (100 KiB)
// or answer per request would add over 150 MiB between the two points.
func TestRESTPredictMemoryIsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("a load of thousands of requests")
	}
	warm, late := 2000, 4000
	if v := os.Getenv("SERVING_MEMORY_REQUESTS"); v != "" { // a longer look: see BENCHMARKS.md
		n, err := strconv.Atoi(v)
		require.NoError(t, err)
		warm, late = n/2, n
	}
	const clients, n = 8, 32
	dir := fashionModel(t, 1)
	body := `{"instances": ` + imagesJSON(testImages(t, n), n) + `}`
	for _, batching := range []bool{false, true} {
		t.Run(fmt.Sprint("batching=", batching), func(t *testing.T) {
			_, hs := startServer(t, baseWith(t, map[int64]string{1: dir}), func(o *Options) {
				o.Logf = nil
				if batching {
					o.Batching = &BatchingParameters{MaxBatchSize: 64, BatchTimeout: time.Millisecond, NumBatchThreads: 2, MaxEnqueuedBatches: 100}
				}
			})
			every := late / 8
			var atWarm, atLate memSample
			start := sampleMemory(0)
			t.Logf("oneDNN %s, batching %v: %v", onednn.Setting(), batching, start)
			restLoad(t, hs.URL+"/v1/models/fashion:predict", body, clients, late, every, func(done int) {
				s := sampleMemory(done)
				t.Logf("oneDNN %s, batching %v: %v", onednn.Setting(), batching, s)
				switch done {
				case warm:
					atWarm = s
				case late:
					atLate = s
				}
			})
			assert.Less(t, atLate.malloc-atWarm.malloc, int64(8<<20), "malloc'd bytes grew from request %d to %d", warm, late)
			assert.Less(t, atLate.heap-atWarm.heap, int64(8<<20), "Go's heap grew from request %d to %d", warm, late)
			assert.Less(t, atLate.rss-atWarm.rss, int64(32<<20), "RSS grew from request %d to %d", warm, late)
		})
	}
}
