package tfmodel

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/gokeras/fashion/graph"
	"github.com/gokeras/fashion/kerasfile"
)

// SaveKeras writes the model as a Keras 3 native .keras file (see package
// kerasfile): keras.models.load_model returns it as a compiled Sequential
// with these layers, weights, loss, metrics and optimizer state, so fit
// continues where Go stopped, and LoadKeras reads it back. The write is
// atomic. A model whose weights or optimizer state are NaN or infinite is
// refused (ErrNotFinite) unless opts say AllowNonFinite.
func (m *Sequential) SaveKeras(path string, opts ...SaveOption) error {
	if err := m.ready(); err != nil {
		return err
	}
	fail := func(err error) error { return fmt.Errorf("tfmodel: save keras %s: %w", path, err) }
	if !saveConfigOf(opts).allowNonFinite {
		if err := m.checkFinite(m.net.state()); err != nil {
			return fail(err)
		}
	}
	snap, err := m.takeSnapshot()
	if err != nil {
		return fail(err)
	}
	km := kerasfile.Model{Name: "sequential", InputShape: m.InputShape()}
	in := m.inputShape
	for i, l := range m.layers {
		kl := kerasfile.Layer{ClassName: l.ClassName(), Name: l.Name(), Config: l.Config(),
			NonTrainable: len(m.net.layers[i].NonTrainable())}
		if recordsBuild(l) {
			kl.BuildInputShape = slices.Clone(in)
		}
		for _, v := range m.net.layerVars[i] {
			w, err := weightOf(snap, v)
			if err != nil {
				return fail(err)
			}
			kl.Weights = append(kl.Weights, w)
		}
		km.Layers = append(km.Layers, kl)
		in = m.shapes[i]
	}
	compile, err := m.kerasCompile(snap)
	if err != nil {
		return fail(err)
	}
	km.Compile = compile
	if err := kerasfile.Write(path, km); err != nil {
		return fmt.Errorf("tfmodel: %w", err)
	}
	return nil
}

// recordsBuild reports whether Keras writes a build_config for the layer:
// for those whose build it records (Keras writes none for Dropout and
// Reshape).
func recordsBuild(l Layer) bool {
	switch l.ClassName() {
	case "Dropout", "Reshape":
		return false
	}
	return true
}

// kerasCompile is the compile config and optimizer state of the model.
func (m *Sequential) kerasCompile(snap snapshot) (*kerasfile.Compile, error) {
	st := m.net.optState
	lr := snap[st.LearningRate].Value().(float32)
	o := m.compiled.Optimizer.WithLearningRate(float64(lr))
	serialized, err := graph.SerializeOptimizer(o)
	if err != nil {
		return nil, err
	}
	var top struct {
		Config json.RawMessage `json:"config"`
	}
	if err := json.Unmarshal(serialized, &top); err != nil {
		return nil, err
	}
	ko := kerasfile.Optimizer{
		ClassName: o.ClassName(), Config: top.Config,
		Iterations: snap[st.Iterations].Value().(int64), LearningRate: lr,
	}
	for _, v := range st.Variables()[2:] {
		w, err := weightOf(snap, v)
		if err != nil {
			return nil, err
		}
		ko.Slots = append(ko.Slots, w)
	}
	loss, err := graph.SerializeLoss(m.compiled.Loss)
	if err != nil {
		return nil, err
	}
	metrics, err := json.Marshal(m.compiled.Metrics)
	if err != nil {
		return nil, err
	}
	if len(m.compiled.Metrics) == 0 {
		metrics = json.RawMessage("null")
	}
	return &kerasfile.Compile{Optimizer: ko, Loss: loss, Metrics: metrics,
		StepsPerExecution: m.compiled.StepsPerExecution, JITCompile: m.compiled.JITCompile}, nil
}

// shapeOfVar is a variable's shape as a .keras file writes shapes.
func shapeOfVar(v *graph.Variable) []int {
	shape := make([]int, len(v.Shape))
	for i, d := range v.Shape {
		shape[i] = int(d)
	}
	return shape
}

// weightOf is a variable's value as a .keras file holds it.
func weightOf(snap snapshot, v *graph.Variable) (kerasfile.Weight, error) {
	data, err := snap.floats(v)
	if err != nil {
		return kerasfile.Weight{}, err
	}
	return kerasfile.Weight{Shape: shapeOfVar(v), Values: data}, nil
}

// LoadKeras reads a .keras file saved by Keras 3 (or by SaveKeras) holding
// a Sequential of supported layers (graph.KnownLayers) and returns it
// compiled as the file says (loss, metrics, optimizer with its state), with
// its weights, ready to Predict or to Fit further. A model saved without a
// compile config is compiled with DefaultCompileOptions. A part Go does not
// support is an error naming it and listing what is supported. The caller
// must Close the model.
func LoadKeras(path string) (*Sequential, error) {
	return LoadKerasWith(path, CompileOptions{})
}

