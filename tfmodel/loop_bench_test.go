package tfmodel

import (
	"context"
	"fmt"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/loader"
	"github.com/gokeras/fashion/tensor"
)

// BenchmarkEpochLoop times an epoch of the tutorial's training (1,875
// steps of 32, shuffled) per step, through the graph loop in chunks of K
// steps, and through XLA's loop (JITCompile); it reports s/epoch. A first
// epoch, where XLA compiles, is not timed. The machine's other load moves
// these figures a lot (XLA's threads wait for each other at every
// operation): compare them alternately, several times.
//
//	go test ./tfmodel -run '^$' -bench EpochLoop -benchtime 3x
func BenchmarkEpochLoop(b *testing.B) {
	d, err := loader.Load("")
	require.NoError(b, err, "the real Fashion-MNIST is needed: run scripts/libtensorflow-install.sh")
	x := d.Train.ScaledTensor()
	y := tensor.Labels(d.Train.Labels)
	for _, c := range []struct {
		k       int // 0: per step
		jit     bool
		threads Threads
	}{
		{k: 0}, {k: 100}, {k: 1875},
		{k: 1, jit: true}, {k: 100, jit: true}, {k: 1875, jit: true},
		{k: 1875, jit: true, threads: Threads{IntraOp: 1, InterOp: 1}},
	} {
		name := "per_step"
		if c.k > 0 {
			name = fmt.Sprintf("loop_K=%d", c.k)
		}
		if c.jit {
			name = fmt.Sprintf("xla_K=%d", c.k)
		}
		if c.threads.IntraOp > 0 {
			name += fmt.Sprintf("_intra=%d", c.threads.IntraOp)
		}
		b.Run(name, func(b *testing.B) {
			m, err := NewSequential(Flatten(28, 28), Dense(128, "relu"), Dense(10, "softmax"))
			require.NoError(b, err)
			opts := DefaultCompileOptions()
			opts.Threads = c.threads
			require.NoError(b, m.Compile(opts))
			defer m.Close()
			loop := addLoop(b, m, opts, loopRun{k: c.k, jit: c.jit})
			require.NoError(b, m.upload(x, y))
			defer m.session.Run(nil, nil, []*tf.Operation{m.net.unload})
			epoch := func(e int) {
				order := Order(1, e, x.Len(), true)
				bar := newProgbar(nil, ceilDiv(x.Len(), 32))
				if loop == nil {
					_, err = m.trainEpoch(context.Background(), e, order, 32, 0, bar, nil)
				} else {
					_, err = m.trainEpochLoop(context.Background(), loop, e, order, 32, 0, bar, nil)
				}
				require.NoError(b, err)
			}
			epoch(0)
			b.ResetTimer()
			for i := range b.N {
				epoch(i + 1)
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/epoch")
		})
	}
}
