package graph

import (
	"fmt"
	"math"
	"slices"
)

// KnownLayers lists the Keras layer classes LayerFromConfig makes.
func KnownLayers() []string {
	return []string{
		"AveragePooling2D", "BatchNormalization", "Conv2D", "Dense", "Dropout", "Flatten",
		"GlobalAveragePooling2D", "MaxPooling2D", "Rescaling", "Reshape",
	}
}

// LayerFromConfig makes the layer of a Keras class from its config as a
// .keras file holds it (without name, trainable and dtype). Options Go does
// not implement (regularizers, constraints, LoRA, quantization, another
// data format, a Dropout noise shape, grouped convolutions, a
// BatchNormalization axis other than -1, synchronized or renormalised
// batch statistics, a per-channel Rescaling) are errors naming them; an
// unknown class is an error listing the known ones. Initializers are read
// from the weights, as for Dense, not from the config.
func LayerFromConfig(class string, config map[string]any) (Layer, error) {
	c := layerConfig{class: class, m: config}
	var l Layer
	switch class {
	case "Dense":
		d := &Dense{Units: c.int("units"), UseBias: c.boolOr("use_bias", true)}
		act := c.stringOr("activation", "linear")
		a, err := ParseActivation(act)
		if err != nil && c.err == nil {
			c.err = fmt.Errorf("Dense: %w", err)
		}
		d.Activation = a
		c.null("kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint", "quantization_config", "lora_rank")
		c.allow("units", "activation", "use_bias", "kernel_initializer", "bias_initializer", "lora_alpha")
		l = d
	case "Flatten":
		c.equal("data_format", "channels_last", nil)
		l = NewFlatten()
	case "Dropout":
		d := NewDropout(c.float("rate"))
		if seed, ok := config["seed"]; ok && seed != nil {
			f, isNum := seed.(float64)
			if !isNum || f != math.Trunc(f) {
				c.fail("Dropout: seed %v: want an integer", seed)
			}
			d.Seed, d.HasSeed = int64(f), true
		}
		c.null("noise_shape")
		c.allow("rate", "seed")
		l = d
	case "Reshape":
		raw, _ := config["target_shape"].([]any)
		var target []int
		for _, v := range raw {
			f, ok := v.(float64)
			if !ok || f != math.Trunc(f) {
				c.fail("Reshape: target_shape %v: want integers", config["target_shape"])
				break
			}
			target = append(target, int(f))
		}
		if len(target) == 0 {
			c.fail("Reshape: target_shape %v: want a list of integers", config["target_shape"])
		}
		c.allow("target_shape")
		l = NewReshape(target...)
	case "Conv2D":
		l = c.conv2D()
	case "MaxPooling2D":
		size, strides, padding := c.pooling()
		l = &MaxPooling2D{PoolSize: size, Strides: strides, Padding: padding}
	case "AveragePooling2D":
		size, strides, padding := c.pooling()
		l = &AveragePooling2D{PoolSize: size, Strides: strides, Padding: padding}
	case "GlobalAveragePooling2D":
		c.equal("data_format", "channels_last", nil)
		l = &GlobalAveragePooling2D{KeepDims: c.boolOr("keepdims", false)}
	case "BatchNormalization":
		l = c.batchNormalization()
	case "Rescaling":
		for _, k := range []string{"scale", "offset"} {
			if _, isNum := config[k].(float64); !isNum && config[k] != nil {
				c.fail("Rescaling: %s %v is not supported: want one number (not per channel)", k, config[k])
			}
		}
		l = &Rescaling{Scale: c.float("scale"), Offset: c.floatOr("offset", 0)}
	default:
		return nil, fmt.Errorf("layer class %q is not supported: want one of %v", class, KnownLayers())
	}
	if err := c.finish(); err != nil {
		return nil, err
	}
	return l, nil
}

func (c *layerConfig) conv2D() *Conv2D {
	l := &Conv2D{
		Filters:      c.int("filters"),
		KernelSize:   c.pair("kernel_size", nil),
		Strides:      c.pair("strides", []int{1, 1}),
		DilationRate: c.pair("dilation_rate", []int{1, 1}),
		Padding:      c.stringOr("padding", "valid"),
		UseBias:      c.boolOr("use_bias", true),
	}
	a, err := ParseActivation(c.stringOr("activation", "linear"))
	if err != nil {
		c.fail("Conv2D: %w", err)
	}
	l.Activation = a
	c.equal("data_format", "channels_last", nil)
	c.equal("groups", float64(1))
	c.null("kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint", "lora_rank", "quantization_config")
	c.allow("kernel_initializer", "bias_initializer", "lora_alpha")
	return l
}

