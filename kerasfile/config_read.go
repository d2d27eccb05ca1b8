package kerasfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// rawObject is any serialized Keras object, decoded only as far as needed to
// tell what it is.
type rawObject struct {
	Module         string          `json:"module"`
	ClassName      string          `json:"class_name"`
	Config         json.RawMessage `json:"config"`
	RegisteredName *string         `json:"registered_name"`
	BuildConfig    json.RawMessage `json:"build_config"`
	CompileConfig  json.RawMessage `json:"compile_config"`
}

// parseConfig reads config.json into a Model without weights. A compiled
// model's Compile has the optimizer's config and the learning rate it
// sets, no variables.
//
// It refuses what the model's weights could not be read for, or what
// would be lost in a Model: another kind of model, a nested model, a layer
// of custom code, a layer that is not float32 or is frozen, an input of
// unknown dimensions, and compile settings beyond loss and metrics.
func parseConfig(data []byte) (Model, error) {
	var top rawObject
	if err := json.Unmarshal(data, &top); err != nil {
		return Model{}, fmt.Errorf("%s: %w", configMember, err)
	}
	m, err := parseSequential(top)
	if err != nil {
		return Model{}, fmt.Errorf("%s: %w", configMember, err)
	}
	return m, nil
}

func parseSequential(top rawObject) (Model, error) {
	if top.ClassName != "Sequential" {
		return Model{}, fmt.Errorf("the model is a %q; kerasfile reads Keras's Sequential models", top.ClassName)
	}
	if top.Module != "keras" || top.RegisteredName != nil {
		return Model{}, fmt.Errorf("the model is a Sequential of module %s, registered_name %s: custom code; kerasfile reads Keras's Sequential models",
			pyString(top.Module), pyName(top.RegisteredName))
	}
	var seq struct {
		Name      string            `json:"name"`
		Trainable *bool             `json:"trainable"`
		DType     json.RawMessage   `json:"dtype"`
		Layers    []json.RawMessage `json:"layers"`
	}
	if err := json.Unmarshal(top.Config, &seq); err != nil {
		return Model{}, fmt.Errorf("Sequential config: %w", err)
	}
	if seq.Trainable != nil && !*seq.Trainable {
		return Model{}, errors.New("the model is frozen (trainable false); kerasfile reads trainable models")
	}
	if err := checkDType(seq.DType); err != nil {
		return Model{}, fmt.Errorf("the model's %w", err)
	}
	m := Model{Name: seq.Name}
	if len(seq.Layers) == 0 {
		return Model{}, errors.New("the model has no InputLayer (was it saved before it was built?)")
	}
	var err error
	if m.InputShape, err = parseInputLayer(seq.Layers[0]); err != nil {
		return Model{}, err
	}
	seen := map[string]int{}
	for i, raw := range seq.Layers[1:] {
		l, err := parseLayer(i, raw)
		if err != nil {
			return Model{}, err
		}
		if j, ok := seen[l.Name]; ok {
			return Model{}, fmt.Errorf("layers %d and %d are both named %q", j, i, l.Name)
		}
		seen[l.Name] = i
		m.Layers = append(m.Layers, l)
	}
	if m.Compile, err = parseCompile(top.CompileConfig); err != nil {
		return Model{}, fmt.Errorf("compile_config: %w", err)
	}
	return m, nil
}

// parseInputLayer returns the input shape of the model's first layer,
// which must be its InputLayer.
func parseInputLayer(raw json.RawMessage) ([]int, error) {
	var o rawObject
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, fmt.Errorf("InputLayer: %w", err)
	}
	if o.ClassName != "InputLayer" {
		return nil, fmt.Errorf("the model has no InputLayer (its first layer is a %q): was it saved before it was built?", o.ClassName)
	}
	var c struct {
		BatchShape []*int          `json:"batch_shape"`
		DType      json.RawMessage `json:"dtype"`
		Sparse     bool            `json:"sparse"`
		Ragged     bool            `json:"ragged"`
	}
	if err := json.Unmarshal(o.Config, &c); err != nil {
		return nil, fmt.Errorf("InputLayer: %w", err)
	}
	if c.BatchShape == nil {
		return nil, errors.New("InputLayer has no batch_shape")
	}
	if err := checkDType(c.DType); err != nil {
		return nil, fmt.Errorf("InputLayer %w", err)
	}
	if c.Sparse || c.Ragged {
		return nil, fmt.Errorf("InputLayer is sparse %v, ragged %v; kerasfile reads dense inputs", c.Sparse, c.Ragged)
	}
	shape, err := unbatched(c.BatchShape)
	if err != nil {
		return nil, fmt.Errorf("InputLayer batch_shape: %w", err)
	}
	if len(shape) == 0 {
		return nil, fmt.Errorf("InputLayer batch_shape %s has no dimension besides the batch", jsonShape(c.BatchShape))
	}
	return shape, nil
}

