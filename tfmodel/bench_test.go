package tfmodel_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/tfmodel"
)

// BenchmarkEpoch times one epoch of the tutorial's training (1,875 steps of
// 32) under several TensorFlow thread settings; it reports ms/step.
//
//	go test ./tfmodel -run '^$' -bench Epoch -benchtime 3x
func BenchmarkEpoch(b *testing.B) {
	d := loadFashion(b)
	for _, threads := range []tfmodel.Threads{{}, {IntraOp: 1, InterOp: 1}, {IntraOp: 2, InterOp: 1}, {IntraOp: 1, InterOp: 2}} {
		b.Run(fmt.Sprintf("intra=%d,inter=%d", threads.IntraOp, threads.InterOp), func(b *testing.B) {
			m, err := tfmodel.NewSequential(tfmodel.Flatten(28, 28), tfmodel.Dense(128, "relu"), tfmodel.Dense(10, "softmax"))
			require.NoError(b, err)
			opts := tfmodel.DefaultCompileOptions()
			opts.Threads = threads
			require.NoError(b, m.Compile(opts))
			defer m.Close()
			fit := tfmodel.DefaultFitOptions()
			fit.Epochs = 1
			b.ResetTimer()
			for range b.N {
				_, err := m.Fit(context.Background(), d.trainX, d.trainY, fit)
				require.NoError(b, err)
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/1875, "ms/step")
		})
	}
}

// BenchmarkPredict times predicting the 10,000 test images in batches of 32.
func BenchmarkPredict(b *testing.B) {
	d := loadFashion(b)
	m := newTutorialModel(b, 1)
	b.ResetTimer()
	for range b.N {
		_, err := m.Predict(d.testX, tfmodel.PredictOptions{})
		require.NoError(b, err)
	}
	b.ReportMetric(float64(b.N)*10000/b.Elapsed().Seconds(), "images/s")
}
