package graph

import (
	"fmt"
	"slices"
	"strings"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// MaxPooling2D is keras.layers.MaxPooling2D, channels last: the maximum of
// each window of PoolSize, moved by Strides, channel by channel. It is
// TensorFlow's MaxPool, which tf.nn.max_pool runs for Keras.
type MaxPooling2D struct {
	named
	PoolSize, Strides [2]int
	Padding           string // "valid" or "same"
}

// NewMaxPooling2D is keras.layers.MaxPooling2D(pool_size): strides equal
// to the pool size, "valid" padding.
func NewMaxPooling2D(poolSize [2]int) *MaxPooling2D {
	return &MaxPooling2D{PoolSize: poolSize, Strides: poolSize, Padding: "valid"}
}

func (p *MaxPooling2D) ClassName() string { return "MaxPooling2D" }

func (p *MaxPooling2D) Config() map[string]any { return poolConfig(p.PoolSize, p.Strides, p.Padding) }

func (p *MaxPooling2D) OutputShape(in []int) ([]int, error) {
	return poolOutputShape("max_pooling2d "+p.Name(), in, p.PoolSize, p.Strides, p.Padding)
}

func (p *MaxPooling2D) Params([]int) int64 { return 0 }

func (p *MaxPooling2D) Build(_ *Builder, in []int) (Built, error) {
	if _, err := p.OutputShape(in); err != nil {
		return nil, err
	}
	return &poolBuilt{name: p.Name(), max: true, size: p.PoolSize, strides: p.Strides, padding: p.Padding}, nil
}

// AveragePooling2D is keras.layers.AveragePooling2D, channels last: the
// mean of each window of PoolSize, moved by Strides, channel by channel;
// with "same" padding a window at the border averages only the values
// inside the image. It is TensorFlow's AvgPool, which tf.nn.avg_pool runs
// for Keras.
type AveragePooling2D struct {
	named
	PoolSize, Strides [2]int
	Padding           string // "valid" or "same"
}

// NewAveragePooling2D is keras.layers.AveragePooling2D(pool_size):
// strides equal to the pool size, "valid" padding.
func NewAveragePooling2D(poolSize [2]int) *AveragePooling2D {
	return &AveragePooling2D{PoolSize: poolSize, Strides: poolSize, Padding: "valid"}
}

func (p *AveragePooling2D) ClassName() string { return "AveragePooling2D" }

func (p *AveragePooling2D) Config() map[string]any {
	return poolConfig(p.PoolSize, p.Strides, p.Padding)
}

func (p *AveragePooling2D) OutputShape(in []int) ([]int, error) {
	return poolOutputShape("average_pooling2d "+p.Name(), in, p.PoolSize, p.Strides, p.Padding)
}

func (p *AveragePooling2D) Params([]int) int64 { return 0 }

func (p *AveragePooling2D) Build(_ *Builder, in []int) (Built, error) {
	if _, err := p.OutputShape(in); err != nil {
		return nil, err
	}
	return &poolBuilt{name: p.Name(), size: p.PoolSize, strides: p.Strides, padding: p.Padding}, nil
}

// poolConfig is the pooling layers' get_config as Keras 3 writes it.
func poolConfig(size, strides [2]int, padding string) map[string]any {
	return map[string]any{
		"pool_size": slices.Clone(size[:]), "padding": padding, "strides": slices.Clone(strides[:]),
		"data_format": "channels_last",
	}
}

// poolOutputShape is [height', width', channels], Keras's
// compute_pooling_output_shape; a pool larger than the image with "valid"
// padding is an error.
func poolOutputShape(layer string, in []int, size, strides [2]int, padding string) ([]int, error) {
	if err := checkWindow("pool size", size, strides, [2]int{1, 1}, padding); err != nil {
		return nil, fmt.Errorf("%s: %w", layer, err)
	}
	if err := checkImage(in); err != nil {
		return nil, fmt.Errorf("%s: %w", layer, err)
	}
	h, w, err := windowOutput(in, size, strides, [2]int{1, 1}, padding)
	if err != nil {
		return nil, fmt.Errorf("%s: pool size %v: %w", layer, size, err)
	}
	return []int{h, w, in[2]}, nil
}

// poolBuilt is MaxPooling2D (max) or AveragePooling2D.
type poolBuilt struct {
	name          string
	max           bool
	size, strides [2]int
	padding       string
}

func (p *poolBuilt) Call(s *op.Scope, x Value, _ bool) Value {
	s = sub(s, p.name)
	ksize := []int64{1, int64(p.size[0]), int64(p.size[1]), 1}
	strides := []int64{1, int64(p.strides[0]), int64(p.strides[1]), 1}
	padding := strings.ToUpper(p.padding)
	var y tf.Output
	if p.max {
		y = op.MaxPool(sub(s, "MaxPool"), x.Out, ksize, strides, padding, op.MaxPoolDataFormat("NHWC"))
	} else {
		y = op.AvgPool(sub(s, "AvgPool"), x.Out, ksize, strides, padding, op.AvgPoolDataFormat("NHWC"))
	}
	return Value{Out: y}
}

func (*poolBuilt) Weights() []*Variable      { return nil }
func (*poolBuilt) State() []*Variable        { return nil }
func (*poolBuilt) NonTrainable() []*Variable { return nil }
