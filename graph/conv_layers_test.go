package graph_test

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
	tg "github.com/galeone/tfgo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/graph"
)

func conv(filters int, k [2]int, edit func(*graph.Conv2D)) *graph.Conv2D {
	c := graph.NewConv2D(filters, k, graph.ReLU)
	if edit != nil {
		edit(c)
	}
	return c
}

// TestConvLayerShapes checks output shapes and parameter counts against
// Keras's (keras.Sequential summaries of the same layers), and that what
// Keras or TensorFlow would refuse is an error before any graph exists.
func TestConvLayerShapes(t *testing.T) {
	bn := func(edit func(*graph.BatchNormalization)) *graph.BatchNormalization {
		b := graph.NewBatchNormalization()
		edit(b)
		return b
	}
	maxPool := func(size, strides [2]int, padding string) *graph.MaxPooling2D {
		return &graph.MaxPooling2D{PoolSize: size, Strides: strides, Padding: padding}
	}
	avgPool := func(size, strides [2]int, padding string) *graph.AveragePooling2D {
		return &graph.AveragePooling2D{PoolSize: size, Strides: strides, Padding: padding}
	}
	tests := []struct {
		name   string
		layer  graph.Layer
		in     []int
		out    []int
		params int64
		frozen int64 // NonTrainableParams
		err    string
	}{
		{name: "conv 32x3 on 28x28x1", layer: conv(32, [2]int{3, 3}, nil), in: []int{28, 28, 1}, out: []int{26, 26, 32}, params: 320},
		{name: "conv 64x3 on 13x13x32", layer: conv(64, [2]int{3, 3}, nil), in: []int{13, 13, 32}, out: []int{11, 11, 64}, params: 18496},
		{name: "conv same", layer: conv(4, [2]int{3, 3}, func(c *graph.Conv2D) { c.Padding = "same" }), in: []int{8, 8, 2}, out: []int{8, 8, 4}, params: 76},
		{name: "conv strides 2 valid", layer: conv(4, [2]int{3, 2}, func(c *graph.Conv2D) { c.Strides = [2]int{2, 2} }), in: []int{8, 7, 1}, out: []int{3, 3, 4}, params: 28},
		{name: "conv strides 2 same", layer: conv(4, [2]int{3, 3}, func(c *graph.Conv2D) { c.Strides, c.Padding = [2]int{2, 2}, "same" }), in: []int{7, 8, 1}, out: []int{4, 4, 4}, params: 40},
		{name: "conv dilation 2", layer: conv(3, [2]int{3, 3}, func(c *graph.Conv2D) { c.DilationRate = [2]int{2, 2} }), in: []int{8, 8, 1}, out: []int{4, 4, 3}, params: 30},
		{name: "conv dilation 2 same", layer: conv(3, [2]int{3, 3}, func(c *graph.Conv2D) { c.DilationRate, c.Padding = [2]int{2, 2}, "same" }), in: []int{7, 6, 2}, out: []int{7, 6, 3}, params: 57},
		{name: "conv without bias", layer: conv(3, [2]int{2, 2}, func(c *graph.Conv2D) { c.UseBias = false }), in: []int{6, 6, 2}, out: []int{5, 5, 3}, params: 24},
		{name: "kernel as large as the image", layer: conv(1, [2]int{6, 6}, nil), in: []int{6, 6, 1}, out: []int{1, 1, 1}, params: 37},
		{name: "kernel larger than the image", layer: conv(1, [2]int{7, 3}, nil), in: []int{6, 6, 1}, err: `a window of extent 7 (size 7, dilation 1) does not fit in the input's 6 with "valid" padding`},
		{name: "dilated kernel larger than the image", layer: conv(1, [2]int{3, 3}, func(c *graph.Conv2D) { c.DilationRate = [2]int{3, 1} }), in: []int{6, 6, 1}, err: "extent 7 (size 3, dilation 3)"},
		{name: "kernel larger but same", layer: conv(1, [2]int{9, 9}, func(c *graph.Conv2D) { c.Padding = "same" }), in: []int{6, 6, 1}, out: []int{6, 6, 1}, params: 82},
		{name: "zero filters", layer: conv(0, [2]int{3, 3}, nil), in: []int{8, 8, 1}, err: "filters 0 must be positive"},
		{name: "zero kernel", layer: conv(2, [2]int{0, 3}, nil), in: []int{8, 8, 1}, err: "kernel size [0 3]: want positive sizes"},
		{name: "negative strides", layer: conv(2, [2]int{3, 3}, func(c *graph.Conv2D) { c.Strides = [2]int{1, -1} }), in: []int{8, 8, 1}, err: "strides [1 -1]: want positive sizes"},
		{name: "zero dilation", layer: conv(2, [2]int{3, 3}, func(c *graph.Conv2D) { c.DilationRate = [2]int{0, 1} }), in: []int{8, 8, 1}, err: "dilation rate [0 1]: want positive sizes"},
		{name: "strides with dilation", layer: conv(2, [2]int{3, 3}, func(c *graph.Conv2D) { c.Strides, c.DilationRate = [2]int{2, 1}, [2]int{1, 2} }), in: []int{8, 8, 1}, err: "strides [2 1] with dilation rate [1 2]: Keras supports strides > 1 only without dilation"},
		{name: "conv padding", layer: conv(2, [2]int{3, 3}, func(c *graph.Conv2D) { c.Padding = "SAME" }), in: []int{8, 8, 1}, err: `padding "SAME": want "valid" or "same"`},
		{name: "conv activation", layer: conv(2, [2]int{3, 3}, func(c *graph.Conv2D) { c.Activation = "swish" }), in: []int{8, 8, 1}, err: `unknown activation "swish"`},
		{name: "conv on vectors", layer: conv(2, [2]int{3, 3}, nil), in: []int{64}, err: "input shape [64]: want an image [height, width, channels]"},
		{name: "conv on 2-D examples", layer: conv(2, [2]int{3, 3}, nil), in: []int{8, 8}, err: "want an image [height, width, channels]"},

		{name: "max pool 2", layer: graph.NewMaxPooling2D([2]int{2, 2}), in: []int{26, 26, 32}, out: []int{13, 13, 32}},
		{name: "max pool 2 odd", layer: graph.NewMaxPooling2D([2]int{2, 2}), in: []int{11, 11, 64}, out: []int{5, 5, 64}},
		{name: "max pool same", layer: maxPool([2]int{2, 2}, [2]int{2, 2}, "same"), in: []int{11, 11, 64}, out: []int{6, 6, 64}},
		{name: "max pool 3 strides 1", layer: maxPool([2]int{3, 3}, [2]int{1, 1}, "valid"), in: []int{6, 6, 2}, out: []int{4, 4, 2}},
		{name: "max pool larger than the image", layer: graph.NewMaxPooling2D([2]int{3, 3}), in: []int{2, 8, 1}, err: `pool size [3 3]: a window of extent 3 (size 3, dilation 1) does not fit in the input's 2 with "valid" padding`},
		{name: "max pool larger but same", layer: maxPool([2]int{3, 3}, [2]int{3, 3}, "same"), in: []int{2, 8, 1}, out: []int{1, 3, 1}},
		{name: "max pool zero strides", layer: maxPool([2]int{2, 2}, [2]int{0, 2}, "valid"), in: []int{8, 8, 1}, err: "strides [0 2]: want positive sizes"},
		{name: "max pool zero size", layer: graph.NewMaxPooling2D([2]int{2, 0}), in: []int{8, 8, 1}, err: "pool size [2 0]: want positive sizes"},
		{name: "max pool on vectors", layer: graph.NewMaxPooling2D([2]int{2, 2}), in: []int{8}, err: "want an image"},
		{name: "average pool", layer: graph.NewAveragePooling2D([2]int{2, 3}), in: []int{6, 6, 2}, out: []int{3, 2, 2}},
		{name: "average pool same strides 2", layer: avgPool([2]int{3, 3}, [2]int{2, 2}, "same"), in: []int{7, 7, 1}, out: []int{4, 4, 1}},
		{name: "average pool padding", layer: avgPool([2]int{3, 3}, [2]int{2, 2}, "full"), in: []int{7, 7, 1}, err: `padding "full"`},
		{name: "average pool larger", layer: graph.NewAveragePooling2D([2]int{4, 4}), in: []int{3, 3, 1}, err: "does not fit"},

		{name: "global average", layer: graph.NewGlobalAveragePooling2D(), in: []int{5, 5, 64}, out: []int{64}},
		{name: "global average keepdims", layer: &graph.GlobalAveragePooling2D{KeepDims: true}, in: []int{3, 3, 3}, out: []int{1, 1, 3}},
		{name: "global average on vectors", layer: graph.NewGlobalAveragePooling2D(), in: []int{64}, err: "want an image"},

		{name: "batch norm image", layer: graph.NewBatchNormalization(), in: []int{6, 6, 2}, out: []int{6, 6, 2}, params: 4, frozen: 4},
		{name: "batch norm vector", layer: graph.NewBatchNormalization(), in: []int{16}, out: []int{16}, params: 32, frozen: 32},
		{name: "batch norm without scale", layer: bn(func(b *graph.BatchNormalization) { b.Scale = false }), in: []int{16}, out: []int{16}, params: 16, frozen: 32},
		{name: "batch norm without either", layer: bn(func(b *graph.BatchNormalization) { b.Scale, b.Center = false, false }), in: []int{16}, out: []int{16}, frozen: 32},
		{name: "batch norm on scalars", layer: graph.NewBatchNormalization(), in: []int{}, err: "each example is a scalar, without a channel axis to normalise"},
		{name: "batch norm epsilon 0", layer: bn(func(b *graph.BatchNormalization) { b.Epsilon = 0 }), in: []int{4}, err: "epsilon 0 must be positive"},
		{name: "batch norm epsilon NaN", layer: bn(func(b *graph.BatchNormalization) { b.Epsilon = math.NaN() }), in: []int{4}, err: "epsilon NaN must be positive"},
		{name: "batch norm momentum", layer: bn(func(b *graph.BatchNormalization) { b.Momentum = 1.5 }), in: []int{4}, err: "momentum 1.5 must be in [0, 1]"},
		{name: "batch norm momentum 1", layer: bn(func(b *graph.BatchNormalization) { b.Momentum = 1 }), in: []int{4}, out: []int{4}, params: 8, frozen: 8},

		{name: "rescaling", layer: graph.NewRescaling(1.0/255, 0), in: []int{28, 28}, out: []int{28, 28}},
		{name: "rescaling infinite", layer: graph.NewRescaling(math.Inf(1), 0), in: []int{4}, err: "scale +Inf: want a finite float32 value"},
		{name: "rescaling beyond float32", layer: graph.NewRescaling(1, 1e39), in: []int{4}, err: "offset 1e+39"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := tt.layer.OutputShape(tt.in)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				_, err = tt.layer.Build(&graph.Builder{Root: tg.NewRoot()}, tt.in)
				assert.ErrorContains(t, err, tt.err, "Build checks what OutputShape checks")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.out, out)
			assert.Equal(t, tt.params, tt.layer.Params(tt.in), "trainable parameters")
			var frozen int64
			if nt, ok := tt.layer.(graph.NonTrainableParams); ok {
				frozen = nt.NonTrainableParams(tt.in)
			}
			assert.Equal(t, tt.frozen, frozen, "non-trainable parameters")
		})
	}
}

