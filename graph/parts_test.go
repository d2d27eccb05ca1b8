package graph_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/graph"
)

func TestGetLoss(t *testing.T) {
	tests := []struct {
		identifier string
		class      string
		sparse     bool
		serialized string // what compile_config gets back
		err        string
	}{
		{identifier: "sparse_categorical_crossentropy", class: "SparseCategoricalCrossentropy", sparse: true, serialized: `"sparse_categorical_crossentropy"`},
		{identifier: "mse", class: "MeanSquaredError", serialized: `"mse"`},
		{identifier: "MAE", class: "MeanAbsoluteError", serialized: `"MAE"`},
		{identifier: "binary_crossentropy", class: "BinaryCrossentropy", serialized: `"binary_crossentropy"`},
		{identifier: "CategoricalCrossentropy", class: "CategoricalCrossentropy",
			serialized: `{"class_name":"CategoricalCrossentropy","config":{"axis":-1,"dtype":null,"from_logits":false,"label_smoothing":0,"name":"categorical_crossentropy","reduction":"sum_over_batch_size"},"module":"keras.losses","registered_name":null}`},
		{identifier: `{"module": "keras.losses", "class_name": "SparseCategoricalCrossentropy", "config": {"name": "sparse_categorical_crossentropy", "reduction": "sum_over_batch_size", "from_logits": true, "ignore_class": null}, "registered_name": null}`,
			class: "SparseCategoricalCrossentropy", sparse: true,
			serialized: `{"class_name":"SparseCategoricalCrossentropy","config":{"dtype":null,"from_logits":true,"ignore_class":null,"name":"sparse_categorical_crossentropy","reduction":"sum_over_batch_size"},"module":"keras.losses","registered_name":null}`},
		{identifier: "hinge", err: `unknown loss "hinge": want one of`},
		{identifier: `{"class_name": "BinaryCrossentropy", "config": {"label_smoothing": 0.1}}`, err: "label_smoothing 0.1 is not supported: only 0"},
		{identifier: `{"class_name": "SparseCategoricalCrossentropy", "config": {"ignore_class": 255}}`, err: "ignore_class 255 is not supported"},
		{identifier: `{"class_name": "MeanSquaredError", "config": {"reduction": "sum"}}`, err: `reduction "sum" is not supported`},
		{identifier: `{"class_name": "MeanSquaredError", "config": {"delta": 1}}`, err: `option "delta" is not supported`},
	}
	for _, tt := range tests {
		t.Run(tt.identifier, func(t *testing.T) {
			l, err := graph.GetLoss(tt.identifier)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.class, l.ClassName())
			assert.Equal(t, tt.sparse, l.Sparse())
			got, err := graph.SerializeLoss(l)
			require.NoError(t, err)
			assert.JSONEq(t, tt.serialized, string(got))
			back, err := graph.LossFromJSON(got)
			require.NoError(t, err)
			assert.Equal(t, l.ClassName(), back.ClassName(), "serialized losses read back")
		})
	}
}

func TestGetMetricResolvesAccuracyAsKeras(t *testing.T) {
	tests := []struct {
		name           string
		target, output []int
		class          string
	}{
		{"accuracy", []int{}, []int{10}, "SparseCategoricalAccuracy"},
		{"acc", []int{1}, []int{10}, "SparseCategoricalAccuracy"},
		{"accuracy", []int{10}, []int{10}, "CategoricalAccuracy"},
		{"accuracy", []int{1}, []int{1}, "BinaryAccuracy"},
		{"accuracy", []int{4}, []int{4}, "CategoricalAccuracy"}, // Keras: argmax-based even for a regression
		{"mae", []int{1}, []int{1}, "MeanAbsoluteError"},
		{"mse", []int{3}, []int{3}, "MeanSquaredError"},
		{"binary_accuracy", []int{1}, []int{1}, "BinaryAccuracy"},
	}
	for _, tt := range tests {
		m, err := graph.GetMetric(tt.name, tt.target, tt.output)
		require.NoError(t, err)
		assert.Equal(t, tt.class, m.ClassName(), "%s for targets %v, outputs %v", tt.name, tt.target, tt.output)
		assert.Equal(t, tt.name, m.Name(), "the logs' key is the string asked for")
	}
	_, err := graph.GetMetric("auc", nil, []int{1})
	assert.ErrorIs(t, err, graph.ErrUnknownMetric)
}

