package kerasfile

import (
	"encoding/json"
	"fmt"
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

type compileConfig struct {
	Optimizer         object          `json:"optimizer"`
	Loss              json.RawMessage `json:"loss"`
	LossWeights       any             `json:"loss_weights"`
	Metrics           json.RawMessage `json:"metrics"`
	WeightedMetrics   any             `json:"weighted_metrics"`
	RunEagerly        bool            `json:"run_eagerly"`
	StepsPerExecution int             `json:"steps_per_execution"`
	JITCompile        bool            `json:"jit_compile"`
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

// configJSON returns config.json for m, which validate has accepted.
func configJSON(m Model) ([]byte, error) {
	layers := []object{{
		Module: "keras.layers", ClassName: "InputLayer",
		Config: inputLayerConfig{BatchShape: batchShape(m.InputShape...), DType: "float32", Name: m.inputLayerName()},
	}}
	names := m.layerNames()
	for i, l := range m.Layers {
		// Keras's get_config starts with the base Layer's keys, then the
		// class's own.
		config := jsonObject{{"name", names[i]}, {"trainable", true}, {"dtype", float32Policy()}}
		config = append(config, classConfig(l.ClassName, l.Config)...)
		o := object{Module: "keras.layers", ClassName: l.ClassName, Config: config}
		if l.BuildInputShape != nil {
			o.BuildConfig = &buildConfig{batchShape(l.BuildInputShape...)}
		}
		layers = append(layers, o)
	}
	var compile any = map[string]any{}
	if c := m.Compile; c != nil {
		compile = compileConfig{
			Optimizer:         object{Module: "keras.optimizers", ClassName: c.Optimizer.ClassName, Config: c.Optimizer.Config},
			Loss:              c.Loss,
			Metrics:           c.Metrics,
			StepsPerExecution: max(c.StepsPerExecution, 1),
			JITCompile:        c.JITCompile,
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
	b, err := json.Marshal(top)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", configMember, err)
	}
	return b, nil
}

// metadataJSON returns metadata.json as Keras writes it.
func metadataJSON(now time.Time) ([]byte, error) {
	return json.Marshal(struct {
		KerasVersion string `json:"keras_version"`
		DateSaved    string `json:"date_saved"`
	}{KerasVersion, now.Format("2006-01-02@15:04:05")})
}