// TestIssueCNNParams is the CNN of issue 14 as Keras's summary counts it:
// Reshape(28,28,1) → Conv2D(32,3,relu) → MaxPooling2D(2) →
// Conv2D(64,3,relu) → MaxPooling2D(2) → Flatten → Dropout(0.5) →
// Dense(10, softmax).
func TestIssueCNNParams(t *testing.T) {
	layers := []graph.Layer{
		graph.NewReshape(28, 28, 1),
		graph.NewConv2D(32, [2]int{3, 3}, graph.ReLU), graph.NewMaxPooling2D([2]int{2, 2}),
		graph.NewConv2D(64, [2]int{3, 3}, graph.ReLU), graph.NewMaxPooling2D([2]int{2, 2}),
		graph.NewFlatten(), graph.NewDropout(0.5), graph.NewDense(10, graph.Softmax),
	}
	require.NoError(t, graph.NameLayers(layers))
	in := []int{28, 28}
	var total int64
	var shapes [][]int
	for _, l := range layers {
		out, err := l.OutputShape(in)
		require.NoError(t, err, l.Name())
		total += l.Params(in)
		shapes = append(shapes, out)
		in = out
	}
	assert.Equal(t, [][]int{{28, 28, 1}, {26, 26, 32}, {13, 13, 32}, {11, 11, 64}, {5, 5, 64}, {1600}, {1600}, {10}}, shapes)
	assert.Equal(t, int64(34826), total)
	assert.Equal(t, "conv2d_1", layers[3].Name())
	assert.Equal(t, "max_pooling2d_1", layers[4].Name())
}

