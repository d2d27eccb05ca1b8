package tfmodel

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/loader"
	"github.com/gokeras/fashion/tensor"
)

// BenchmarkInferenceLoops times Predict and Evaluate of the 10,000 test
// images on the tutorial's model (Flatten(28, 28), Dense(128, relu),
// Dense(10, softmax)) at batch 32: one session run per batch (313) in the
// inference session and in the training session (InferenceOwn,
// InferenceShared), K = 313 batches per run (the 312 whole batches in one
// run, the partial one per batch), and those K compiled by XLA, the last
// two as InferenceAuto chooses. It reports images/s. A first
// call, which builds the loop and where XLA compiles, is not timed. The
// machine's other load moves these figures: compare them alternately.
//
//	go test ./tfmodel -run '^$' -bench InferenceLoops -benchtime 20x
func BenchmarkInferenceLoops(b *testing.B) {
	d, err := loader.Load("")
	require.NoError(b, err, "the real Fashion-MNIST is needed: run scripts/libtensorflow-install.sh")
	x := d.Test.ScaledTensor()
	y := tensor.Labels(d.Test.Labels)
	const batch = 32
	for _, what := range []string{"predict", "evaluate"} {
		for _, c := range []struct {
			k         int // 0: per batch
			jit       bool
			inference InferenceSession
		}{{k: 0, inference: InferenceOwn}, {k: 0, inference: InferenceShared}, {k: 313}, {k: 313, jit: true}} {
			name := "per_batch"
			if c.inference == InferenceShared {
				name = "per_batch_training_session"
			}
			if c.k > 0 {
				name = fmt.Sprintf("loop_K=%d", c.k)
			}
			if c.jit {
				name = fmt.Sprintf("xla_K=%d", c.k)
			}
			b.Run(what+"/"+name, func(b *testing.B) {
				m, err := NewSequential(Flatten(28, 28), Dense(128, "relu"), Dense(10, "softmax"))
				require.NoError(b, err)
				opts := DefaultCompileOptions()
				opts.StepsPerExecution, opts.JITCompile, opts.Threads.Inference = c.k, c.jit, c.inference
				require.NoError(b, m.Compile(opts))
				defer m.Close()
				call := func() {
					if what == "predict" {
						_, err = m.Predict(x, PredictOptions{BatchSize: batch})
					} else {
						_, err = m.Evaluate(x, y, EvaluateOptions{BatchSize: batch})
					}
					require.NoError(b, err)
				}
				call()
				b.ResetTimer()
				for range b.N {
					call()
				}
				b.ReportMetric(float64(x.Len()*b.N)/b.Elapsed().Seconds(), "images/s")
			})
		}
	}
}