func TestLayerFromConfig(t *testing.T) {
	tests := []struct {
		class, config string
		want          string // Keras's class of the result, or the error
		err           bool
	}{
		{"Dense", `{"units": 5, "activation": "gelu", "use_bias": true, "kernel_initializer": {}, "bias_initializer": {}, "kernel_regularizer": null}`, "Dense", false},
		{"Dense", `{"units": 5, "activation": "linear", "use_bias": false}`, "Dense", false},
		{"Dropout", `{"rate": 0.3, "seed": 7, "noise_shape": null}`, "Dropout", false},
		{"Reshape", `{"target_shape": [5, 1]}`, "Reshape", false},
		{"Flatten", `{"data_format": "channels_last"}`, "Flatten", false},
		{"Conv3D", `{}`, `layer class "Conv3D" is not supported: want one of [AveragePooling2D BatchNormalization Conv2D Dense Dropout Flatten GlobalAveragePooling2D MaxPooling2D Rescaling Reshape]`, true},
		{"Dense", `{"units": 5, "activation": "swish"}`, `unknown activation "swish"`, true},
		{"Dense", `{"units": 5, "kernel_regularizer": {"class_name": "L2"}}`, "kernel_regularizer", true},
		{"Dense", `{"units": 5, "lora_rank": 4}`, "lora_rank 4 is not supported", true},
		{"Dense", `{"units": -5}`, "units -5: want a non-negative integer", true},
		{"Dropout", `{"rate": 0.3, "noise_shape": [1, 5]}`, "noise_shape", true},
		{"Flatten", `{"data_format": "channels_first"}`, "data_format channels_first is not supported", true},
		{"Reshape", `{"target_shape": "5"}`, "want a list of integers", true},
		{"Dense", `{"units": 5, "frobnicate": true}`, "options [frobnicate] are not supported", true},
	}
	for _, tt := range tests {
		t.Run(tt.class+" "+tt.config, func(t *testing.T) {
			var config map[string]any
			require.NoError(t, json.Unmarshal([]byte(tt.config), &config))
			l, err := graph.LayerFromConfig(tt.class, config)
			if tt.err {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.want)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, l.ClassName())
		})
	}
}

func TestLayerNames(t *testing.T) {
	for class, want := range map[string]string{
		"Dense": "dense", "MaxPooling2D": "max_pooling2d", "AdamW": "adam_w", "Conv2D": "conv2d",
		"BatchNormalization": "batch_normalization", "GlobalAveragePooling2D": "global_average_pooling2d", "RMSprop": "rm_sprop",
	} {
		assert.Equal(t, want, graph.SnakeCase(class), class)
	}
	named := graph.NewDense(4, graph.ReLU)
	named.SetName("dense_1")
	layers := []graph.Layer{graph.NewFlatten(), graph.NewDense(4, graph.ReLU), named, graph.NewDense(2, graph.Softmax), graph.NewDropout(0.1)}
	require.NoError(t, graph.NameLayers(layers))
	var names []string
	for _, l := range layers {
		names = append(names, l.Name())
	}
	assert.Equal(t, []string{"flatten", "dense", "dense_1", "dense_2", "dropout"}, names, "an explicit name is kept and skipped")
	twice := graph.NewDense(1, "")
	twice.SetName("dense")
	assert.ErrorContains(t, graph.NameLayers([]graph.Layer{twice, named, layers[1]}), `the name "dense" is taken`)
}

func TestLayerShapesAreCheckedAtBuild(t *testing.T) {
	tests := []struct {
		layer graph.Layer
		in    []int
		out   []int
		err   string
	}{
		{graph.NewFlatten(), []int{28, 28}, []int{784}, ""},
		{graph.NewReshape(-1, 4), []int{8}, []int{2, 4}, ""},
		{graph.NewReshape(3, 3), []int{8}, nil, "does not fit target shape [3 3]"},
		{graph.NewReshape(-1, 3), []int{8}, nil, "does not fit target shape [-1 3]"},
		{graph.NewReshape(-1, -1), []int{8}, nil, "one may be -1"},
		{graph.NewDense(3, graph.ReLU), []int{4, 4}, nil, "Dense takes one vector per example"},
		{graph.NewDense(3, graph.ReLU), []int{4}, []int{3}, ""},
		{graph.NewDropout(-0.1), []int{4}, nil, "rate -0.1 must be in [0, 1)"},
		{graph.NewSeededDropout(0.5, -1), []int{4}, nil, "seed -1"},
	}
	for _, tt := range tests {
		out, err := tt.layer.OutputShape(tt.in)
		if tt.err != "" {
			assert.ErrorContains(t, err, tt.err, "%s on %v", tt.layer.ClassName(), tt.in)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tt.out, out)
	}
}
