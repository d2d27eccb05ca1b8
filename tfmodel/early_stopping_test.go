package tfmodel

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEarlyStoppingMonitor drives EarlyStopping with logs by hand: the
// monitored name and its direction decide when it stops, as in Keras.
func TestEarlyStoppingMonitor(t *testing.T) {
	tests := []struct {
		name        string
		stop        EarlyStopping
		key         string
		values      []float64
		stoppedAt   int // epoch of Stop, or -1
		best        int
		errContains string
	}{
		{"val_loss by default", EarlyStopping{Patience: 2}, "val_loss", []float64{0.5, 0.4, 0.45, 0.41, 0.3}, 3, 1, ""},
		{"accuracy rises: auto is max", EarlyStopping{Monitor: "val_accuracy", Patience: 1}, "val_accuracy", []float64{0.8, 0.85, 0.84, 0.9}, 2, 1, ""},
		{"mae falls: auto is min", EarlyStopping{Monitor: "mae", Patience: 1}, "mae", []float64{3, 2, 1, 0.5}, -1, 3, ""},
		{"explicit max", EarlyStopping{Monitor: "loss", Mode: "max", Patience: 1}, "loss", []float64{1, 0.5}, 1, 0, ""},
		{"min delta", EarlyStopping{Monitor: "loss", Patience: 1, MinDelta: 0.1}, "loss", []float64{1, 0.95}, 1, 0, ""},
		{"absent name", EarlyStopping{Monitor: "val_mae", Patience: 1}, "loss", []float64{1}, -1, -1, "early stopping watches val_mae, which the logs do not have: they have [loss] (give validation data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.stop
			require.NoError(t, e.TrainBegin(nil, nil))
			stopped := -1
			for epoch, v := range tt.values {
				action, err := e.EpochEnd(nil, epoch, Logs{tt.key: v})
				if tt.errContains != "" {
					assert.ErrorContains(t, err, tt.errContains)
					return
				}
				require.NoError(t, err)
				if action == Stop {
					stopped = epoch
					break
				}
			}
			assert.Equal(t, tt.stoppedAt, stopped)
			assert.Equal(t, tt.best, e.BestEpoch)
		})
	}
	bad := EarlyStopping{Mode: "up"}
	assert.ErrorContains(t, bad.TrainBegin(nil, nil), `mode "up": want auto, min or max`)
}