// TestConvLayerConfigs checks that each layer's Config is what Keras 3.15
// writes (keras.layers.X(...).get_config() without name, trainable and
// dtype) and that LayerFromConfig reads it back to the same layer.
func TestConvLayerConfigs(t *testing.T) {
	glorot := `{"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": null, "input_axes": null, "output_axes": null}, "registered_name": null}`
	zeros := `{"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": null}`
	ones := `{"module": "keras.initializers", "class_name": "Ones", "config": {}, "registered_name": null}`
	tests := []struct {
		layer graph.Layer
		keras string
	}{
		{graph.NewConv2D(32, [2]int{3, 3}, ""), `{"filters": 32, "kernel_size": [3, 3], "strides": [1, 1], "padding": "valid", "data_format": "channels_last", "dilation_rate": [1, 1], "groups": 1, "activation": "linear", "use_bias": true, "kernel_initializer": ` + glorot + `, "bias_initializer": ` + zeros + `, "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}`},
		{conv(4, [2]int{3, 2}, func(c *graph.Conv2D) { c.Padding, c.DilationRate, c.UseBias = "same", [2]int{2, 1}, false }),
			`{"filters": 4, "kernel_size": [3, 2], "strides": [1, 1], "padding": "same", "data_format": "channels_last", "dilation_rate": [2, 1], "groups": 1, "activation": "relu", "use_bias": false, "kernel_initializer": ` + glorot + `, "bias_initializer": ` + zeros + `, "kernel_regularizer": null, "bias_regularizer": null, "activity_regularizer": null, "kernel_constraint": null, "bias_constraint": null}`},
		{graph.NewMaxPooling2D([2]int{2, 2}), `{"pool_size": [2, 2], "padding": "valid", "strides": [2, 2], "data_format": "channels_last"}`},
		{&graph.AveragePooling2D{PoolSize: [2]int{3, 3}, Strides: [2]int{1, 2}, Padding: "same"}, `{"pool_size": [3, 3], "padding": "same", "strides": [1, 2], "data_format": "channels_last"}`},
		{graph.NewGlobalAveragePooling2D(), `{"data_format": "channels_last", "keepdims": false}`},
		{graph.NewBatchNormalization(), `{"axis": -1, "momentum": 0.99, "epsilon": 0.001, "center": true, "scale": true, "beta_initializer": ` + zeros + `, "gamma_initializer": ` + ones + `, "moving_mean_initializer": ` + zeros + `, "moving_variance_initializer": ` + ones + `, "beta_regularizer": null, "gamma_regularizer": null, "beta_constraint": null, "gamma_constraint": null, "synchronized": false, "renorm": false, "renorm_clipping": null, "renorm_momentum": 0.99}`},
		{graph.NewRescaling(0.00392156862745098, 0), `{"scale": 0.00392156862745098, "offset": 0.0}`},
	}
	for _, tt := range tests {
		t.Run(tt.layer.ClassName(), func(t *testing.T) {
			got, err := json.Marshal(tt.layer.Config())
			require.NoError(t, err)
			assert.JSONEq(t, tt.keras, string(got))
			var config map[string]any
			require.NoError(t, json.Unmarshal([]byte(tt.keras), &config))
			back, err := graph.LayerFromConfig(tt.layer.ClassName(), config)
			require.NoError(t, err)
			assert.Equal(t, tt.layer, back)
		})
	}
}

