package kerasfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// KerasVersion is the Keras release whose .keras layout this package writes
// and was tested against; it goes into metadata.json as keras_version.
const KerasVersion = "3.15.1"

// The JSON below reproduces what Keras 3's model.save writes for a
// Sequential, key for key and in the same order, so that a file written here
// diffs cleanly against one written by Python.

type object struct {
	Module         string       `json:"module"`
	ClassName      string       `json:"class_name"`
	Config         any          `json:"config"`
	RegisteredName *string      `json:"registered_name"`
	BuildConfig    *buildConfig `json:"build_config,omitempty"`
}

type buildConfig struct {
	InputShape []*int `json:"input_shape"`
}

type modelObject struct {
	object
	// CompileConfig is {} for a model that was never compiled, as Keras
	// writes it.
	CompileConfig any `json:"compile_config"`
}

type sequentialConfig struct {
	Name            string   `json:"name"`
	Trainable       bool     `json:"trainable"`
	DType           object   `json:"dtype"`
	Layers          []object `json:"layers"`
	BuildInputShape []*int   `json:"build_input_shape"`
}

type inputLayerConfig struct {
	BatchShape []*int `json:"batch_shape"`
	DType      string `json:"dtype"`
	Sparse     bool   `json:"sparse"`
	Ragged     bool   `json:"ragged"`
	Name       string `json:"name"`
	Optional   bool   `json:"optional"`
}

type flattenConfig struct {
	Name       string `json:"name"`
	Trainable  bool   `json:"trainable"`
	DType      object `json:"dtype"`
	DataFormat string `json:"data_format"`
}

type denseConfig struct {
	Name               string `json:"name"`
	Trainable          bool   `json:"trainable"`
	DType              object `json:"dtype"`
	Units              int    `json:"units"`
	Activation         string `json:"activation"`
	UseBias            bool   `json:"use_bias"`
	KernelInitializer  object `json:"kernel_initializer"`
	BiasInitializer    object `json:"bias_initializer"`
	KernelRegularizer  any    `json:"kernel_regularizer"`
	BiasRegularizer    any    `json:"bias_regularizer"`
	KernelConstraint   any    `json:"kernel_constraint"`
	BiasConstraint     any    `json:"bias_constraint"`
	QuantizationConfig any    `json:"quantization_config"`
}

type compileConfig struct {
	Optimizer         object   `json:"optimizer"`
	Loss              string   `json:"loss"`
	LossWeights       any      `json:"loss_weights"`
	Metrics           []string `json:"metrics"`
	WeightedMetrics   any      `json:"weighted_metrics"`
	RunEagerly        bool     `json:"run_eagerly"`
	StepsPerExecution int      `json:"steps_per_execution"`
	JITCompile        bool     `json:"jit_compile"`
}

type adamConfig struct {
	Name                     string  `json:"name"`
	LearningRate             float64 `json:"learning_rate"`
	WeightDecay              any     `json:"weight_decay"`
	ClipNorm                 any     `json:"clipnorm"`
	GlobalClipNorm           any     `json:"global_clipnorm"`
	ClipValue                any     `json:"clipvalue"`
	UseEMA                   bool    `json:"use_ema"`
	EMAMomentum              float64 `json:"ema_momentum"`
	EMAOverwriteFrequency    any     `json:"ema_overwrite_frequency"`
	LossScaleFactor          any     `json:"loss_scale_factor"`
	GradientAccumulationStep any     `json:"gradient_accumulation_steps"`
	Beta1                    float64 `json:"beta_1"`
	Beta2                    float64 `json:"beta_2"`
	Epsilon                  float64 `json:"epsilon"`
	AMSGrad                  bool    `json:"amsgrad"`
}

func float32Policy() object {
	return object{Module: "keras", ClassName: "DTypePolicy", Config: map[string]string{"name": "float32"}}
}

// batchShape returns (None, dims...) as JSON sees it.
func batchShape(dims ...int) []*int {
	s := []*int{nil}
	for _, d := range dims {
		s = append(s, &d)
	}
	return s
}

