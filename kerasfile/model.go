package kerasfile

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Model is a Keras Sequential of one Flatten layer followed by Dense layers,
// with its weights, and the optimizer's state of training when it was
// compiled: Adam's, or another optimizer's (OtherOptimizer).
type Model struct {
	// Name is the Sequential's name; "sequential" when empty.
	Name string
	// InputShape is the shape of one sample, without the batch dimension:
	// [28 28] for Fashion-MNIST.
	InputShape []int
	// Layers are the Dense layers after the Flatten layer, in order.
	Layers []Dense
	// Optimizer is the Adam optimizer the model is compiled with, with the
	// tutorial's loss (sparse categorical cross-entropy) and metric
	// (accuracy). Nil means the model is not compiled: Keras then loads it
	// ready to predict, but fit needs a compile first.
	Optimizer *Adam
	// OtherOptimizer is, instead of Optimizer, another of Keras's
	// optimizers the model is compiled with (SGD, RMSprop, AdamW), with its
	// config and state.
	OtherOptimizer *Optimizer
}

// Dense is one Dense layer (always with a bias, as Keras's default).
type Dense struct {
	// Name is the layer's name, "dense", "dense_1", ...; when empty, Write
	// names the layers the way Keras does in a fresh session.
	Name string
	// Units is the layer's output width.
	Units int
	// Activation is a Keras activation name: "relu", "softmax", "linear", ...
	Activation string
	// Kernel holds in×Units weights, row-major, in Keras's (in, out) layout:
	// Kernel[i*Units+j] connects input i to unit j.
	Kernel []float32
	// Bias holds Units values.
	Bias []float32
}

// Adam is the optimizer's configuration and, optionally, its state.
type Adam struct {
	// LearningRate, Beta1, Beta2 and Epsilon are Adam's hyperparameters;
	// Keras's defaults, which the tutorial uses, are 0.001, 0.9, 0.999, 1e-7.
	LearningRate float32
	Beta1        float64
	Beta2        float64
	Epsilon      float64
	// Iterations is the number of steps taken.
	Iterations int64
	// Slots holds the moment estimates, one entry per Dense layer, or nil
	// for an optimizer that has taken no step: Write then stores zeros, which
	// is exactly the state of a fresh Adam.
	Slots []AdamSlots
}

// AdamSlots are Adam's first (momentum) and second (velocity) moment
// estimates for one Dense layer's kernel and bias, shaped like them.
type AdamSlots struct {
	KernelMomentum, KernelVelocity []float32
	BiasMomentum, BiasVelocity     []float32
}

// DefaultAdam returns Keras's Adam() as the tutorial compiles it, before
// any step.
func DefaultAdam() *Adam {
	return &Adam{LearningRate: 0.001, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7}
}

// Arch is the architecture of a Model without its weights: what a reader
// wants to find in a file.
type Arch struct {
	InputShape []int
	Layers     []DenseArch
}

// DenseArch is a Dense layer's width and activation.
type DenseArch struct {
	Units      int
	Activation string
}

func (d DenseArch) String() string { return fmt.Sprintf("Dense(%d, %s)", d.Units, d.Activation) }

// Fashion returns the tutorial's architecture: Flatten(input_shape=(28, 28)),
// Dense(128, relu), Dense(10, softmax).
func Fashion() Arch {
	return Arch{
		InputShape: []int{28, 28},
		Layers:     []DenseArch{{128, "relu"}, {10, "softmax"}},
	}
}

// NewModel returns a model of architecture a with zero weights, compiled
// with DefaultAdam, for the caller to fill in.
func NewModel(a Arch) Model {
	m := Model{Name: "sequential", InputShape: slices.Clone(a.InputShape), Optimizer: DefaultAdam()}
	in := product(a.InputShape)
	for i, l := range a.Layers {
		m.Layers = append(m.Layers, Dense{
			Name:       denseKey(i),
			Units:      l.Units,
			Activation: l.Activation,
			Kernel:     make([]float32, in*l.Units),
			Bias:       make([]float32, l.Units),
		})
		in = l.Units
	}
	return m
}

// Arch returns the model's architecture.
func (m Model) Arch() Arch {
	a := Arch{InputShape: slices.Clone(m.InputShape)}
	for _, l := range m.Layers {
		a.Layers = append(a.Layers, DenseArch{l.Units, l.Activation})
	}
	return a
}

// Params returns the number of trainable parameters: 101,770 for the
// tutorial's model.
func (m Model) Params() int {
	n, in := 0, product(m.InputShape)
	for _, l := range m.Layers {
		n += in*l.Units + l.Units
		in = l.Units
	}
	return n
}

// Match reports how m differs from want, naming layers as Keras's
// model.layers indexes them: layer 0 is the Flatten layer, layer 1 the first
// Dense layer.
func (m Model) Match(want Arch) error {
	if !slices.Equal(m.InputShape, want.InputShape) {
		return fmt.Errorf("input shape is %s, want %s", shapeString(m.InputShape), shapeString(want.InputShape))
	}
	if len(m.Layers) != len(want.Layers) {
		return fmt.Errorf("model has %d Dense layers, want %d (%s)", len(m.Layers), len(want.Layers), want)
	}
	for i, w := range want.Layers {
		if got := (DenseArch{m.Layers[i].Units, m.Layers[i].Activation}); got != w {
			return fmt.Errorf("layer %d (%s) is %s, want %s", i+1, m.Layers[i].Name, got, w)
		}
	}
	return nil
}

