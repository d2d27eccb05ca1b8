package graph

import (
	"fmt"
	"regexp"
	"strings"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// Layer is one of Keras's layers, after keras/src/layers/layer.py: it knows
// its Keras class, name and config, computes its output shape from its
// input shape, and Build adds its variables to a graph for inputs of that
// shape (Keras's build), returning the built layer that Call adds the
// computation with (Keras's call, with the training flag).
//
// Shapes here are one example's, without the batch dimension, as Keras's
// summary prints them after (None, ...).
type Layer interface {
	// ClassName is Keras's class name: "Dense", "Flatten", ...
	ClassName() string
	// Name is the layer's name, the prefix of its variables' names; empty
	// until the model names it (SetName) as Keras does: dense, dense_1, ...
	Name() string
	SetName(name string)
	// Config is Keras's get_config without the keys every layer has (name,
	// trainable, dtype), which the model adds.
	Config() map[string]any
	// OutputShape is the shape of one output example for an input example
	// of shape in, or an error naming what does not fit.
	OutputShape(in []int) ([]int, error)
	// Params is the number of trainable parameters for inputs of shape in,
	// as Keras's summary counts them (NonTrainableParams, when a layer has
	// it, counts the others).
	Params(in []int) int64
	// Build adds the layer's variables for inputs of shape in.
	Build(b *Builder, in []int) (Built, error)
}

// Built is a layer whose variables exist in a graph.
type Built interface {
	// Call adds the layer's computation on x. training is Keras's flag:
	// Dropout drops only in training.
	Call(s *op.Scope, x Value, training bool) Value
	// Weights are the trainable variables in Keras's order (Dense: kernel,
	// bias): what the optimizer updates and a .keras file holds.
	Weights() []*Variable
	// NonTrainable are the variables that are part of the model but that
	// the optimizer does not update (BatchNormalization's moving mean and
	// variance, which its training Call updates): after Weights in a
	// .keras file's vars and in a SavedModel, counted as Keras's
	// "Non-trainable params".
	NonTrainable() []*Variable
	// State are non-trainable variables that training updates (Dropout's
	// seed generator); checkpoints keep them so that a resumed run draws
	// what the uninterrupted one would.
	State() []*Variable
}

// NonTrainableParams is implemented by layers with non-trainable
// variables (BatchNormalization): their number for inputs of shape in.
type NonTrainableParams interface {
	NonTrainableParams(in []int) int64
}

// Value is a layer's output in the graph. Logits is set when Out is the
// softmax or sigmoid of it, as Keras 3 attaches _keras_logits to those
// activations' outputs: the cross-entropy losses then compute from the
// logits, exactly and stably, as Keras does.
type Value struct {
	Out    tf.Output
	Logits tf.Output
	// From is the activation that made Out from Logits (Softmax or Sigmoid).
	From Activation
	// Updates are state changes the layer makes when it computes this
	// value (Dropout advancing its seed generator); the model gathers every
	// layer's and a training step runs them with its update.
	Updates []*tf.Operation
}

// HasLogits reports whether v carries the logits behind an activation.
func (v Value) HasLogits() bool { return v.Logits.Op != nil }

// Builder is where Build adds variables: the graph's root scope and how
// variables come to be. For training, a variable gets its initial value
// (Keras's initializers, drawn from Seed); for an export, Variable makes a
// variable that is only ever restored.
type Builder struct {
	Root *op.Scope
	// Seed makes the initial weights reproducible: each layer that draws
	// random weights takes the next of the seeds (Seed, 0), (Seed, 1), ...
	Seed int64
	// Inference is set when the graph only predicts: layers skip what only
	// training needs (Dropout's seed generator).
	Inference bool
	// Variable, when set, replaces NewVariable (the initial value is then
	// not used).
	Variable func(name string, dtype tf.DataType, shape []int64) (*Variable, error)

	draws int64
}

// NextSeed returns the seed of the next random draw.
func (b *Builder) NextSeed() [2]int64 {
	s := [2]int64{b.Seed, b.draws}
	b.draws++
	return s
}

// AddWeight adds a variable called name with the given initial value,
// computed in a scope of its own by initial.
func (b *Builder) AddWeight(name string, dtype tf.DataType, shape []int64, initial func(s *op.Scope) tf.Output) (*Variable, error) {
	if b.Variable != nil {
		return b.Variable(name, dtype, shape)
	}
	return NewVariable(b.Root, name, dtype, shape, initial(b.Root.SubScope(strings.ReplaceAll(name, "/", "_")+"_init")))
}

// named is the name half of every layer.
type named struct{ name string }

func (n *named) Name() string        { return n.name }
func (n *named) SetName(name string) { n.name = name }

// NameLayers gives every unnamed layer Keras's default name, the snake_case
// of its class with a counter per class (dense, dense_1, flatten, ...), as
// a fresh Keras session names them, and checks that names are unique.
func NameLayers(layers []Layer) error {
	counts := map[string]int{}
	seen := map[string]bool{}
	for _, l := range layers {
		if l.Name() != "" {
			seen[l.Name()] = true
		}
	}
	for i, l := range layers {
		if l.Name() == "" {
			base := SnakeCase(l.ClassName())
			for {
				name := base
				if k := counts[base]; k > 0 {
					name = fmt.Sprintf("%s_%d", base, k)
				}
				counts[base]++
				if !seen[name] {
					l.SetName(name)
					seen[name] = true
					break
				}
			}
			continue
		}
		for _, other := range layers[:i] {
			if other.Name() == l.Name() {
				return fmt.Errorf("layer %d: the name %q is taken by an earlier layer", i, l.Name())
			}
		}
	}
	return nil
}

// SnakeCase is Keras's to_snake_case (keras/src/utils/naming.py): "Dense"
// → "dense", "MaxPooling2D" → "max_pooling2d", "AdamW" → "adam_w",
// "Conv2D" → "conv2d".
func SnakeCase(class string) string {
	s := nonWord.ReplaceAllString(class, "")
	s = capitalWord.ReplaceAllString(s, "${1}_${2}")
	return strings.ToLower(lowerUpper.ReplaceAllString(s, "${1}_${2}"))
}

var (
	nonWord     = regexp.MustCompile(`\W+`)
	capitalWord = regexp.MustCompile(`(.)([A-Z][a-z]+)`)
	lowerUpper  = regexp.MustCompile(`([a-z])([A-Z])`)
)

// batchShape is the TensorFlow shape of a batch of examples of shape example.
func batchShape(example []int) []int64 {
	s := []int64{-1}
	for _, d := range example {
		s = append(s, int64(d))
	}
	return s
}

func size(shape []int) int64 {
	n := int64(1)
	for _, d := range shape {
		n *= int64(d)
	}
	return n
}

// Forward adds the forward pass of built layers, one after the other, on
// x: Keras's model(x, training=training). The value it returns carries
// every layer's updates. Training, evaluation, prediction, the SavedModel
// export and the benchmark's probe all compute through it.
func Forward(s *op.Scope, layers []Built, x tf.Output, training bool) Value {
	v := Value{Out: x}
	var updates []*tf.Operation
	for _, l := range layers {
		v = l.Call(s, v, training)
		updates = append(updates, v.Updates...)
	}
	v.Updates = updates
	return v
}