func TestConvLayerFromConfig(t *testing.T) {
	tests := []struct {
		class, config string
		want          graph.Layer
		err           string
	}{
		{class: "Conv2D", config: `{"filters": 8, "kernel_size": 5, "activation": "relu"}`, want: graph.NewConv2D(8, [2]int{5, 5}, graph.ReLU)},
		{class: "Conv2D", config: `{"filters": 8, "kernel_size": [3, 3], "strides": 2, "padding": "same"}`,
			want: &graph.Conv2D{Filters: 8, KernelSize: [2]int{3, 3}, Strides: [2]int{2, 2}, DilationRate: [2]int{1, 1}, Padding: "same", Activation: graph.Linear, UseBias: true}},
		{class: "MaxPooling2D", config: `{"pool_size": [3, 3], "strides": null}`, want: graph.NewMaxPooling2D([2]int{3, 3})},
		{class: "AveragePooling2D", config: `{"pool_size": 2, "strides": 1, "padding": "same"}`, want: &graph.AveragePooling2D{PoolSize: [2]int{2, 2}, Strides: [2]int{1, 1}, Padding: "same"}},
		{class: "GlobalAveragePooling2D", config: `{"keepdims": true}`, want: &graph.GlobalAveragePooling2D{KeepDims: true}},
		{class: "BatchNormalization", config: `{"momentum": 0.9, "center": false, "renorm_momentum": 0.5}`, want: &graph.BatchNormalization{Momentum: 0.9, Epsilon: 1e-3, Scale: true}},
		{class: "Rescaling", config: `{"scale": 2}`, want: graph.NewRescaling(2, 0)},

		{class: "Conv2D", config: `{"filters": 8, "kernel_size": [3, 3], "groups": 2}`, err: "Conv2D: groups 2 is not supported: want 1"},
		{class: "Conv2D", config: `{"filters": 8, "kernel_size": [3, 3], "data_format": "channels_first"}`, err: "data_format channels_first is not supported"},
		{class: "Conv2D", config: `{"filters": 8, "kernel_size": [3, 3, 3]}`, err: "kernel_size [3 3 3]: want an integer or a list of 2 integers"},
		{class: "Conv2D", config: `{"filters": 8, "kernel_size": [3, 0]}`, err: "kernel_size [3 0]: want positive integers"},
		{class: "Conv2D", config: `{"filters": 8}`, err: "kernel_size <nil>: want an integer or a list of 2 integers"},
		{class: "Conv2D", config: `{"filters": 8, "kernel_size": 3, "kernel_regularizer": {"class_name": "L2"}}`, err: "kernel_regularizer"},
		{class: "Conv2D", config: `{"filters": 8, "kernel_size": 3, "lora_rank": 2}`, err: "lora_rank 2 is not supported"},
		{class: "Conv2D", config: `{"filters": 8, "kernel_size": 3, "padding": 1}`, err: "padding 1: want a string"},
		{class: "Conv2D", config: `{"filters": 8, "kernel_size": 3, "activation": "selu"}`, err: `unknown activation "selu"`},
		{class: "MaxPooling2D", config: `{"pool_size": [2, 2], "data_format": "channels_first"}`, err: "data_format channels_first is not supported"},
		{class: "MaxPooling2D", config: `{"pool_size": [2, 2], "dilation": 2}`, err: "options [dilation] are not supported"},
		{class: "GlobalAveragePooling2D", config: `{"data_format": "channels_first"}`, err: "data_format channels_first"},
		{class: "BatchNormalization", config: `{"axis": 3}`, err: "axis 3 is not supported: want -1"},
		{class: "BatchNormalization", config: `{"axis": [1, 2]}`, err: "axis [1 2] is not supported"},
		{class: "BatchNormalization", config: `{"synchronized": true}`, err: "synchronized true is not supported"},
		{class: "BatchNormalization", config: `{"renorm": true}`, err: "renorm true is not supported"},
		{class: "BatchNormalization", config: `{"gamma_constraint": {"class_name": "NonNeg"}}`, err: "gamma_constraint"},
		{class: "Rescaling", config: `{"scale": [0.5, 0.25], "offset": 0}`, err: "scale [0.5 0.25] is not supported: want one number (not per channel)"},
		{class: "Rescaling", config: `{"offset": 1}`, err: "scale <nil>: want a number"},
	}
	for _, tt := range tests {
		t.Run(tt.class+" "+tt.config, func(t *testing.T) {
			var config map[string]any
			require.NoError(t, json.Unmarshal([]byte(tt.config), &config))
			l, err := graph.LayerFromConfig(tt.class, config)
			if tt.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, l)
		})
	}
}