// unbatched returns a shape Keras writes with its batch dimension first,
// [null, 28, 28], without it. A fixed batch size or an unknown dimension
// is refused: a Model has neither.
func unbatched(s []*int) ([]int, error) {
	if len(s) == 0 || s[0] != nil {
		return nil, fmt.Errorf("%s does not start with the batch dimension, null", jsonShape(s))
	}
	shape := []int{}
	for _, d := range s[1:] {
		if d == nil || *d <= 0 || *d > maxDim {
			return nil, fmt.Errorf("%s has an unknown or impossible dimension", jsonShape(s))
		}
		shape = append(shape, *d)
	}
	return shape, nil
}

// pyString and pyName print a string of config.json that may be null
// (decoded as "" and nil) as the file has it.
func pyString(s string) string {
	if s == "" {
		return "null"
	}
	return fmt.Sprintf("%q", s)
}

func pyName(s *string) string {
	if s == nil {
		return "null"
	}
	return fmt.Sprintf("%q", *s)
}

func jsonShape(s []*int) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// parseLayer reads the layer model.layers[i].
func parseLayer(i int, raw json.RawMessage) (Layer, error) {
	var o rawObject
	if err := json.Unmarshal(raw, &o); err != nil {
		return Layer{}, fmt.Errorf("layer %d: %w", i, err)
	}
	var config map[string]any
	if err := json.Unmarshal(o.Config, &config); err != nil || config == nil {
		return Layer{}, fmt.Errorf("layer %d (%s): config %s is not a JSON object", i, o.ClassName, o.Config)
	}
	name, _ := config["name"].(string)
	if name == "" {
		return Layer{}, fmt.Errorf("layer %d (%s) has no name", i, o.ClassName)
	}
	at := layerLabel(i, name)
	switch {
	case o.ClassName == "InputLayer":
		return Layer{}, fmt.Errorf("%s is a second InputLayer; kerasfile reads a Sequential with one input", at)
	case slices.Contains(nestedModels, o.ClassName):
		return Layer{}, fmt.Errorf("%s is a nested %s model; kerasfile reads a flat Sequential", at, o.ClassName)
	case o.Module != "keras.layers" || o.RegisteredName != nil:
		// A registered class is custom code, whose class name may be a
		// built-in one's.
		return Layer{}, fmt.Errorf("%s is a %s of module %s, registered_name %s; kerasfile reads Keras's built-in layers (module keras.layers)",
			at, o.ClassName, pyString(o.Module), pyName(o.RegisteredName))
	case snakeCase(o.ClassName) == "":
		return Layer{}, fmt.Errorf("%s: class name %q names no weights group", at, o.ClassName)
	}
	if t, ok := config["trainable"]; ok && t != true {
		return Layer{}, fmt.Errorf("%s: trainable is %v; kerasfile reads trainable layers", at, t)
	}
	var c struct {
		DType json.RawMessage `json:"dtype"`
	}
	json.Unmarshal(o.Config, &c) // an object, as decoded above
	if err := checkDType(c.DType); err != nil {
		return Layer{}, fmt.Errorf("%s: %w", at, err)
	}
	delete(config, "name")
	delete(config, "trainable")
	delete(config, "dtype")
	l := Layer{ClassName: o.ClassName, Name: name, Config: config}
	if !isNull(o.BuildConfig) {
		var b struct {
			InputShape []*int `json:"input_shape"`
		}
		if err := json.Unmarshal(o.BuildConfig, &b); err != nil || b.InputShape == nil {
			return Layer{}, fmt.Errorf("%s: build_config %s has no input_shape list", at, o.BuildConfig)
		}
		shape, err := unbatched(b.InputShape)
		if err != nil {
			return Layer{}, fmt.Errorf("%s: build_config input_shape: %w", at, err)
		}
		l.BuildInputShape = shape
	}
	return l, nil
}