// pooling reads a pooling layer's pool size, strides (null: the pool
// size, as Keras defaults them) and padding.
func (c *layerConfig) pooling() (size, strides [2]int, padding string) {
	size = c.pair("pool_size", nil)
	strides = size
	if v, ok := c.m["strides"]; ok && v != nil {
		strides = c.pair("strides", nil)
	}
	c.allow("strides")
	c.equal("data_format", "channels_last", nil)
	return size, strides, c.stringOr("padding", "valid")
}

func (c *layerConfig) batchNormalization() *BatchNormalization {
	l := &BatchNormalization{
		Momentum: c.floatOr("momentum", 0.99), Epsilon: c.floatOr("epsilon", 1e-3),
		Center: c.boolOr("center", true), Scale: c.boolOr("scale", true),
	}
	c.equal("axis", float64(-1))
	c.equal("synchronized", false)
	c.equal("renorm", false)
	c.null("beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint")
	// renorm_clipping and renorm_momentum only matter with renorm.
	c.allow("beta_initializer", "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer",
		"renorm_clipping", "renorm_momentum")
	return l
}

// layerConfig reads a layer's config, keeping the first error.
type layerConfig struct {
	class string
	m     map[string]any
	seen  []string
	err   error
}

func (c *layerConfig) fail(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf(format, args...)
	}
}

func (c *layerConfig) allow(keys ...string) { c.seen = append(c.seen, keys...) }

func (c *layerConfig) int(key string) int {
	c.allow(key)
	f, ok := c.m[key].(float64)
	if !ok || f != math.Trunc(f) || f < 0 || f > math.MaxInt32 {
		c.fail("%s: %s %v: want a non-negative integer", c.class, key, c.m[key])
		return 0
	}
	return int(f)
}

func (c *layerConfig) float(key string) float64 {
	c.allow(key)
	f, ok := c.m[key].(float64)
	if !ok {
		c.fail("%s: %s %v: want a number", c.class, key, c.m[key])
	}
	return f
}

func (c *layerConfig) floatOr(key string, def float64) float64 {
	if v, ok := c.m[key]; !ok || v == nil {
		c.allow(key)
		return def
	}
	return c.float(key)
}

// pair reads two positive sizes, given as a list or as one integer for
// both (Keras's standardize_tuple); def, when not nil, is the value of a
// missing or null key.
func (c *layerConfig) pair(key string, def []int) [2]int {
	c.allow(key)
	v, ok := c.m[key]
	if (!ok || v == nil) && def != nil {
		return [2]int{def[0], def[1]}
	}
	var raw []any
	switch x := v.(type) {
	case float64:
		raw = []any{x, x}
	case []any:
		raw = x
	}
	var p [2]int
	if len(raw) != 2 {
		c.fail("%s: %s %v: want an integer or a list of 2 integers", c.class, key, v)
		return p
	}
	for i, e := range raw {
		f, isNum := e.(float64)
		if !isNum || f != math.Trunc(f) || f < 1 || f > math.MaxInt32 {
			c.fail("%s: %s %v: want positive integers", c.class, key, v)
			return p
		}
		p[i] = int(f)
	}
	return p
}

func (c *layerConfig) boolOr(key string, def bool) bool {
	c.allow(key)
	v, ok := c.m[key]
	if !ok {
		return def
	}
	b, ok := v.(bool)
	if !ok {
		c.fail("%s: %s %v: want true or false", c.class, key, v)
	}
	return b
}

func (c *layerConfig) stringOr(key, def string) string {
	c.allow(key)
	v, ok := c.m[key]
	if !ok || v == nil {
		return def
	}
	s, ok := v.(string)
	if !ok && key == "activation" {
		c.fail("%s: %s %v: want a name (a custom or serialized activation is not supported)", c.class, key, v)
	} else if !ok {
		c.fail("%s: %s %v: want a string", c.class, key, v)
	}
	return s
}

// null requires the keys, when present, to be null: options Go does not
// implement.
func (c *layerConfig) null(keys ...string) {
	for _, k := range keys {
		c.allow(k)
		if v, ok := c.m[k]; ok && v != nil {
			c.fail("%s: %s %v is not supported", c.class, k, v)
		}
	}
}

// equal requires key, when present, to be one of values.
func (c *layerConfig) equal(key string, values ...any) {
	c.allow(key)
	if v, ok := c.m[key]; ok && !slices.Contains(values, v) {
		c.fail("%s: %s %v is not supported: want %v", c.class, key, v, values[0])
	}
}

// finish reports the first error, or a key the class does not know.
func (c *layerConfig) finish() error {
	if c.err != nil {
		return c.err
	}
	var unknown []string
	for k := range c.m {
		if !slices.Contains(c.seen, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return fmt.Errorf("%s: options %v are not supported", c.class, unknown)
	}
	return nil
}
