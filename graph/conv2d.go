package graph

import (
	"fmt"
	"slices"
	"strings"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// Conv2D is keras.layers.Conv2D, channels last: each example is an image
// [height, width, channels] and becomes [height', width', filters], the
// activation of the convolution with a [kh, kw, channels, filters] kernel
// (Glorot-uniform, fans as Keras counts them) plus a [filters] bias
// (zeros).
type Conv2D struct {
	named
	Filters                           int
	KernelSize, Strides, DilationRate [2]int
	// Padding is "valid" (no padding) or "same" (zeros around the image so
	// that the output is ceil(input/stride) in each dimension).
	Padding    string
	Activation Activation
	UseBias    bool
}

// NewConv2D is keras.layers.Conv2D(filters, kernel_size, activation=...)
// with Keras's defaults: strides 1, "valid" padding, dilation 1, a bias.
func NewConv2D(filters int, kernelSize [2]int, activation Activation) *Conv2D {
	if activation == "" || activation == "none" {
		activation = Linear
	}
	return &Conv2D{
		Filters: filters, KernelSize: kernelSize, Strides: [2]int{1, 1}, DilationRate: [2]int{1, 1},
		Padding: "valid", Activation: activation, UseBias: true,
	}
}

func (c *Conv2D) ClassName() string { return "Conv2D" }

// Config is Conv2D's get_config as Keras 3 writes it.
func (c *Conv2D) Config() map[string]any {
	return map[string]any{
		"filters":              c.Filters,
		"kernel_size":          slices.Clone(c.KernelSize[:]),
		"strides":              slices.Clone(c.Strides[:]),
		"padding":              c.Padding,
		"data_format":          "channels_last",
		"dilation_rate":        slices.Clone(c.DilationRate[:]),
		"groups":               1,
		"activation":           string(c.Activation),
		"use_bias":             c.UseBias,
		"kernel_initializer":   glorotUniformConfig(),
		"bias_initializer":     initializerConfig("Zeros"),
		"kernel_regularizer":   nil,
		"bias_regularizer":     nil,
		"activity_regularizer": nil,
		"kernel_constraint":    nil,
		"bias_constraint":      nil,
	}
}

func (c *Conv2D) fail(format string, args ...any) error {
	return fmt.Errorf("conv2d %s: "+format, append([]any{c.Name()}, args...)...)
}

// OutputShape is [height', width', filters], Keras's
// compute_conv_output_shape; a kernel (as dilated) larger than the image
// with "valid" padding, or strides > 1 with a dilation > 1, which Keras
// refuses, are errors.
func (c *Conv2D) OutputShape(in []int) ([]int, error) {
	if c.Filters <= 0 {
		return nil, c.fail("filters %d must be positive", c.Filters)
	}
	if _, err := ParseActivation(string(c.Activation)); err != nil {
		return nil, c.fail("%w", err)
	}
	if err := checkWindow("kernel size", c.KernelSize, c.Strides, c.DilationRate, c.Padding); err != nil {
		return nil, c.fail("%w", err)
	}
	if max(c.Strides[0], c.Strides[1]) > 1 && max(c.DilationRate[0], c.DilationRate[1]) > 1 {
		return nil, c.fail("strides %v with dilation rate %v: Keras supports strides > 1 only without dilation", c.Strides, c.DilationRate)
	}
	if err := checkImage(in); err != nil {
		return nil, c.fail("%w", err)
	}
	h, w, err := windowOutput(in, c.KernelSize, c.Strides, c.DilationRate, c.Padding)
	if err != nil {
		return nil, c.fail("kernel size %v: %w", c.KernelSize, err)
	}
	return []int{h, w, c.Filters}, nil
}

// Params is kh·kw·channels·filters + filters (without a bias, the kernel
// alone).
func (c *Conv2D) Params(in []int) int64 {
	if len(in) != 3 {
		return 0
	}
	n := int64(c.KernelSize[0]) * int64(c.KernelSize[1]) * int64(in[2]) * int64(c.Filters)
	if c.UseBias {
		n += int64(c.Filters)
	}
	return n
}

// Build adds "<name>/kernel", [kh, kw, channels, filters], Glorot-uniform
// from the builder's next seed, and "<name>/bias", zeros.
func (c *Conv2D) Build(b *Builder, in []int) (Built, error) {
	if _, err := c.OutputShape(in); err != nil {
		return nil, err
	}
	act, _ := ParseActivation(string(c.Activation))
	shape := []int64{int64(c.KernelSize[0]), int64(c.KernelSize[1]), int64(in[2]), int64(c.Filters)}
	seed := b.NextSeed()
	kernel, err := b.AddWeight(c.Name()+"/kernel", tf.Float, shape, func(s *op.Scope) tf.Output {
		return GlorotUniformND(s, shape, seed)
	})
	if err != nil {
		return nil, err
	}
	built := &conv2DBuilt{
		name: c.Name(), act: act, kernel: kernel, in: [2]int{in[0], in[1]},
		kernelSize: c.KernelSize, strides: c.Strides, dilation: c.DilationRate, padding: c.Padding,
	}
	if c.UseBias {
		filters := int64(c.Filters)
		if built.bias, err = b.AddWeight(c.Name()+"/bias", tf.Float, []int64{filters}, func(s *op.Scope) tf.Output {
			return Zeros(s, []int64{filters})
		}); err != nil {
			return nil, err
		}
	}
	return built, nil
}

type conv2DBuilt struct {
	name                          string
	act                           Activation
	kernel, bias                  *Variable
	in                            [2]int // the image's height and width
	kernelSize, strides, dilation [2]int
	padding                       string
}

// Call is the convolution as tf.nn.convolution computes it on the CPU
// (keras/src/backend/tensorflow/nn.py conv), then the bias and the
// activation.
//
// Without dilation that is one Conv2D. With a dilation, tf.nn.convolution
// does not use Conv2D's dilations attribute (the CPU kernel has no dilated
// gradient): it moves the image's dilated grid into the batch
// (SpaceToBatchND), convolves with "valid" padding and moves the result
// back (BatchToSpaceND), padding and cropping as with_space_to_batch
// computes. Go builds the same three operations, which is also what the C
// API can differentiate: its registered Conv2D gradient ignores the
// dilations attribute.
//
// The bias is a BiasAdd. Keras adds it as a [1, 1, 1, filters] reshape
// and a broadcasting AddV2, whose Python gradient sums over the constant
// axes [0, 1, 2]; Grappler turns both into BiasAdd and BiasAddGrad, and
// with oneDNN the BiasAddGrad then fuses with the kernel's
// Conv2DBackpropFilter into one oneDNN primitive that sums the bias's
// gradient its own way. The C++ gradient of the AddV2 sums over axes
// BroadcastGradientArgs finds at run time, which nothing fuses; BiasAdd's
// C++ gradient is BiasAddGrad, which fuses as Keras's does. The values are
// the same (x + b, element by element) with either setting.
func (c *conv2DBuilt) Call(s *op.Scope, x Value, _ bool) Value {
	s = sub(s, c.name)
	var y tf.Output
	if c.dilation == [2]int{1, 1} {
		y = op.Conv2D(sub(s, "Conv2D"), x.Out, c.kernel.Value, []int64{1, int64(c.strides[0]), int64(c.strides[1]), 1},
			strings.ToUpper(c.padding), op.Conv2DDataFormat("NHWC"), op.Conv2DDilations([]int64{1, 1, 1, 1}))
	} else {
		paddings, crops := spaceToBatchPaddings(c.in, c.kernelSize, c.dilation, c.padding)
		block := op.Const(sub(s, "block_shape"), []int32{int32(c.dilation[0]), int32(c.dilation[1])})
		spread := op.SpaceToBatchND(sub(s, "SpaceToBatchND"), x.Out, block, op.Const(sub(s, "paddings"), paddings))
		conv := op.Conv2D(sub(s, "Conv2D"), spread, c.kernel.Value, []int64{1, 1, 1, 1}, "VALID",
			op.Conv2DDataFormat("NHWC"), op.Conv2DDilations([]int64{1, 1, 1, 1}))
		y = op.BatchToSpaceND(sub(s, "BatchToSpaceND"), conv, block, op.Const(sub(s, "crops"), crops))
	}
	if c.bias != nil {
		y = op.BiasAdd(sub(s, "BiasAdd"), y, c.bias.Value, op.BiasAddDataFormat("NHWC"))
	}
	return c.act.apply(s, y)
}

func (c *conv2DBuilt) Weights() []*Variable {
	if c.bias == nil {
		return []*Variable{c.kernel}
	}
	return []*Variable{c.kernel, c.bias}
}

func (*conv2DBuilt) State() []*Variable        { return nil }
func (*conv2DBuilt) NonTrainable() []*Variable { return nil }

// spaceToBatchPaddings are the paddings of SpaceToBatchND and the crops
// of BatchToSpaceND that tf.nn.convolution uses for a dilated kernel on an
// image of height and width in (_with_space_to_batch_base_paddings and
// required_space_to_batch_paddings): "same" pads the dilated kernel's
// extent less one, half before (rounded down) and the rest after; both
// paddings then grow at the end to a multiple of the dilation, which the
// crops take off again.
func spaceToBatchPaddings(in, kernel, dilation [2]int, padding string) (paddings, crops [][]int32) {
	for i := range 2 {
		var start, end int
		if padding == "same" {
			extra := (kernel[i] - 1) * dilation[i]
			start = extra / 2
			end = extra - start
		}
		full := in[i] + start + end
		endExtra := (dilation[i] - full%dilation[i]) % dilation[i]
		paddings = append(paddings, []int32{int32(start), int32(end + endExtra)})
		crops = append(crops, []int32{0, int32(endExtra)})
	}
	return paddings, crops
}

// checkImage requires one example to be an image [height, width,
// channels].
func checkImage(in []int) error {
	if len(in) != 3 || in[0] <= 0 || in[1] <= 0 || in[2] <= 0 {
		return fmt.Errorf("input shape %v: want an image [height, width, channels] of positive sizes (Reshape first)", in)
	}
	return nil
}

// checkWindow checks a window's sizes, strides and dilation (all
// positive) and its padding.
func checkWindow(sizeName string, size, strides, dilation [2]int, padding string) error {
	for _, v := range []struct {
		name string
		pair [2]int
	}{{sizeName, size}, {"strides", strides}, {"dilation rate", dilation}} {
		if v.pair[0] <= 0 || v.pair[1] <= 0 {
			return fmt.Errorf("%s %v: want positive sizes", v.name, v.pair)
		}
	}
	if padding != "valid" && padding != "same" {
		return fmt.Errorf("padding %q: want \"valid\" or \"same\"", padding)
	}
	return nil
}

// windowOutput is the height and width of a window sliding over an image
// [height, width, ...] as Keras's compute_conv_output_shape computes
// them: with "valid" padding (n - d·(k-1) - 1) / s + 1, which must be
// positive; with "same" padding (n - 1) / s + 1.
func windowOutput(in []int, size, strides, dilation [2]int, padding string) (h, w int, err error) {
	var out [2]int
	for i := range 2 {
		if padding == "same" {
			out[i] = (in[i]-1)/strides[i] + 1
			continue
		}
		extent := dilation[i]*(size[i]-1) + 1
		if extent > in[i] {
			return 0, 0, fmt.Errorf("a window of extent %d (size %d, dilation %d) does not fit in the input's %d with \"valid\" padding (input shape %v)",
				extent, size[i], dilation[i], in[i], in)
		}
		out[i] = (in[i]-extent)/strides[i] + 1
	}
	return out[0], out[1], nil
}
