package kerasfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// Model is a Keras 3 Sequential: one input, layers in order with their
// weights, and the compile config with the optimizer's state.
type Model struct {
	// Name is the Sequential's name; "sequential" when empty.
	Name string
	// InputShape is one example's shape: the InputLayer's batch_shape
	// without the batch dimension.
	InputShape []int
	// Layers are the layers after the InputLayer, in order: Layers[i] is
	// Python's model.layers[i].
	Layers []Layer
	// Compile is nil for a model that was not compiled: Keras loads it
	// ready to predict, but fit needs a compile first.
	Compile *Compile
}

// Layer is one layer: its Keras class, its name, its class-specific config,
// and its variables.
type Layer struct {
	// ClassName is Keras's class_name: "Dense", "Flatten", "Dropout",
	// "Reshape", "Conv2D"... kerasfile does not restrict it: the caller
	// knows which classes it implements.
	ClassName string
	// Name must be unique in the model. Write names empty ones as Keras
	// does in a fresh session: the snake_case of the class and a counter
	// per class (dense, dense_1, flatten, re_lu, ...).
	Name string
	// Config holds the class's own get_config keys (Dense: units,
	// activation, use_bias, kernel_initializer, ...). Write adds name,
	// trainable and the float32 dtype policy itself; Read returns the
	// file's config without those three, once it has checked that the
	// layer is float32 and trainable. Numbers read from a file are float64,
	// as encoding/json decodes them.
	Config map[string]any
	// BuildInputShape is the input shape, without the batch dimension,
	// that Keras records in the layer's build_config; nil for no
	// build_config (Keras writes none for Dropout or Reshape).
	BuildInputShape []int
	// NonTrainable is how many of the last Weights are not trained
	// (BatchNormalization's moving mean and variance): the optimizer keeps
	// no slots for them. Read sets it from the class (nonTrainableVars).
	NonTrainable int
	// Weights are the layer's variables in Keras's order, which is their
	// order in model.weights.h5 (layers/<key>/vars/0, 1, ...): Dense's
	// kernel, then its bias. A layer without variables has none.
	Weights []Weight
}

// Weight is one float32 variable with its shape, its values row-major.
// An empty shape is a scalar.
type Weight struct {
	Shape  []int
	Values []float32
}

// Compile is model.compile's config and the optimizer's state.
type Compile struct {
	Optimizer Optimizer
	// Loss is the loss as config.json has it, compacted: a string
	// ("binary_crossentropy") or a serialized object
	// ({"module":"keras.losses","class_name":...,"config":{...},"registered_name":null}).
	// Read returns nil for a null or absent loss; Write writes nil as null.
	Loss json.RawMessage
	// Metrics is the metrics list as config.json has it, compacted: a list
	// of strings or serialized objects. Read returns nil for a null or
	// absent list; Write writes nil as null.
	Metrics json.RawMessage
	// StepsPerExecution and JITCompile are compile's arguments of those
	// names: how many steps fit runs per call, and whether XLA compiles
	// them. Read gives 1 for an absent or null steps_per_execution and
	// false for an absent, null or "auto" jit_compile (Keras resolves
	// "auto" to no XLA on a CPU); Write writes 0 as 1.
	StepsPerExecution int
	JITCompile        bool
}

// nestedModels are the classes of models, which Read and Write refuse as
// layers: their variables nest under layers of their own.
var nestedModels = []string{"Sequential", "Functional", "Model"}

// maxDim bounds each dimension of an input shape or a build shape, so that
// sizes computed from them cannot overflow.
const maxDim = 1 << 24

