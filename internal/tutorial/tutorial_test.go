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
	for model, params := range map[string]int64{"mlp": 101770, "cnn": 34826} {
		layers, err := tutorial.Layers(model)
		require.NoError(t, err)
		m, err := tfmodel.NewSequential(layers...)
		require.NoError(t, err, model)
		assert.Equal(t, params, m.Params(), model)
		assert.Equal(t, []int{tutorial.Rows, tutorial.Cols}, m.InputShape())
		assert.Equal(t, []int{tutorial.Classes}, m.OutputShape())
	}
	_, err := tutorial.Layers("resnet")
	assert.ErrorContains(t, err, `model "resnet": want one of [mlp cnn]`)
}

// The CNN's summary is what Keras 3 prints for the same model.
func TestCNNSummary(t *testing.T) {
	layers, err := tutorial.Layers("cnn")
	require.NoError(t, err)
	m, err := tfmodel.NewSequential(layers...)
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, m.Summary(&b))
	assert.Equal(t, cnnSummary, b.String())
}
