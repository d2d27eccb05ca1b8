package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/graph"
)

// cnnGraphLayers are internal/tutorial's CNN in graph's layers, so that its
// count is checked whatever the tutorial package holds.
func cnnGraphLayers() []graph.Layer {
	layers := []graph.Layer{
		graph.NewReshape(28, 28, 1),
		graph.NewConv2D(32, [2]int{3, 3}, graph.ReLU),
		graph.NewMaxPooling2D([2]int{2, 2}),
		graph.NewConv2D(64, [2]int{3, 3}, graph.ReLU),
		graph.NewMaxPooling2D([2]int{2, 2}),
		graph.NewFlatten(),
		graph.NewDropout(0.5),
		graph.NewDense(10, graph.Softmax),
	}
	if err := graph.NameLayers(layers); err != nil {
		panic(err)
	}
	return layers
}

func TestFLOPsMLP(t *testing.T) {
	// Forward 2·(784·128 + 128·10) = 2·101,632 = 203,264; backward the two
	// weight gradients (the same 203,264) and the second layer's input
	// gradient 2·128·10 = 2,560: 205,824; 409,088 in all.
	f, err := modelFLOPs("mlp")
	require.NoError(t, err)
	assert.Equal(t, int64(203_264), f.Forward)
	assert.Equal(t, int64(205_824), f.Backward())
	assert.Equal(t, int64(409_088), f.Total())
	assert.False(t, f.Conv)
	assert.Equal(t, "forward 2·(784·128 + 128·10) = 203,264, backward (weight gradients, then input gradients) 2·(784·128 + 128·10) + 2·128·10 = 205,824", f.formula())
}

// The CNN by hand. Shapes: 28×28×1 → conv 3×3, valid → 26×26×32 → pool →
// 13×13×32 → conv → 11×11×64 → pool → 5×5×64 = 1,600 → Dense 10.
// Multiply-adds: conv1 3·3·1·32·26·26 = 288·676 = 194,688; conv2
// 3·3·32·64·11·11 = 18,432·121 = 2,230,272; dense 1,600·10 = 16,000; sum
// 2,440,960. Forward 2·2,440,960 = 4,881,920; weight gradients the same;
// input gradients of conv2 and dense only 2·(2,230,272 + 16,000) =
// 4,492,544; backward 9,374,464; 14,256,384 per image (35× the MLP's),
// 855.38 GFLOP per epoch of 60,000 images.
func TestFLOPsCNN(t *testing.T) {
	f, err := countFLOPs([]int{28, 28}, cnnGraphLayers())
	require.NoError(t, err)
	assert.Equal(t, int64(4_881_920), f.Forward)
	assert.Equal(t, int64(4_881_920), f.WeightGrads)
	assert.Equal(t, int64(4_492_544), f.InputGrads)
	assert.Equal(t, int64(14_256_384), f.Total())
	assert.True(t, f.Conv)
	assert.Equal(t, "forward 2·(3·3·1·32·26·26 + 3·3·32·64·11·11 + 1600·10) = 4,881,920, backward (weight gradients, then input gradients) 2·(3·3·1·32·26·26 + 3·3·32·64·11·11 + 1600·10) + 2·(3·3·32·64·11·11 + 1600·10) = 9,374,464", f.formula())

	// The tutorial's simple convnet is these layers.
	tut, err := modelFLOPs("convnet")
	require.NoError(t, err)
	assert.Equal(t, f, tut)
}

func TestFLOPsRefusesLayersItCannotCount(t *testing.T) {
	_, err := countFLOPs([]int{4}, []graph.Layer{graph.NewFlatten()})
	assert.ErrorContains(t, err, "no layer with weights")

	_, err = countFLOPs([]int{28, 28, 1}, []graph.Layer{graph.NewDense(10, graph.Softmax)})
	assert.ErrorContains(t, err, "layer 1", "Dense refuses an image: the error names the layer")
}

// cnnReport is sampleReport for the CNN: Go 10 ms a step, Keras 13.3 ms
// (0.75×: not 2× faster), the kernel floor floorMS a step.
func cnnReport(floorMS float64) *report {
	r := sampleReport(true)
	r.Config.Model = "convnet"
	for i := range r.Go {
		r.Go[i].EpochSeconds = []float64{30, 18.75, 18.75}
		r.Python[i].EpochSeconds = []float64{40, 25, 25}
	}
	r.Probe.FloorRunSeconds = []float64{floorMS * 1e-3 * float64(r.Probe.FloorSteps)}
	r.Probe.OneStepRunSeconds = []float64{(floorMS + 0.2) * 1e-3} // above the floor, even less a call
	return r
}

