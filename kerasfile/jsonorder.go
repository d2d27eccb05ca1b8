package kerasfile

import (
	"bytes"
	"encoding/json"
	"slices"
)

// Python's dicts keep their keys in the order they were set, and Keras
// writes config.json from them; Go's maps have no order, and encoding/json
// sorts their keys. Keras reads either, but a file written here should diff
// cleanly against one Keras writes, so a layer's config goes out in the
// order of its class's get_config (configKeys), and every serialized Keras
// object nested in it ({"module", "class_name", "config",
// "registered_name"}) in Keras's order.

// jsonObject is a JSON object whose keys keep their order.
type jsonObject []jsonField

type jsonField struct {
	key   string
	value any
}

func (o jsonObject) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(f.key)
		if err != nil {
			return nil, err
		}
		v, err := marshalOrdered(f.value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshalOrdered encodes v as json.Marshal does, except that maps inside
// it that are serialized Keras objects keep Keras's key order.
func marshalOrdered(v any) ([]byte, error) {
	switch v := v.(type) {
	case map[string]any:
		if _, ok := v["class_name"]; ok {
			return orderKeys(v, objectKeys).MarshalJSON()
		}
		return orderKeys(v, nil).MarshalJSON()
	case []any:
		items := make([]json.RawMessage, len(v))
		for i, x := range v {
			b, err := marshalOrdered(x)
			if err != nil {
				return nil, err
			}
			items[i] = b
		}
		return json.Marshal(items)
	}
	return json.Marshal(v)
}

// objectKeys is the order of the keys of a serialized Keras object
// (keras/src/saving/serialization_lib.py, serialize_keras_object).
var objectKeys = []string{"module", "class_name", "config", "registered_name", "build_config", "compile_config"}

// orderKeys returns m's entries with the keys of first first, in that
// order, then the others sorted.
func orderKeys(m map[string]any, first []string) jsonObject {
	var o jsonObject
	for _, k := range first {
		if v, ok := m[k]; ok {
			o = append(o, jsonField{k, v})
		}
	}
	var rest []string
	for k := range m {
		if !slices.Contains(first, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	for _, k := range rest {
		o = append(o, jsonField{k, m[k]})
	}
	return o
}

// classConfig returns a layer's own config keys in the order its class's
// get_config gives them, for the classes configKeys knows; the keys of
// other classes, and keys configKeys does not list, follow sorted.
func classConfig(class string, config map[string]any) jsonObject {
	return orderKeys(config, configKeys[class])
}

// configKeys lists, for Keras 3's common layers, the keys get_config
// returns after name, trainable and dtype, in its order (Keras 3.15).
var configKeys = map[string][]string{
	"Dense": {"units", "activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer",
		"bias_regularizer", "kernel_constraint", "bias_constraint", "quantization_config"},
	"Flatten": {"data_format"},
	"Dropout": {"rate", "seed", "noise_shape"},
	"Reshape": {"target_shape"},
	"Conv1D":  convKeys,
	"Conv2D":  convKeys,
	"Conv3D":  convKeys,
	"Conv2DTranspose": {"filters", "kernel_size", "strides", "padding", "output_padding", "data_format", "dilation_rate",
		"activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
		"activity_regularizer", "kernel_constraint", "bias_constraint"},
	"DepthwiseConv2D": {"depth_multiplier", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
		"activation", "use_bias", "depthwise_initializer", "bias_initializer", "depthwise_regularizer", "bias_regularizer",
		"activity_regularizer", "depthwise_constraint", "bias_constraint"},
	"MaxPooling1D":           poolKeys,
	"MaxPooling2D":           poolKeys,
	"AveragePooling1D":       poolKeys,
	"AveragePooling2D":       poolKeys,
	"GlobalAveragePooling1D": globalPoolKeys,
	"GlobalAveragePooling2D": globalPoolKeys,
	"GlobalMaxPooling1D":     globalPoolKeys,
	"GlobalMaxPooling2D":     globalPoolKeys,
	"BatchNormalization": {"axis", "momentum", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer",
		"moving_mean_initializer", "moving_variance_initializer", "beta_regularizer", "gamma_regularizer",
		"beta_constraint", "gamma_constraint", "synchronized", "renorm", "renorm_clipping", "renorm_momentum"},
	"LayerNormalization": {"axis", "epsilon", "center", "scale", "rms_scaling", "beta_initializer", "gamma_initializer",
		"beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"},
	"Activation":        {"activation"},
	"ReLU":              {"max_value", "negative_slope", "threshold"},
	"LeakyReLU":         {"negative_slope"},
	"Softmax":           {"axis"},
	"Rescaling":         {"scale", "offset"},
	"Embedding":         {"input_dim", "output_dim", "embeddings_initializer", "embeddings_regularizer", "activity_regularizer", "embeddings_constraint", "mask_zero", "quantization_config"},
	"Permute":           {"dims"},
	"RepeatVector":      {"n"},
	"ZeroPadding2D":     {"padding", "data_format"},
	"Cropping2D":        {"cropping", "data_format"},
	"UpSampling2D":      {"size", "data_format", "interpolation"},
	"GaussianNoise":     {"stddev", "seed"},
	"GaussianDropout":   {"rate", "seed"},
	"AlphaDropout":      {"rate", "seed", "noise_shape"},
	"SpatialDropout1D":  {"rate", "seed", "data_format"},
	"SpatialDropout2D":  {"rate", "seed", "data_format"},
	"UnitNormalization": {"axis"},
}

var (
	convKeys = []string{"filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups",
		"activation", "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
		"activity_regularizer", "kernel_constraint", "bias_constraint"}
	poolKeys       = []string{"pool_size", "padding", "strides", "data_format"}
	globalPoolKeys = []string{"data_format", "keepdims"}
)