// checkDType accepts a float32 dtype policy, as a name or a DTypePolicy
// object, or none (Keras's default is float32).
func checkDType(raw json.RawMessage) error {
	if isNull(raw) {
		return nil
	}
	var name string
	if json.Unmarshal(raw, &name) != nil {
		var o struct {
			Config struct {
				Name string `json:"name"`
			} `json:"config"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			return fmt.Errorf("dtype %s: %w", raw, err)
		}
		name = o.Config.Name
	}
	if name != "float32" {
		return fmt.Errorf("dtype policy is %q, want float32", name)
	}
	return nil
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

// parseCompile returns the Compile of a compile_config, nil for a model
// that was never compiled.
func parseCompile(raw json.RawMessage) (*Compile, error) {
	if isNull(raw) || string(bytes.TrimSpace(raw)) == "{}" {
		return nil, nil
	}
	var c struct {
		Optimizer       json.RawMessage `json:"optimizer"`
		Loss            json.RawMessage `json:"loss"`
		LossWeights     json.RawMessage `json:"loss_weights"`
		Metrics         json.RawMessage `json:"metrics"`
		WeightedMetrics json.RawMessage `json:"weighted_metrics"`
		StepsPerExec    json.RawMessage `json:"steps_per_execution"`
		JITCompile      json.RawMessage `json:"jit_compile"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	steps, jit, err := parseExecution(c.StepsPerExec, c.JITCompile)
	if err != nil {
		return nil, err
	}
	// Both change what fit computes, and a Compile has no place for them.
	if !isNull(c.LossWeights) {
		return nil, fmt.Errorf("loss_weights is %s; kerasfile reads a compile of optimizer, loss and metrics", c.LossWeights)
	}
	if t := bytes.TrimSpace(c.WeightedMetrics); !isNull(t) && string(t) != "[]" {
		return nil, fmt.Errorf("weighted_metrics is %s; kerasfile reads a compile of optimizer, loss and metrics", t)
	}
	if t := bytes.TrimSpace(c.Metrics); !isNull(t) && t[0] != '[' {
		return nil, fmt.Errorf("metrics is %s, want a list", t)
	}
	if isNull(c.Optimizer) {
		return nil, errors.New("no optimizer")
	}
	var opt rawObject
	if err := json.Unmarshal(c.Optimizer, &opt); err != nil {
		return nil, fmt.Errorf("optimizer %s is not a serialized Keras optimizer: %w", c.Optimizer, err)
	}
	if opt.Module != "keras.optimizers" || opt.RegisteredName != nil {
		return nil, fmt.Errorf("optimizer %q is of module %s, registered_name %s: custom code; kerasfile reads Keras's optimizers (%s)",
			opt.ClassName, pyString(opt.Module), pyName(opt.RegisteredName), strings.Join(OptimizerClasses, ", "))
	}
	_, lr, err := parseOptimizer(opt.ClassName, opt.Config)
	if err != nil {
		return nil, err
	}
	out := &Compile{Optimizer: Optimizer{ClassName: opt.ClassName, LearningRate: lr}, StepsPerExecution: steps, JITCompile: jit}
	for _, f := range []struct {
		raw json.RawMessage
		dst *json.RawMessage
	}{{opt.Config, &out.Optimizer.Config}, {c.Loss, &out.Loss}, {c.Metrics, &out.Metrics}} {
		if isNull(f.raw) {
			continue
		}
		var b bytes.Buffer
		if err := json.Compact(&b, f.raw); err != nil {
			return nil, err
		}
		*f.dst = b.Bytes()
	}
	return out, nil
}

// parseExecution reads compile_config's steps_per_execution (a positive
// integer; absent or null: 1) and jit_compile (true, false, or "auto",
// which Keras resolves to false on a CPU; absent or null: false).
func parseExecution(stepsRaw, jitRaw json.RawMessage) (steps int, jit bool, err error) {
	steps = 1
	if !isNull(stepsRaw) {
		var n json.Number
		d := json.NewDecoder(bytes.NewReader(stepsRaw))
		d.UseNumber()
		if err := d.Decode(&n); err != nil {
			return 0, false, fmt.Errorf("steps_per_execution is %s, want a positive integer", stepsRaw)
		}
		v, err := n.Int64()
		if err != nil || v < 1 || v > maxDim {
			return 0, false, fmt.Errorf("steps_per_execution is %s, want an integer in [1, %d]", stepsRaw, maxDim)
		}
		steps = int(v)
	}
	if !isNull(jitRaw) {
		var auto string
		if json.Unmarshal(jitRaw, &jit) != nil && (json.Unmarshal(jitRaw, &auto) != nil || auto != "auto") {
			return 0, false, fmt.Errorf(`jit_compile is %s, want true, false or "auto"`, jitRaw)
		}
	}
	return steps, jit, nil
}
