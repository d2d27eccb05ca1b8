package tfmodel_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/internal/onednn"
	"github.com/gokeras/fashion/internal/rss"
	"github.com/gokeras/fashion/tfmodel"
)

// TestMemoryFlatAcrossEpochs watches the process's resident set and the
// bytes malloc has handed out (where TensorFlow's C allocations show,
// unlike in Go's heap statistics) at the end of each epoch on the full
// data: after the first epochs have warmed TensorFlow's allocators both
// must stay flat, so nothing leaks per step.
func TestMemoryFlatAcrossEpochs(t *testing.T) {
	d := loadFashion(t)
	m := newTutorialModel(t, 1)
	var samples, mallocs []int64
	opts := tfmodel.DefaultFitOptions()
	opts.Epochs = 6
	opts.Callbacks = []tfmodel.Callback{tfmodel.CallbackFunc(func(*tfmodel.Sequential, int, tfmodel.Logs) (tfmodel.Action, error) {
		rss.Settle()
		r, err := rss.Current()
		samples, mallocs = append(samples, r), append(mallocs, rss.MallocInUse())
		return tfmodel.Continue, err
	})}
	_, err := m.Fit(context.Background(), d.trainX, d.trainY, opts)
	require.NoError(t, err)
	mb := func(b int64) float64 { return float64(b) / (1 << 20) }
	t.Logf("oneDNN %s", onednn.Setting())
	for i, s := range samples {
		t.Logf("after epoch %d: RSS %.1f MiB, malloc in use %.2f MiB", i+1, mb(s), mb(mallocs[i]))
	}
	growth := samples[len(samples)-1] - samples[1]
	t.Logf("growth from the end of epoch 2 to the end of epoch 6 (7,500 steps): %.1f MiB", mb(growth))
	assert.Less(t, growth, int64(16<<20), "RSS grew by %.1f MiB from epoch 2 to 6", mb(growth))
	mallocGrowth := mallocs[len(mallocs)-1] - mallocs[1]
	assert.Less(t, mallocGrowth, int64(1<<20), "malloc'd bytes grew by %.2f MiB from epoch 2 to 6", mb(mallocGrowth))
}