// configJSON returns config.json for m, which Validate has accepted.
func configJSON(m Model) ([]byte, error) {
	layers := []object{
		{
			Module: "keras.layers", ClassName: "InputLayer",
			Config: inputLayerConfig{BatchShape: batchShape(m.InputShape...), DType: "float32", Name: "input_layer"},
		},
		{
			Module: "keras.layers", ClassName: "Flatten",
			Config:      flattenConfig{Name: "flatten", Trainable: true, DType: float32Policy(), DataFormat: "channels_last"},
			BuildConfig: &buildConfig{batchShape(m.InputShape...)},
		},
	}
	in, names := product(m.InputShape), m.layerNames()
	for i, l := range m.Layers {
		layers = append(layers, object{
			Module: "keras.layers", ClassName: "Dense",
			Config: denseConfig{
				Name: names[i], Trainable: true, DType: float32Policy(),
				Units: l.Units, Activation: l.Activation, UseBias: true,
				// The initializers are Dense's defaults; they only matter to
				// a model that Python rebuilds from scratch.
				KernelInitializer: object{
					Module: "keras.initializers", ClassName: "GlorotUniform",
					Config: map[string]any{"seed": nil, "input_axes": nil, "output_axes": nil},
				},
				BiasInitializer: object{Module: "keras.initializers", ClassName: "Zeros", Config: map[string]any{}},
			},
			BuildConfig: &buildConfig{batchShape(in)},
		})
		in = l.Units
	}
	var compile any = map[string]any{}
	if o := m.Optimizer; o != nil {
		compile = compileConfig{
			Optimizer: object{
				Module: "keras.optimizers", ClassName: "Adam",
				Config: adamConfig{
					Name: "adam",
					// Keras holds the rate as a float32 variable and writes
					// that float32 widened to float64: 0.0010000000474974513.
					LearningRate: float64(o.LearningRate),
					EMAMomentum:  0.99,
					Beta1:        o.Beta1, Beta2: o.Beta2, Epsilon: o.Epsilon,
				},
			},
			Loss:              "sparse_categorical_crossentropy",
			Metrics:           []string{"accuracy"},
			StepsPerExecution: 1,
		}
	}
	if o := m.OtherOptimizer; o != nil {
		compile = compileConfig{
			Optimizer:         object{Module: "keras.optimizers", ClassName: o.ClassName, Config: o.Config},
			Loss:              "sparse_categorical_crossentropy",
			Metrics:           []string{"accuracy"},
			StepsPerExecution: 1,
		}
	}
	top := modelObject{
		object: object{
			Module: "keras", ClassName: "Sequential",
			Config: sequentialConfig{
				Name: m.name(), Trainable: true, DType: float32Policy(),
				Layers: layers, BuildInputShape: batchShape(m.InputShape...),
			},
			BuildConfig: &buildConfig{batchShape(m.InputShape...)},
		},
		CompileConfig: compile,
	}
	return json.Marshal(top)
}

// metadataJSON returns metadata.json as Keras writes it.
func metadataJSON(now time.Time) ([]byte, error) {
	return json.Marshal(struct {
		KerasVersion string `json:"keras_version"`
		DateSaved    string `json:"date_saved"`
	}{KerasVersion, now.Format("2006-01-02@15:04:05")})
}

// maxDim bounds each dimension and layer width read from config.json, and
// the flattened input's width, so that sizes computed from them cannot
// overflow.
const maxDim = 1 << 24

// rawObject is any serialized Keras object, decoded only as far as needed to
// tell what it is.
type rawObject struct {
	Module      string          `json:"module"`
	ClassName   string          `json:"class_name"`
	Config      json.RawMessage `json:"config"`
	BuildConfig *struct {
		InputShape []*int `json:"input_shape"`
	} `json:"build_config"`
	CompileConfig json.RawMessage `json:"compile_config"`
}