func (a Arch) String() string {
	s := []string{"Flatten(" + shapeString(a.InputShape) + ")"}
	for _, l := range a.Layers {
		s = append(s, l.String())
	}
	return strings.Join(s, " -> ")
}

// activations are the Keras activation names a Dense layer may have here:
// the ones that need no arguments and no custom code.
var activations = []string{
	"linear", "relu", "relu6", "sigmoid", "hard_sigmoid", "softmax", "log_softmax",
	"tanh", "elu", "selu", "gelu", "silu", "swish", "softplus", "softsign", "exponential",
	"leaky_relu", "mish",
}

// Validate checks that m is a model Keras can load: a known input shape,
// at least one Dense layer, known activations, and weights of the sizes the
// layers imply, including the optimizer's slots when present.
func (m Model) Validate() error {
	if len(m.InputShape) == 0 {
		return errors.New("no input shape")
	}
	if err := checkInputShape(m.InputShape); err != nil {
		return err
	}
	if len(m.Layers) == 0 {
		return errors.New("no Dense layer")
	}
	in := product(m.InputShape)
	for i, l := range m.Layers {
		at := fmt.Sprintf("layer %d (%s)", i+1, l.Name)
		if l.Units <= 0 || l.Units > maxDim {
			return fmt.Errorf("%s: %d units", at, l.Units)
		}
		if !slices.Contains(activations, l.Activation) {
			return fmt.Errorf("%s: activation %q is not one kerasfile supports (%s)", at, l.Activation, strings.Join(activations, ", "))
		}
		if len(l.Kernel) != in*l.Units {
			return fmt.Errorf("%s: kernel has %d values, want %d×%d = %d", at, len(l.Kernel), in, l.Units, in*l.Units)
		}
		if len(l.Bias) != l.Units {
			return fmt.Errorf("%s: bias has %d values, want %d", at, len(l.Bias), l.Units)
		}
		in = l.Units
	}
	// Keras wants the names of a model's layers unique; Write names the
	// InputLayer and the Flatten layer itself.
	seen := map[string]bool{"flatten": true, "input_layer": true}
	for i, n := range m.layerNames() {
		if seen[n] {
			return fmt.Errorf("layer %d: name %q is used twice", i+1, n)
		}
		seen[n] = true
	}
	if o := m.OtherOptimizer; o != nil {
		if m.Optimizer != nil {
			return errors.New("both Optimizer and OtherOptimizer are set")
		}
		if err := o.validate(); err != nil {
			return err
		}
	}
	if o := m.Optimizer; o != nil {
		if err := validateAdam(o); err != nil {
			return fmt.Errorf("Adam: %w", err)
		}
		if o.Slots != nil {
			if len(o.Slots) != len(m.Layers) {
				return fmt.Errorf("Adam: slots for %d layers, model has %d", len(o.Slots), len(m.Layers))
			}
			for i, s := range o.Slots {
				l := m.Layers[i]
				for _, v := range []struct {
					what string
					got  []float32
					want int
				}{
					{"kernel momentum", s.KernelMomentum, len(l.Kernel)},
					{"kernel velocity", s.KernelVelocity, len(l.Kernel)},
					{"bias momentum", s.BiasMomentum, len(l.Bias)},
					{"bias velocity", s.BiasVelocity, len(l.Bias)},
				} {
					if len(v.got) != v.want {
						return fmt.Errorf("Adam: layer %d %s has %d values, want %d", i+1, v.what, len(v.got), v.want)
					}
				}
			}
		}
	}
	return nil
}

// checkInputShape bounds each dimension of an input shape and their
// product, the Flatten layer's width, so that sizes computed from them
// cannot overflow.
func checkInputShape(shape []int) error {
	n := 1
	for _, d := range shape {
		if d <= 0 || d > maxDim {
			return fmt.Errorf("input shape %s has a dimension out of range", shapeString(shape))
		}
		if n *= d; n > maxDim {
			return fmt.Errorf("input shape %s flattens to more than %d values", shapeString(shape), maxDim)
		}
	}
	return nil
}

func (m Model) name() string {
	if m.Name == "" {
		return "sequential"
	}
	return m.Name
}

// layerNames returns the Dense layers' names, filling in Keras's defaults
// for empty ones.
func (m Model) layerNames() []string {
	names := make([]string, len(m.Layers))
	for i, l := range m.Layers {
		names[i] = l.Name
		if names[i] == "" {
			names[i] = denseKey(i)
		}
	}
	return names
}

// denseKey is the name Keras gives the i-th Dense layer of a Sequential,
// both as a default layer name in a fresh session and as the layer's group
// in model.weights.h5, whatever the layer is called.
func denseKey(i int) string {
	if i == 0 {
		return "dense"
	}
	return fmt.Sprintf("dense_%d", i)
}
