package tfmodel_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/tfmodel"
)

// TestOneEpochOnRealData is CI's short run of the tutorial: one epoch on
// all 60,000 images must reach 0.82 test accuracy.
func TestOneEpochOnRealData(t *testing.T) {
	d := loadFashion(t)
	m := newTutorialModel(t, 1)
	opts := tfmodel.DefaultFitOptions()
	opts.Epochs = 1
	opts.Progress = os.Stdout
	start := time.Now()
	h, err := m.Fit(context.Background(), d.trainX, d.trainY, opts)
	require.NoError(t, err)
	t.Logf("one epoch: %v", time.Since(start))
	require.Len(t, h.History["loss"], 1)
	evalLogs, err := m.Evaluate(d.testX, d.testY, tfmodel.EvaluateOptions{Progress: os.Stdout})
	require.NoError(t, err)
	t.Logf("test loss %.4f accuracy %.4f", evalLogs["loss"], evalLogs["accuracy"])
	assert.GreaterOrEqual(t, evalLogs["accuracy"], 0.82)
	assert.Less(t, h.History["loss"][0], 0.7)
}