func TestCNNTrainingTargetAdmitsTheKernelFloor(t *testing.T) {
	tests := []struct {
		floorMS float64
		met     string
	}{
		{9.5, "yes (Go's step 1.05× the floor)"},
		{7, "NO (Go's step 1.43× the floor)"},
	}
	for _, tc := range tests {
		x := findRow(t, buildRows(cnnReport(tc.floorMS)), "seconds per epoch")
		assert.Equal(t, []string{"18.75", "25.00", "0.75×"}, []string{x.Go, x.Python, x.Ratio})
		assert.Equal(t, "≤ 0.50 (2× faster), or Go's step ≤ 1.10× the kernel floor", x.Target)
		assert.Equal(t, tc.met, x.Met, "floor %v ms", tc.floorMS)
	}
	assert.Equal(t, "Targets: 5 of 5 met.", verdict(buildRows(cnnReport(9.5))))
	assert.Contains(t, verdict(buildRows(cnnReport(7))), "missed: seconds per epoch")

	r := cnnReport(9.5)
	gf := findRow(t, buildRows(r), "training GFLOP/s")
	assert.Equal(t, "training GFLOP/s achieved (MatMul and convolution FLOPs, see notes)", gf.Metric)
	// 14,256,384 FLOPs × 60,000 images / 18.75 s = 45.62 GFLOP/s.
	assert.Equal(t, "45.62 (91.2% of peak)", gf.Go)

	bd := breakdown(r)
	assert.Contains(t, bd, "Keras's step in its training runs, 13,333 µs, is the same floor plus 3,833 µs (29% of its step outside the kernels; Go's training runs: 500 µs, 5%).")
	assert.Contains(t, bd, "**Against the target.** Go trains 1.33× as fast as Keras")
	assert.Contains(t, bd, "Go's step graph alone takes 9,500 µs a step: so even a step of nothing but kernels would be at most 1.40× as fast as Keras's. Go's step is 1.05× that floor.")

	// With Fit timed alongside the floor, the floor is set against that
	// step, not the training runs' (timed at other moments), and the
	// breakdown adds up to it.
	r = cnnReport(9.5)
	r.Probe.FitEpochSeconds = []float64{0.53, 0.49, 0.5} // 10 ms a step
	r.Probe.OneStepRunSeconds = []float64{0.0097}        // 9.68 ms less a call: the unrolled 9.5 ms is the floor
	r.Probe.ConvRunSeconds = []float64{0.3}              // 6 ms a step
	for i := range r.Go {
		r.Go[i].EpochSeconds = []float64{30, 22.5, 22.5} // 12 ms a step: 1.26× the floor
	}
	x := findRow(t, buildRows(r), "seconds per epoch")
	assert.Equal(t, "yes (Go's step 1.05× the floor)", x.Met, "the step timed alongside the floor")
	assert.Equal(t, "10.000", findRow(t, buildRows(r), "training step, tfmodel Fit, timed alongside").Go)
	assert.Equal(t, "6.000", findRow(t, buildRows(r), "… of which the convolutions alone").Go)
	bd = breakdown(r)
	for _, want := range []string{
		"| kernels and the executor's per-op scheduling (kernel floor) | 9,500 | 95% |",
		"| … of which the convolutions alone (Conv2D, Conv2DBackpropFilter, Conv2DBackpropInput) | 6,000 | 60% |",
		"| one Session.Run around them (same graph, one step per run, minus the floor) | 200 | 2% |",
		"| tfmodel's Fit loop beyond a bare run (Fit step minus one-step run) | 300 | 3% |",
		"| **Go step in tfmodel's Fit**, timed alongside (median epoch of 50 steps) | **10,000** | 100% |",
		"3 rounds of one Fit epoch of 50 steps",
		"In the training runs of the Results, Go's step was 12,000 µs (median epoch / 1,875 steps), timed at other moments.",
		"Go trains 1.11× as fast as Keras",
		"Go's step is 1.05× that floor (timed alongside it).",
	} {
		assert.Contains(t, bd, want)
	}

	// The MLP's target stays 2×, with no floor alternative.
	mlp := sampleReport(true)
	mlp.Probe.FloorRunSeconds = []float64{0.0495} // 0.99 ms: at the floor, but that is not the MLP's target
	mlp.Python[0].EpochSeconds, mlp.Python[1].EpochSeconds = []float64{3, 2, 2}, []float64{3, 2, 2}
	x = findRow(t, buildRows(mlp), "seconds per epoch")
	assert.Equal(t, []string{"≤ 0.50 (2× faster)", "NO"}, []string{x.Target, x.Met})
	assert.NotContains(t, breakdown(mlp), "Against the target")
}