func TestGlorotUniformND(t *testing.T) {
	fans := []struct {
		shape   []int64
		in, out int64
	}{
		{nil, 1, 1}, {[]int64{7}, 7, 7}, {[]int64{784, 128}, 784, 128},
		{[]int64{3, 3, 1, 32}, 9, 288}, {[]int64{3, 2, 4, 8}, 24, 48}, {[]int64{5, 2, 3}, 10, 15},
	}
	for _, f := range fans {
		in, out := graph.ComputeFans(f.shape)
		assert.Equal(t, [2]int64{f.in, f.out}, [2]int64{in, out}, "%v", f.shape)
	}

	root := tg.NewRoot()
	dense := graph.GlorotUniform(root, [2]int64{12, 16}, [2]int64{17, 0})
	nd := graph.GlorotUniformND(root, []int64{12, 16}, [2]int64{17, 0})
	kernel := graph.GlorotUniformND(root, []int64{3, 3, 2, 8}, [2]int64{17, 1})
	out := run(t, root, nil, dense, nd, kernel)
	assert.Equal(t, out[0].Value(), out[1].Value(), "a 2-D GlorotUniformND is GlorotUniform")
	limit := math.Sqrt(6.0 / (18 + 72))
	var biggest float64
	for _, a := range out[2].Value().([][][][]float32) {
		for _, b := range a {
			for _, c := range b {
				for _, v := range c {
					biggest = max(biggest, math.Abs(float64(v)))
				}
			}
		}
	}
	assert.Less(t, biggest, limit, "within sqrt(6 / (fan_in + fan_out))")
	assert.Greater(t, biggest, 0.8*limit, "and spread over it")
}

