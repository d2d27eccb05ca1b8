package tfmodel

import (
	"context"
	"math"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/loader"
	"github.com/gokeras/fashion/tensor"
)

func TestScaledBytes(t *testing.T) {
	// Every byte as the tutorial scales it (NumPy's float64 division, then
	// float32), which is what Fit is given.
	every := make([]uint8, 256)
	for b := range every {
		every[b] = uint8(b)
	}
	tutorial := loader.Split{Images: every, Labels: make([]uint8, 256)}.Scaled()

	for _, c := range []struct {
		name string
		x    []float32
		want []uint8 // nil: not bytes over 255
	}{
		{"every byte over 255", tutorial, every},
		{"ends", []float32{1, 0, 1}, []uint8{255, 0, 255}},
		{"a value between two quotients", []float32{0, 0.5}, nil},
		{"negative zero, which must come back as such", []float32{0, float32(math.Copysign(0, -1))}, nil},
		{"raw pixels", []float32{0, 17, 255}, nil},
		{"NaN", []float32{float32(math.NaN())}, nil},
		{"infinity", []float32{float32(math.Inf(1))}, nil},
		{"negative", []float32{-1.0 / 255}, nil},
		{"one above a quotient", []float32{math.Nextafter32(float32(3)/255, 1)}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := scaledBytes(c.x)
			assert.Equal(t, c.want != nil, ok)
			assert.Equal(t, c.want, got)
		})
	}
}

// TestBytesResidentTrainsAsFloats trains the tutorial's model on real
// images from the same start twice, once with the examples resident as
// floats and once as bytes, per step, through the graph loop and through
// XLA's, and requires the same bits in every variable and log: the
// decoding in the step (a Cast and a division, compiled by XLA in the
// loop) must give back the very floats.
func TestBytesResidentTrainsAsFloats(t *testing.T) {
	d, err := loader.Load("")
	require.NoError(t, err, "the real Fashion-MNIST is needed: run scripts/libtensorflow-install.sh")
	const n, batch = 32 * 20, 32
	x := d.Train.ScaledTensor().Slice(0, n)
	x = tensor.Float32{Shape: x.Shape, Data: append([]float32(nil), x.Data...)}
	y := tensor.Labels(d.Train.Labels[:n])
	codes, ok := scaledBytes(x.Data)
	require.True(t, ok, "the tutorial's images are bytes over 255")

	train := func(run loopRun, asBytes bool) (map[string][]float64, Logs) {
		m, err := NewSequential(Flatten(28, 28), Dense(128, "relu"), Dense(10, "softmax"))
		require.NoError(t, err)
		opts := DefaultCompileOptions()
		opts.Seed = 5
		require.NoError(t, m.Compile(opts))
		defer m.Close()
		loop := addLoop(t, m, opts, run)
		resident := codes
		if !asBytes {
			resident = nil
		}
		require.NoError(t, m.uploadAs(x, resident, y))
		defer m.session.Run(nil, nil, []*tf.Operation{m.net.unload})
		require.Equal(t, asBytes, m.bytesResident)
		var logs Logs
		for epoch := range 2 {
			order := Order(9, epoch, n, true)
			bar := newProgbar(nil, n/batch)
			if loop == nil {
				logs, err = m.trainEpoch(context.Background(), epoch, order, batch, 0, bar, nil)
			} else {
				logs, err = m.trainEpochLoop(context.Background(), loop, epoch, order, batch, 0, bar, nil)
			}
			require.NoError(t, err)
		}
		return stateByName(t, m), logs
	}
	for _, run := range []loopRun{{k: 0}, {k: 7}, {k: 7, jit: true}} {
		t.Run(run.String(), func(t *testing.T) {
			floats, floatLogs := train(run, false)
			bytes, byteLogs := train(run, true)
			require.Equal(t, floatLogs, byteLogs)
			require.Equal(t, keysOf(floats), keysOf(bytes))
			for name, want := range floats {
				require.Equal(t, want, bytes[name], name)
			}
			assert.Less(t, floatLogs["loss"], 2.0, "the model trained")
		})
	}
}

// TestFitKeepsOtherExamplesAsFloats: examples that are not bytes over 255
// stay floats (the parts' tests train on such data throughout).
func TestFitKeepsOtherExamplesAsFloats(t *testing.T) {
	m, err := NewSequential(Input(3), Dense(2, "softmax"))
	require.NoError(t, err)
	require.NoError(t, m.Compile(DefaultCompileOptions()))
	defer m.Close()
	x := tensor.Float32{Shape: []int{4, 3}, Data: []float32{0, 1, 0.5, 1, 0, 0, 0, 0, 1, 1, 1, 1}}
	y := tensor.Int32{Shape: []int{4}, Data: []int32{0, 1, 0, 1}}
	require.NoError(t, m.upload(x, y))
	defer m.session.Run(nil, nil, []*tf.Operation{m.net.unload})
	assert.False(t, m.bytesResident)
	x.Data[2] = float32(128) / 255
	require.NoError(t, m.upload(x, y))
	assert.True(t, m.bytesResident)
}