// LoadKerasWith is LoadKeras with the seed and thread settings of opts (its
// optimizer, loss and metrics are the file's, or opts' when the file has
// no compile config). The execution (StepsPerExecution, JITCompile) is
// opts' when opts.StepsPerExecution is set (at least 1), else the file's.
func LoadKerasWith(path string, opts CompileOptions) (*Sequential, error) {
	fail := func(err error) (*Sequential, error) { return nil, fmt.Errorf("tfmodel: load keras %s: %w", path, err) }
	km, err := kerasfile.Read(path)
	if err != nil {
		return nil, fmt.Errorf("tfmodel: %w", err)
	}
	layers := []Layer{Input(km.InputShape...)}
	for i, kl := range km.Layers {
		l, err := graph.LayerFromConfig(kl.ClassName, kl.Config)
		if err != nil {
			return fail(fmt.Errorf("layer %d (%s): %w", i, kl.Name, err)) // numbered from 0, as Python's model.layers and kerasfile number them
		}
		l.SetName(kl.Name)
		layers = append(layers, l)
	}
	m, err := NewSequential(layers...)
	if err != nil {
		return fail(err)
	}
	if opts.Optimizer == nil {
		d := DefaultCompileOptions()
		opts.Optimizer, opts.Loss, opts.Metrics = d.Optimizer, d.Loss, d.Metrics
	}
	c := km.Compile
	if c != nil {
		if opts.Optimizer, err = graph.OptimizerFromKeras(c.Optimizer.ClassName, c.Optimizer.Config); err != nil {
			return fail(err)
		}
		opts.Optimizer = opts.Optimizer.WithLearningRate(float64(c.Optimizer.LearningRate))
		if opts.Loss, err = graph.LossFromJSON(c.Loss); err != nil {
			return fail(err)
		}
		if opts.Metrics, err = metricNames(c.Metrics); err != nil {
			return fail(err)
		}
		if opts.StepsPerExecution == 0 {
			opts.StepsPerExecution, opts.JITCompile = c.StepsPerExecution, c.JITCompile
		}
	}
	if err := m.Compile(opts); err != nil {
		return fail(err)
	}
	if err := m.assignKeras(km); err != nil {
		m.Close()
		return fail(err)
	}
	return m, nil
}

// metricNames reads compile_config's metrics: a list of Keras's strings
// (or serialized metric objects, kept as their JSON for graph.GetMetric).
func metricNames(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		var one json.RawMessage
		if json.Unmarshal(raw, &one) != nil {
			return nil, fmt.Errorf("metrics %s: want a list", raw)
		}
		items = []json.RawMessage{one}
	}
	names := make([]string, len(items))
	for i, it := range items {
		var s string
		if err := json.Unmarshal(it, &s); err == nil {
			names[i] = s
			continue
		}
		names[i] = string(it)
	}
	return names, nil
}

// assignKeras sets the weights and optimizer state of a compiled model from
// a .keras file's; the running metrics start from zero.
func (m *Sequential) assignKeras(km kerasfile.Model) error {
	snap := snapshot{}
	for i, kl := range km.Layers {
		want := m.net.layerVars[i]
		if len(kl.Weights) != len(want) {
			return fmt.Errorf("layer %s: %d variables, want %d", kl.Name, len(kl.Weights), len(want))
		}
		for j, w := range kl.Weights {
			v := want[j]
			if shape := shapeOfVar(v); !slices.Equal(w.Shape, shape) {
				return fmt.Errorf("layer %s: variable %s has shape %v, the layer needs %v", kl.Name, v.Name, w.Shape, shape)
			}
			if err := snap.setFloats(v, w.Values); err != nil {
				return fmt.Errorf("layer %s: %w", kl.Name, err)
			}
		}
	}
	st := m.net.optState
	slots := st.Variables()[2:]
	var iterations int64
	lr := float32(m.compiled.Optimizer.InitialLearningRate())
	var values []kerasfile.Weight
	if c := km.Compile; c != nil {
		iterations, lr, values = c.Optimizer.Iterations, c.Optimizer.LearningRate, c.Optimizer.Slots
		if values != nil && len(values) != len(slots) {
			return fmt.Errorf("%s: %d slot variables, want %d", c.Optimizer.ClassName, len(values), len(slots))
		}
	}
	for i, v := range slots {
		data := make([]float32, v.Size()) // a fresh optimizer's zeros
		if values != nil {
			if want := shapeOfVar(v); !slices.Equal(values[i].Shape, want) {
				return fmt.Errorf("optimizer variable %s has shape %v, want %v", v.Name, values[i].Shape, want)
			}
			data = values[i].Values
		}
		if err := snap.setFloats(v, data); err != nil {
			return err
		}
	}
	if err := snap.setScalar(st.Iterations, iterations); err != nil {
		return err
	}
	if err := snap.setScalar(st.LearningRate, lr); err != nil {
		return err
	}
	// Layers' own state (Dropout's seed generator) starts where Build
	// starts it: Keras does not save it either.
	if err := m.keepLayerState(snap); err != nil {
		return err
	}
	if err := m.zeroMetrics(snap); err != nil {
		return err
	}
	return m.restoreSnapshot(snap)
}

// keepLayerState copies the layers' current state into snap.
func (m *Sequential) keepLayerState(snap snapshot) error {
	if len(m.net.layerState) == 0 {
		return nil
	}
	current, err := m.takeSnapshot()
	if err != nil {
		return err
	}
	for _, v := range m.net.layerState {
		snap[v] = current[v]
	}
	return nil
}