// TestConvLayersDifferentiate builds every new layer into a training graph
// whose loss the C API differentiates (TF_AddGradients fails with "No
// gradient defined for op" otherwise), runs a step and the moving
// statistics' update, and runs inference.
func TestConvLayersDifferentiate(t *testing.T) {
	same := func(c *graph.Conv2D) { c.Padding = "same" }
	dilated := func(c *graph.Conv2D) { c.DilationRate = [2]int{2, 2} }
	dilatedSame := func(c *graph.Conv2D) { c.DilationRate, c.Padding = [2]int{2, 2}, "same" }
	layers := []graph.Layer{
		graph.NewRescaling(2, -1),
		conv(3, [2]int{3, 3}, same),
		graph.NewBatchNormalization(),
		conv(4, [2]int{3, 3}, dilated),
		conv(2, [2]int{2, 2}, dilatedSame),
		graph.NewMaxPooling2D([2]int{2, 2}),
		&graph.AveragePooling2D{PoolSize: [2]int{2, 2}, Strides: [2]int{1, 1}, Padding: "same"},
		&graph.BatchNormalization{Momentum: 0.5, Epsilon: 0.01},
		graph.NewGlobalAveragePooling2D(),
		graph.NewDense(3, graph.Softmax),
	}
	require.NoError(t, graph.NameLayers(layers))
	root := tg.NewRoot()
	b := &graph.Builder{Root: root, Seed: 3}
	in := []int{9, 9, 1}
	var built []graph.Built
	var weights, frozen []*graph.Variable
	var inits []*tf.Operation
	for _, l := range layers {
		bl, err := l.Build(b, in)
		require.NoError(t, err, l.Name())
		built = append(built, bl)
		weights = append(weights, bl.Weights()...)
		frozen = append(frozen, bl.NonTrainable()...)
		in, err = l.OutputShape(in)
		require.NoError(t, err)
	}
	for _, v := range append(append([]*graph.Variable(nil), weights...), frozen...) {
		inits = append(inits, v.Init)
	}
	x := op.Placeholder(root.SubScope("x"), tf.Float, op.PlaceholderShape(tf.MakeShape(-1, 9, 9, 1)))
	train := graph.Forward(root.SubScope("train"), built, x, true)
	infer := graph.Forward(root.SubScope("infer"), built, x, false)
	require.Len(t, train.Updates, 4, "each BatchNormalization updates its moving mean and variance")
	assert.Empty(t, infer.Updates)
	s := root.SubScope("loss")
	loss := op.Sum(s, op.Square(s.SubScope("sq"), train.Out), op.Const(s.SubScope("axes"), []int32{0, 1}))
	grads, err := graph.Gradients(root, loss, op.OnesLike(s.SubScope("dy"), loss), weights)
	require.NoError(t, err)

	g, err := root.Finalize()
	require.NoError(t, err)
	sess, err := tf.NewSession(g, nil)
	require.NoError(t, err)
	defer sess.Close()
	_, err = sess.Run(nil, nil, inits)
	require.NoError(t, err)
	r := rand.New(rand.NewPCG(1, 2))
	batch := make([][][][]float32, 5)
	for i := range batch {
		batch[i] = make([][][]float32, 9)
		for j := range batch[i] {
			batch[i][j] = make([][]float32, 9)
			for k := range batch[i][j] {
				batch[i][j][k] = []float32{r.Float32()}
			}
		}
	}
	xt, err := tf.NewTensor(batch)
	require.NoError(t, err)
	feeds := map[tf.Output]*tf.Tensor{x: xt}
	out, err := sess.Run(feeds, grads, train.Updates)
	require.NoError(t, err)
	for i, g := range out {
		assert.NotEmpty(t, g.Value(), weights[i].Name)
	}
	var fetch []tf.Output
	for _, v := range frozen {
		fetch = append(fetch, v.Value)
	}
	moved, err := sess.Run(nil, fetch, nil)
	require.NoError(t, err)
	assert.NotEqual(t, []float32{0, 0, 0}, moved[0].Value(), "the first moving mean moved")
	assert.NotEqual(t, []float32{1, 1, 1}, moved[1].Value(), "the first moving variance moved")
	pred, err := sess.Run(feeds, []tf.Output{infer.Out}, nil)
	require.NoError(t, err)
	p := pred[0].Value().([][]float32)
	require.Len(t, p, 5)
	for _, row := range p {
		assert.InDelta(t, 1, row[0]+row[1]+row[2], 1e-6)
	}
}

