package graph

import (
	"fmt"
	"math"
	"slices"
)

// KnownLayers lists the Keras layer classes LayerFromConfig makes.
func KnownLayers() []string { return []string{"Dense", "Dropout", "Flatten", "Reshape"} }

// LayerFromConfig makes the layer of a Keras class from its config as a
// .keras file holds it (without name, trainable and dtype). Options Go does
// not implement (regularizers, constraints, LoRA, quantization, another
// data format, a Dropout noise shape) are errors naming them; an unknown
// class is an error listing the known ones.
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
	default:
		return nil, fmt.Errorf("layer class %q is not supported: want one of %v", class, KnownLayers())
	}
	if err := c.finish(); err != nil {
		return nil, err
	}
	return l, nil
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
	if !ok {
		c.fail("%s: %s %v: want a name (a custom or serialized activation is not supported)", c.class, key, v)
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
