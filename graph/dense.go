package graph

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// Dense is keras.layers.Dense: activation(x·kernel + bias), with a
// [in, units] kernel (Glorot-uniform) and a [units] bias (zeros). Its input
// is one vector per example (Flatten first for images).
type Dense struct {
	named
	Units      int
	Activation Activation
	UseBias    bool
}

// NewDense is keras.layers.Dense(units, activation) with a bias, Keras's
// default.
func NewDense(units int, activation Activation) *Dense {
	if activation == "" || activation == "none" {
		activation = Linear // Keras's default, and the name its config holds
	}
	return &Dense{Units: units, Activation: activation, UseBias: true}
}

func (d *Dense) ClassName() string { return "Dense" }

// Config is Dense's get_config as Keras 3 writes it.
func (d *Dense) Config() map[string]any {
	return map[string]any{
		"units":               d.Units,
		"activation":          string(d.Activation),
		"use_bias":            d.UseBias,
		"kernel_initializer":  glorotUniformConfig(),
		"bias_initializer":    initializerConfig("Zeros"),
		"kernel_regularizer":  nil,
		"bias_regularizer":    nil,
		"kernel_constraint":   nil,
		"bias_constraint":     nil,
		"quantization_config": nil,
	}
}

func (d *Dense) check(in []int) error {
	if d.Units <= 0 {
		return fmt.Errorf("dense %s: units %d must be positive", d.Name(), d.Units)
	}
	if _, err := ParseActivation(string(d.Activation)); err != nil {
		return fmt.Errorf("dense %s: %w", d.Name(), err)
	}
	if len(in) != 1 || in[0] <= 0 {
		return fmt.Errorf("dense %s: input shape %v: Dense takes one vector per example here (put Flatten before it)", d.Name(), in)
	}
	return nil
}

// OutputShape is [units].
func (d *Dense) OutputShape(in []int) ([]int, error) {
	if err := d.check(in); err != nil {
		return nil, err
	}
	return []int{d.Units}, nil
}

// Params is in·units + units (without a bias, in·units).
func (d *Dense) Params(in []int) int64 {
	n := size(in) * int64(d.Units)
	if d.UseBias {
		n += int64(d.Units)
	}
	return n
}

// Build adds "<name>/kernel", Glorot-uniform from the builder's next seed,
// and "<name>/bias", zeros.
func (d *Dense) Build(b *Builder, in []int) (Built, error) {
	if err := d.check(in); err != nil {
		return nil, err
	}
	act, _ := ParseActivation(string(d.Activation))
	fanIn, units := int64(in[0]), int64(d.Units)
	seed := b.NextSeed()
	kernel, err := b.AddWeight(d.Name()+"/kernel", tf.Float, []int64{fanIn, units}, func(s *op.Scope) tf.Output {
		return GlorotUniform(s, [2]int64{fanIn, units}, seed)
	})
	if err != nil {
		return nil, err
	}
	built := &denseBuilt{name: d.Name(), act: act, kernel: kernel}
	if d.UseBias {
		if built.bias, err = b.AddWeight(d.Name()+"/bias", tf.Float, []int64{units}, func(s *op.Scope) tf.Output {
			return Zeros(s, []int64{units})
		}); err != nil {
			return nil, err
		}
	}
	return built, nil
}

type denseBuilt struct {
	name         string
	act          Activation
	kernel, bias *Variable
}

// Call is x·kernel + bias, then the activation. The bias is added with
// BiasAdd, which computes what Keras's ops.add computes, element for
// element.
func (d *denseBuilt) Call(s *op.Scope, x Value, _ bool) Value {
	s = sub(s, d.name)
	y := op.MatMul(sub(s, "MatMul"), x.Out, d.kernel.Value)
	if d.bias != nil {
		y = op.BiasAdd(sub(s, "BiasAdd"), y, d.bias.Value)
	}
	return d.act.apply(s, y)
}

func (d *denseBuilt) Weights() []*Variable {
	if d.bias == nil {
		return []*Variable{d.kernel}
	}
	return []*Variable{d.kernel, d.bias}
}

func (d *denseBuilt) State() []*Variable { return nil }

func (*denseBuilt) NonTrainable() []*Variable { return nil }