// TestDilatedConvolution checks the SpaceToBatchND path of a dilated
// Conv2D against the definition, computed here in float64: out[i, j] =
// Σ x[i·s + a·d - top, j·s + b·d - left]·k[a, b], zero outside the image.
func TestDilatedConvolution(t *testing.T) {
	for _, tt := range []struct {
		h, w    int
		k, d    [2]int
		padding string
	}{
		{7, 8, [2]int{3, 3}, [2]int{2, 2}, "valid"},
		{7, 8, [2]int{3, 2}, [2]int{2, 3}, "same"},
		{6, 5, [2]int{2, 2}, [2]int{2, 2}, "same"},
		{5, 9, [2]int{2, 3}, [2]int{3, 1}, "valid"},
	} {
		c := conv(1, tt.k, func(c *graph.Conv2D) {
			c.DilationRate, c.Padding, c.Activation, c.UseBias = tt.d, tt.padding, graph.Linear, false
		})
		c.SetName("conv")
		outShape, err := c.OutputShape([]int{tt.h, tt.w, 1})
		require.NoError(t, err)
		root := tg.NewRoot()
		bl, err := c.Build(&graph.Builder{Root: root, Seed: 1}, []int{tt.h, tt.w, 1})
		require.NoError(t, err)
		image := make([][][][]float32, 1)
		image[0] = make([][][]float32, tt.h)
		for i := range image[0] {
			image[0][i] = make([][]float32, tt.w)
			for j := range image[0][i] {
				image[0][i][j] = []float32{float32(i*tt.w+j)/10 - 2}
			}
		}
		y := bl.Call(root.SubScope("call"), graph.Value{Out: op.Const(root.SubScope("x"), image)}, false)
		out := run(t, root, []*tf.Operation{bl.Weights()[0].Init}, y.Out, bl.Weights()[0].Value)
		got, k := out[0].Value().([][][][]float32)[0], out[1].Value().([][][][]float32)
		require.Len(t, got, outShape[0])
		require.Len(t, got[0], outShape[1])
		top, left := 0, 0
		if tt.padding == "same" {
			top, left = (tt.k[0]-1)*tt.d[0]/2, (tt.k[1]-1)*tt.d[1]/2
		}
		for i := range got {
			for j := range got[i] {
				var want float64
				for a := range tt.k[0] {
					for b := range tt.k[1] {
						r, c := i+a*tt.d[0]-top, j+b*tt.d[1]-left
						if r >= 0 && r < tt.h && c >= 0 && c < tt.w {
							want += float64(image[0][r][c][0]) * float64(k[a][b][0][0])
						}
					}
				}
				assert.InDelta(t, want, float64(got[i][j][0]), 1e-5, "%+v at [%d %d]", tt, i, j)
			}
		}
	}
}