// validate checks that Write can save m as a file Keras loads and Read
// reads back as m.
func (m Model) validate() error {
	if len(m.InputShape) == 0 {
		return errors.New("no input shape: Model.InputShape is empty")
	}
	if err := checkShape(m.InputShape); err != nil {
		return fmt.Errorf("input shape: %w", err)
	}
	names := m.layerNames()
	seen := map[string]int{}
	values := 0 // float32 values to store, bounded by maxWeightsSize
	for i, l := range m.Layers {
		at := layerLabel(i, names[i])
		if !classPattern.MatchString(l.ClassName) {
			return fmt.Errorf("%s: class name %q is not a Keras class name (a Python identifier)", at, l.ClassName)
		}
		if l.ClassName == "InputLayer" {
			return fmt.Errorf("%s is an InputLayer; Write writes the model's InputLayer itself, from Model.InputShape", at)
		}
		if slices.Contains(nestedModels, l.ClassName) {
			return fmt.Errorf("%s is a nested %s model; kerasfile writes a flat Sequential", at, l.ClassName)
		}
		if j, ok := seen[names[i]]; ok {
			return fmt.Errorf("%s: name %q is layer %d's too; Keras wants layer names unique", at, names[i], j)
		}
		seen[names[i]] = i
		for _, k := range []string{"name", "trainable", "dtype"} {
			if _, ok := l.Config[k]; ok {
				return fmt.Errorf("%s: Config sets %q; Write adds name, trainable and dtype itself", at, k)
			}
		}
		if _, err := classConfig(l.ClassName, l.Config).MarshalJSON(); err != nil {
			return fmt.Errorf("%s: Config: %w", at, err)
		}
		if l.BuildInputShape != nil {
			if err := checkShape(l.BuildInputShape); err != nil {
				return fmt.Errorf("%s: build input shape: %w", at, err)
			}
		}
		for j, w := range l.Weights {
			if err := w.check(); err != nil {
				return fmt.Errorf("%s weight %d: %w", at, j, err)
			}
			values += len(w.Values)
		}
	}
	if c := m.Compile; c != nil {
		n, err := c.validate(m)
		if err != nil {
			return err
		}
		values += n
	}
	if 4*int64(values) > maxWeightsSize {
		return fmt.Errorf("the model's variables and the optimizer's take %d bytes, more than the limit of %d bytes of %s that Read accepts",
			4*int64(values), maxWeightsSize, weightsMember)
	}
	return nil
}

// check verifies that w's values fill its shape.
func (w Weight) check() error {
	n := 1
	for _, d := range w.Shape {
		if d < 0 || d > maxWeightsSize/4 {
			return fmt.Errorf("shape %s has a dimension out of range", shapeString(w.Shape))
		}
		if n *= d; n > maxWeightsSize/4 {
			return fmt.Errorf("shape %s holds more than %d values", shapeString(w.Shape), maxWeightsSize/4)
		}
	}
	if len(w.Values) != n {
		return fmt.Errorf("%d values, its shape %s holds %d", len(w.Values), shapeString(w.Shape), n)
	}
	return nil
}

// checkShape bounds each dimension of an input or build shape.
func checkShape(shape []int) error {
	for _, d := range shape {
		if d <= 0 || d > maxDim {
			return fmt.Errorf("%s has a dimension out of range (1 to %d)", shapeString(shape), maxDim)
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

// layerNames returns the layers' names, with Keras's defaults for empty
// ones.
func (m Model) layerNames() []string {
	keys := m.groupKeys()
	names := make([]string, len(m.Layers))
	for i, l := range m.Layers {
		names[i] = l.Name
		if names[i] == "" {
			names[i] = keys[i]
		}
	}
	return names
}

// groupKeys returns the name of each layer's group under layers/ in
// model.weights.h5, which is also the name Keras gives the layer by default
// in a fresh session.
func (m Model) groupKeys() []string {
	classes := make([]string, len(m.Layers))
	for i, l := range m.Layers {
		classes[i] = l.ClassName
	}
	return groupKeys(classes)
}

// inputLayerName returns the InputLayer's name: Keras's default,
// input_layer, unless a layer has that name already.
func (m Model) inputLayerName() string {
	names := m.layerNames()
	name := "input_layer"
	for i := 1; slices.Contains(names, name); i++ {
		name = fmt.Sprintf("input_layer_%d", i)
	}
	return name
}

// layerLabel names a layer in errors as Python's model.layers indexes it.
func layerLabel(i int, name string) string {
	return fmt.Sprintf("layer %d (%s)", i, name)
}
