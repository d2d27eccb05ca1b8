package serving

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Metrics records what TensorFlow Serving exports to Prometheus, under its
// metric names (TensorFlow's monitoring names with / turned into :):
// request counts by status, request and runtime latency histograms in
// microseconds, load attempts, load and warm-up latency. A nil *Metrics
// records nothing.
type Metrics struct {
	mu       sync.Mutex
	counters map[string]map[string]float64 // metric -> labels -> value
	hists    map[string]map[string]*histogram
	help     map[string]string
}

// NewMetrics returns an empty registry.
func NewMetrics() *Metrics {
	return &Metrics{
		counters: map[string]map[string]float64{},
		hists:    map[string]map[string]*histogram{},
		help:     map[string]string{},
	}
}

const (
	metricRequestCount   = ":tensorflow:serving:request_count"
	metricRequestLatency = ":tensorflow:serving:request_latency"
	metricRuntimeLatency = ":tensorflow:serving:runtime_latency"
	metricLoadAttempts   = ":tensorflow:cc:saved_model:load_attempt_count"
	metricLoadLatency    = ":tensorflow:cc:saved_model:load_latency"
	metricWarmupLatency  = ":tensorflow:serving:model_warmup_latency"
)

var metricHelp = map[string]string{
	metricRequestCount:   "The total number of requests.",
	metricRequestLatency: "Distribution of wall time (in microseconds) for Tensorflow Serving request.",
	metricRuntimeLatency: "Distribution of wall time (in microseconds) for Tensorflow runtime.",
	metricLoadAttempts:   "The number of times a SavedModel was successfully loaded.",
	metricLoadLatency:    "Latency in microseconds for SavedModels that were successfully loaded.",
	metricWarmupLatency:  "Distribution of wall time (in microseconds) for warming up the model.",
}

// buckets are TensorFlow Serving's latency buckets: 10 µs growing by 1.8×.
var buckets = func() []float64 {
	b := make([]float64, 33)
	v := 10.0
	for i := range b {
		b[i] = v
		v *= 1.8
	}
	return b
}()

type histogram struct {
	counts []uint64 // per bucket, plus +Inf
	sum    float64
	n      uint64
}

func labels(kv ...string) string {
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, kv[i]+"="+strconv.Quote(kv[i+1]))
	}
	return strings.Join(parts, ",")
}

func (m *Metrics) add(metric, lbl string, v float64) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.counters[metric] == nil {
		m.counters[metric] = map[string]float64{}
	}
	m.counters[metric][lbl] += v
}

func (m *Metrics) observe(metric, lbl string, micros float64) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.hists[metric] == nil {
		m.hists[metric] = map[string]*histogram{}
	}
	h := m.hists[metric][lbl]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(buckets)+1)}
		m.hists[metric][lbl] = h
	}
	i := sort.SearchFloat64s(buckets, micros)
	h.counts[i]++
	h.sum += micros
	h.n++
}

// Request records one request's outcome and, if it succeeded, its latency
// (api "predict", "GetModelMetadata"...; entrypoint "REST" or "GRPC").
func (m *Metrics) Request(model, api, entrypoint string, code Code, d time.Duration) {
	m.add(metricRequestCount, labels("model_name", model, "status", code.String()), 1)
	if code == OK {
		m.observe(metricRequestLatency, labels("model_name", model, "API", api, "entrypoint", entrypoint), float64(d.Microseconds()))
	}
}

func (m *Metrics) runtimeLatency(model string, d time.Duration) {
	m.observe(metricRuntimeLatency, labels("model_name", model, "API", "Predict", "runtime", "TF1"), float64(d.Microseconds()))
}

func (m *Metrics) loadAttempt(model string, ok bool) {
	status := "success"
	if !ok {
		status = "fail"
	}
	m.add(metricLoadAttempts, labels("model_path", model, "status", status), 1)
}

func (m *Metrics) loadLatency(model string, version int64, d time.Duration) {
	m.add(metricLoadLatency, labels("model_path", model+"/"+strconv.FormatInt(version, 10)), float64(d.Microseconds()))
}

func (m *Metrics) warmupLatency(model string, version int64, d time.Duration) {
	m.observe(metricWarmupLatency, labels("model_path", model+"/"+strconv.FormatInt(version, 10), "status", "OK"), float64(d.Microseconds()))
}

// WriteTo writes the metrics in Prometheus's text exposition format.
func (m *Metrics) WriteTo(w io.Writer) (int64, error) {
	var b strings.Builder
	m.mu.Lock()
	names := make([]string, 0, len(m.counters)+len(m.hists))
	for n := range m.counters {
		names = append(names, n)
	}
	for n := range m.hists {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(&b, "# HELP %s %s\n", name, metricHelp[name])
		if series, ok := m.counters[name]; ok {
			fmt.Fprintf(&b, "# TYPE %s counter\n", name)
			for _, l := range sortedLabelKeys(series) {
				fmt.Fprintf(&b, "%s{%s} %s\n", name, l, formatMetric(series[l]))
			}
			continue
		}
		fmt.Fprintf(&b, "# TYPE %s histogram\n", name)
		series := m.hists[name]
		for _, l := range sortedLabelKeys(series) {
			h := series[l]
			var cum uint64
			for i, ub := range buckets {
				cum += h.counts[i]
				fmt.Fprintf(&b, "%s_bucket{%s,le=\"%s\"} %d\n", name, l, formatMetric(ub), cum)
			}
			cum += h.counts[len(buckets)]
			fmt.Fprintf(&b, "%s_bucket{%s,le=\"+Inf\"} %d\n", name, l, cum)
			fmt.Fprintf(&b, "%s_sum{%s} %s\n", name, l, formatMetric(h.sum))
			fmt.Fprintf(&b, "%s_count{%s} %d\n", name, l, h.n)
		}
	}
	m.mu.Unlock()
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

func sortedLabelKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func formatMetric(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// Handler serves the metrics at path; other paths get TensorFlow Serving's
// answer, 400 "Unexpected path".
func (m *Metrics) Handler(path string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		if r.URL.Path != path {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, "Unexpected path: %s. Should be %s", r.URL.Path, path)
			return
		}
		m.WriteTo(w)
	})
}
