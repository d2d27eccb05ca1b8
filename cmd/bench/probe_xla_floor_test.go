package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDenseKernels(t *testing.T) {
	for _, c := range []struct {
		model   string
		want    [][2]int
		wantErr string
	}{
		{model: "mlp", want: [][2]int{{784, 128}, {128, 10}}},
		{model: "cnn", wantErr: "has weights and is not Dense"},
		{model: "convnet", wantErr: "has weights and is not Dense"},
	} {
		m, err := newModel(c.model)
		require.NoError(t, err)
		got, err := denseKernels(m.InputShape(), m.Layers())
		if c.wantErr != "" {
			assert.ErrorContains(t, err, c.wantErr, c.model)
			continue
		}
		require.NoError(t, err, c.model)
		assert.Equal(t, c.want, got, c.model)
	}
}

// The probe compiles and runs both loops through XLA and times them.
func TestXLAFloorProbe(t *testing.T) {
	f, err := probeXLAFloor(nil, [][2]int{{784, 128}, {128, 10}}, 32, 20)
	require.NoError(t, err)
	assert.Equal(t, 20, f.Steps)
	assert.GreaterOrEqual(t, len(f.MatMulSeconds), 5)
	assert.Len(t, f.WithAdamSeconds, len(f.MatMulSeconds), "timed in the same rounds")
	products, withAdam := f.stepSeconds()
	assert.Positive(t, products)
	assert.Positive(t, withAdam)
}

// The floor's line sets the XLA epochs' steps against it: the report's
// figures worked out by hand.
func TestXLAFloorText(t *testing.T) {
	r := new(report)
	require.NoError(t, readJSON(peerReportFixture, r))
	require.NotNil(t, r.Probe.XLAFloor, "the fixture's run measured the floor")
	// 0.1 ms a step for the products, 0.15 ms with Adam's update.
	r.Probe.XLAFloor = &xlaFloor{Steps: 1875, Batch: 32, MatMulSeconds: []float64{0.1875, 0.3, 0.18}, WithAdamSeconds: []float64{0.28125, 0.5, 0.2}}
	got := xlaFloorText(r)
	for _, want := range []string{
		"(a loop of 1875 steps: the step's matrix products at their shapes on a batch of 32, then Adam's update; `probe_xla_floor.go`): 0.100 ms for the products",
		// 409,088 FLOPs an image × 32 / 0.1 ms, against the fixture's 494.1 GFLOP/s peak.
		"(130.9 GFLOP/s, 26% of the 2048² MatMul's 494.1; at that peak they would take 0.026 ms)",
		", 0.150 ms with Adam's update",
		// The fixture's Go XLA step, 0.166 ms (0.310 s / 1,875): 0.100 + 0.050 + 0.016.
		"; Go XLA's step 0.166 ms, 1.10× the floor (products 60%, Adam's update 30%, the rest 9%",
		"; JAX lax.scan's step 0.169 ms, 1.12× the floor",
	} {
		assert.Contains(t, got, want)
	}
	assert.Contains(t, renderReport(r, buildRows(r)), got+".\n")
	assert.Contains(t, renderText(r, buildRows(r)), strings.ReplaceAll(got, "`", "")+".\n", "no Markdown on the terminal")

	r.Probe.XLAFloor = nil
	assert.Empty(t, xlaFloorText(r), "a report without the floor")
}

// The single image's breakdown: the fixture's latencies, and a trivial
// run in the caller's thread of 5 µs.
func TestLatencyFloorText(t *testing.T) {
	r := new(report)
	require.NoError(t, readJSON(peerReportFixture, r))
	r.Probe.TrivialCallerRunSeconds = []float64{4e-6, 5e-6, 6e-6}
	got := latencyFloorText(r)
	assert.Contains(t, got, fmt.Sprintf("`savedmodel.Predict` %s µs; a bare `Session.Run` of the same signature %s µs",
		fmtF(µs(r.GoLatency.SavedModelPredict, 50), 1), fmtF(µs(r.GoLatency.SessionRun, 50), 1)))
	assert.Contains(t, got, "(feed 32 ints, fetch 2 scalars) 5.0 µs in the caller's thread")
	assert.Contains(t, got, fmt.Sprintf("(%s µs through TensorFlow's inter-op thread pool", fmtF(µs(r.Probe.TrivialRunSeconds, 50), 1)))
	assert.Contains(t, renderReport(r, buildRows(r)), got+".\n")

	r.Probe.TrivialCallerRunSeconds = nil
	assert.Empty(t, latencyFloorText(r), "a report from before the caller's-thread probe")
}

func TestRoundedPercent(t *testing.T) {
	for _, c := range []struct{ in, want float64 }{{-0.3, 0}, {0.4, 0}, {-0.6, -0.6}, {37.2, 37.2}} {
		assert.Equal(t, c.want, roundedPercent(c.in), "%v", c.in)
		assert.NotEqual(t, "-0", fmt.Sprintf("%.0f", roundedPercent(c.in)))
	}
}