// parseConfig reads config.json into a Model without weights. Optimizer is
// set, with no slots, when the model was compiled.
//
// It refuses whatever the Go side could not honour when it trains or writes
// the model back: other layers, other dtypes, regularizers and constraints,
// frozen layers, and optimizers or losses other than the tutorial's.
func parseConfig(data []byte) (Model, error) {
	var top rawObject
	if err := json.Unmarshal(data, &top); err != nil {
		return Model{}, fmt.Errorf("config.json: %w", err)
	}
	if top.ClassName != "Sequential" {
		return Model{}, fmt.Errorf("config.json: model is a %q, want a Sequential of Flatten and Dense layers", top.ClassName)
	}
	var seq struct {
		Name            string          `json:"name"`
		Trainable       *bool           `json:"trainable"`
		DType           json.RawMessage `json:"dtype"`
		Layers          []rawObject     `json:"layers"`
		BuildInputShape []*int          `json:"build_input_shape"`
	}
	if err := json.Unmarshal(top.Config, &seq); err != nil {
		return Model{}, fmt.Errorf("config.json: Sequential config: %w", err)
	}
	if seq.Trainable != nil && !*seq.Trainable {
		return Model{}, errors.New("config.json: the model is frozen (trainable false)")
	}
	if err := checkDType(seq.DType); err != nil {
		return Model{}, fmt.Errorf("config.json: model: %w", err)
	}
	m := Model{Name: seq.Name}
	layers := seq.Layers
	var shape []*int
	if len(layers) > 0 && layers[0].ClassName == "InputLayer" {
		var c struct {
			BatchShape      []*int `json:"batch_shape"`
			BatchInputShape []*int `json:"batch_input_shape"` // Keras 2's name
		}
		if err := json.Unmarshal(layers[0].Config, &c); err != nil {
			return Model{}, fmt.Errorf("config.json: InputLayer: %w", err)
		}
		shape = c.BatchShape
		if shape == nil {
			shape = c.BatchInputShape
		}
		layers = layers[1:]
	}
	// model.layers in Python leaves out the InputLayer: layer i below is
	// model.layers[i].
	if len(layers) == 0 || layers[0].ClassName != "Flatten" {
		got := "missing"
		if len(layers) > 0 {
			got = layers[0].ClassName
		}
		return Model{}, fmt.Errorf("config.json: layer 0 is %s, want Flatten", got)
	}
	var flat struct {
		DataFormat string          `json:"data_format"`
		Trainable  *bool           `json:"trainable"`
		DType      json.RawMessage `json:"dtype"`
	}
	if err := json.Unmarshal(layers[0].Config, &flat); err != nil {
		return Model{}, fmt.Errorf("config.json: layer 0 (Flatten): %w", err)
	}
	// channels_first makes Flatten move axis 1 last before flattening,
	// which would change which kernel row each pixel meets.
	if flat.DataFormat != "" && flat.DataFormat != "channels_last" {
		return Model{}, fmt.Errorf("config.json: layer 0 (Flatten) has data_format %q, want channels_last", flat.DataFormat)
	}
	for _, s := range [][]*int{shape, buildShape(layers[0]), seq.BuildInputShape, buildShape(top)} {
		if shape == nil {
			shape = s
		}
	}
	if len(shape) < 2 || shape[0] != nil {
		return Model{}, errors.New("config.json: no input shape (batch_shape or build_input_shape): was the model saved before it was built?")
	}
	for _, d := range shape[1:] {
		if d == nil || *d <= 0 || *d > maxDim {
			return Model{}, fmt.Errorf("config.json: input shape %s has an unknown or impossible dimension", jsonShape(shape))
		}
		m.InputShape = append(m.InputShape, *d)
	}
	if err := checkInputShape(m.InputShape); err != nil {
		return Model{}, fmt.Errorf("config.json: %w", err)
	}

	for i, l := range layers[1:] {
		i++ // index in model.layers
		if l.ClassName != "Dense" {
			return Model{}, fmt.Errorf("config.json: layer %d is %s, want Dense", i, l.ClassName)
		}
		d, err := parseDense(l.Config)
		if err != nil {
			return Model{}, fmt.Errorf("config.json: layer %d (%s): %w", i, d.Name, err)
		}
		m.Layers = append(m.Layers, d)
	}
	if len(m.Layers) == 0 {
		return Model{}, errors.New("config.json: no Dense layer after Flatten")
	}

	opt, other, err := parseCompile(top.CompileConfig)
	if err != nil {
		return Model{}, fmt.Errorf("config.json: compile_config: %w", err)
	}
	m.Optimizer, m.OtherOptimizer = opt, other
	return m, nil
}

