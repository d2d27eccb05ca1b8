package tutorial_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/internal/tutorial"
	"github.com/gokeras/fashion/tfmodel"
)

func TestModels(t *testing.T) {
	for model, params := range map[string]int64{"mlp": 101770, "cnn": 421642, "convnet": 34826} {
		layers, err := tutorial.Layers(model)
		require.NoError(t, err)
		m, err := tfmodel.NewSequential(layers...)
		require.NoError(t, err, model)
		assert.Equal(t, params, m.Params(), model)
		assert.Equal(t, []int{tutorial.Rows, tutorial.Cols}, m.InputShape())
		assert.Equal(t, []int{tutorial.Classes}, m.OutputShape())
	}
	_, err := tutorial.Layers("resnet")
	assert.ErrorContains(t, err, `model "resnet": want one of [mlp cnn convnet]`)
}

// The CNNs' summaries are what Keras 3 prints for the same models.
func TestCNNSummary(t *testing.T) {
	for model, want := range map[string]string{"cnn": cnnSummary, "convnet": convnetSummary} {
		layers, err := tutorial.Layers(model)
		require.NoError(t, err)
		m, err := tfmodel.NewSequential(layers...)
		require.NoError(t, err)
		var b bytes.Buffer
		require.NoError(t, m.Summary(&b))
		assert.Equal(t, want, b.String(), model)
	}
}