func buildShape(o rawObject) []*int {
	if o.BuildConfig == nil {
		return nil
	}
	return o.BuildConfig.InputShape
}

func jsonShape(s []*int) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func parseDense(raw json.RawMessage) (Dense, error) {
	var c struct {
		Name               string          `json:"name"`
		Trainable          *bool           `json:"trainable"`
		DType              json.RawMessage `json:"dtype"`
		Units              int             `json:"units"`
		Activation         json.RawMessage `json:"activation"`
		UseBias            *bool           `json:"use_bias"`
		KernelRegularizer  json.RawMessage `json:"kernel_regularizer"`
		BiasRegularizer    json.RawMessage `json:"bias_regularizer"`
		ActivityRegularize json.RawMessage `json:"activity_regularizer"`
		KernelConstraint   json.RawMessage `json:"kernel_constraint"`
		BiasConstraint     json.RawMessage `json:"bias_constraint"`
		QuantizationConfig json.RawMessage `json:"quantization_config"`
		LoraRank           json.RawMessage `json:"lora_rank"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return Dense{}, err
	}
	d := Dense{Name: c.Name, Units: c.Units}
	if err := json.Unmarshal(c.Activation, &d.Activation); err != nil || d.Activation == "" {
		return d, fmt.Errorf("activation %s is not a built-in activation name", c.Activation)
	}
	if c.Units <= 0 || c.Units > maxDim {
		return d, fmt.Errorf("%d units", c.Units)
	}
	if c.Trainable != nil && !*c.Trainable {
		return d, errors.New("the layer is frozen (trainable false)")
	}
	if c.UseBias != nil && !*c.UseBias {
		return d, errors.New("use_bias is false; kerasfile reads Dense layers with a bias")
	}
	if err := checkDType(c.DType); err != nil {
		return d, err
	}
	for _, f := range []struct {
		key string
		v   json.RawMessage
	}{
		{"kernel_regularizer", c.KernelRegularizer}, {"bias_regularizer", c.BiasRegularizer},
		{"activity_regularizer", c.ActivityRegularize},
		{"kernel_constraint", c.KernelConstraint}, {"bias_constraint", c.BiasConstraint},
		{"quantization_config", c.QuantizationConfig}, {"lora_rank", c.LoraRank},
	} {
		if !isNull(f.v) {
			return d, fmt.Errorf("%s is %s; kerasfile reads plain Dense layers", f.key, f.v)
		}
	}
	return d, nil
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

// parseCompile returns the optimizer of a compile_config, Adam or another
// (OptimizerClasses), nil for a model that was never compiled.
func parseCompile(raw json.RawMessage) (*Adam, *Optimizer, error) {
	if isNull(raw) || string(bytes.TrimSpace(raw)) == "{}" {
		return nil, nil, nil
	}
	adam, err := parseAdamCompile(raw)
	if err == errOtherOptimizer {
		var c struct {
			Optimizer rawObject `json:"optimizer"`
		}
		if err := json.Unmarshal(raw, &c); err != nil {
			return nil, nil, err
		}
		other, err := parseOtherOptimizer(c.Optimizer)
		return nil, other, err
	}
	return adam, nil, err
}

// errOtherOptimizer is parseAdamCompile's answer for an optimizer of
// OptimizerClasses.
var errOtherOptimizer = errors.New("another optimizer")

// parseAdamCompile returns the Adam optimizer of a compile_config, or
// errOtherOptimizer.
func parseAdamCompile(raw json.RawMessage) (*Adam, error) {
	var c struct {
		Optimizer json.RawMessage `json:"optimizer"`
		Loss      json.RawMessage `json:"loss"`
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, err
	}
	if err := checkLoss(c.Loss); err != nil {
		return nil, err
	}
	var opt rawObject
	if err := json.Unmarshal(c.Optimizer, &opt); err != nil {
		return nil, fmt.Errorf("optimizer %s: %w", c.Optimizer, err)
	}
	if slices.Contains(OptimizerClasses, opt.ClassName) {
		return nil, errOtherOptimizer
	}
	if opt.ClassName != "Adam" {
		return nil, fmt.Errorf("optimizer is %q, want Adam or %s", opt.ClassName, strings.Join(OptimizerClasses, ", "))
	}
	var a struct {
		LearningRate json.RawMessage `json:"learning_rate"`
		Beta1        json.RawMessage `json:"beta_1"`
		Beta2        json.RawMessage `json:"beta_2"`
		Epsilon      json.RawMessage `json:"epsilon"`
		AMSGrad      bool            `json:"amsgrad"`
		UseEMA       bool            `json:"use_ema"`
		// Options that change what a training step does or which
		// variables the optimizer keeps; Go's Adam has none of them.
		WeightDecay    json.RawMessage `json:"weight_decay"`
		ClipNorm       json.RawMessage `json:"clipnorm"`
		GlobalClipNorm json.RawMessage `json:"global_clipnorm"`
		ClipValue      json.RawMessage `json:"clipvalue"`
		LossScale      json.RawMessage `json:"loss_scale_factor"`
		GradAccum      json.RawMessage `json:"gradient_accumulation_steps"`
	}
	if err := json.Unmarshal(opt.Config, &a); err != nil {
		return nil, fmt.Errorf("Adam config: %w", err)
	}
	if a.AMSGrad {
		return nil, errors.New("Adam has amsgrad on; kerasfile supports plain Adam")
	}
	if a.UseEMA {
		return nil, errors.New("Adam has use_ema on; kerasfile supports plain Adam")
	}
	for _, f := range []struct {
		key string
		v   json.RawMessage
	}{
		{"weight_decay", a.WeightDecay}, {"clipnorm", a.ClipNorm}, {"global_clipnorm", a.GlobalClipNorm},
		{"clipvalue", a.ClipValue}, {"loss_scale_factor", a.LossScale}, {"gradient_accumulation_steps", a.GradAccum},
	} {
		if !isNull(f.v) {
			return nil, fmt.Errorf("Adam has %s %s; kerasfile supports plain Adam", f.key, f.v)
		}
	}
	// A schedule is an object; Keras always writes a rate.
	if isNull(a.LearningRate) || bytes.TrimSpace(a.LearningRate)[0] == '{' {
		return nil, fmt.Errorf("Adam learning_rate %s is not a number (a schedule?); kerasfile supports a constant rate", a.LearningRate)
	}
	adam := DefaultAdam()
	lr, err := parseHyper("learning_rate", a.LearningRate, checkLearningRate)
	if err != nil {
		return nil, err
	}
	adam.LearningRate = float32(*lr)
	for _, p := range []struct {
		key   string
		raw   json.RawMessage
		check func(label, text string, v float64) error
		dst   *float64
	}{
		{"beta_1", a.Beta1, checkBeta, &adam.Beta1},
		{"beta_2", a.Beta2, checkBeta, &adam.Beta2},
		{"epsilon", a.Epsilon, checkEpsilon, &adam.Epsilon},
	} {
		v, err := parseHyper(p.key, p.raw, p.check)
		if err != nil {
			return nil, err
		}
		if v != nil {
			*p.dst = *v
		}
	}
	return adam, nil
}

// checkLoss accepts the tutorial's loss in either form Keras writes it: the
// name given to compile, or a serialized SparseCategoricalCrossentropy on
// probabilities.
func checkLoss(raw json.RawMessage) error {
	var name string
	if json.Unmarshal(raw, &name) == nil {
		if name != "sparse_categorical_crossentropy" {
			return fmt.Errorf("loss is %q, want sparse_categorical_crossentropy", name)
		}
		return nil
	}
	var o rawObject
	if err := json.Unmarshal(raw, &o); err != nil || o.ClassName != "SparseCategoricalCrossentropy" {
		return fmt.Errorf("loss is %s, want sparse_categorical_crossentropy", raw)
	}
	var c struct {
		FromLogits  bool            `json:"from_logits"`
		IgnoreClass json.RawMessage `json:"ignore_class"`
	}
	if err := json.Unmarshal(o.Config, &c); err != nil {
		return fmt.Errorf("loss config: %w", err)
	}
	if c.FromLogits || !isNull(c.IgnoreClass) {
		return fmt.Errorf("loss is SparseCategoricalCrossentropy with from_logits %v, ignore_class %s; want the defaults", c.FromLogits, c.IgnoreClass)
	}
	return nil
}
