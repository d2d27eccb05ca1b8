package tfmodel

import (
	"encoding/json"
	"fmt"

	"github.com/gokeras/fashion/graph"
	"github.com/gokeras/fashion/kerasfile"
)

// SaveKeras writes the model as a Keras 3 native .keras file (see package
// kerasfile): keras.models.load_model returns it as a compiled Sequential
// with these weights and this Adam state, so fit continues where Go
// stopped. With another optimizer (AdamW, SGD, RMSprop) the file holds its
// Keras class, config and variables in Keras's order, which load_model
// and LoadKeras restore too. The write is atomic. A model whose weights or Adam state are
// NaN or infinite is refused (ErrNotFinite) unless opts say AllowNonFinite.
func (m *Sequential) SaveKeras(path string, opts ...SaveOption) error {
	if err := m.ready(); err != nil {
		return err
	}
	if !saveConfigOf(opts).allowNonFinite {
		if err := m.checkFinite(m.net.state()); err != nil {
			return fmt.Errorf("tfmodel: save keras %s: %w", path, err)
		}
	}
	adam, ok := asAdam(m.compiled.Optimizer)
	if !ok {
		return m.saveKerasOther(path)
	}
	values, err := m.readState()
	if err != nil {
		return fmt.Errorf("tfmodel: save keras %s: %w", path, err)
	}
	km := kerasfile.Model{Name: "sequential", InputShape: m.InputShape()}
	km.Optimizer = &kerasfile.Adam{
		LearningRate: values.learningRate,
		Beta1:        float64(adam.Beta1),
		Beta2:        float64(adam.Beta2),
		Epsilon:      float64(adam.Epsilon),
		Iterations:   values.iterations,
	}
	for i, d := range m.net.dense {
		k, b := 2*i, 2*i+1
		km.Layers = append(km.Layers, kerasfile.Dense{
			Name: d.Name, Units: d.Units, Activation: string(d.Activation),
			Kernel: values.weights[k], Bias: values.weights[b],
		})
		km.Optimizer.Slots = append(km.Optimizer.Slots, kerasfile.AdamSlots{
			KernelMomentum: values.momentums[k], KernelVelocity: values.velocities[k],
			BiasMomentum: values.momentums[b], BiasVelocity: values.velocities[b],
		})
	}
	if err := kerasfile.Write(path, km); err != nil {
		return fmt.Errorf("tfmodel: %w", err)
	}
	return nil
}

// LoadKeras reads a .keras file saved by Keras 3 (or by SaveKeras) holding a
// Sequential of Flatten and Dense layers ending in softmax, and returns it
// compiled, with its weights and, when the file has them, its optimizer's
// settings and state (Adam, AdamW, SGD or RMSprop), ready to Predict or to
// Fit further. The caller must Close it.
func LoadKeras(path string) (*Sequential, error) {
	km, err := kerasfile.Read(path)
	if err != nil {
		return nil, fmt.Errorf("tfmodel: %w", err)
	}
	layers := []Layer{Flatten(km.InputShape...)}
	for _, l := range km.Layers {
		layers = append(layers, Dense(l.Units, l.Activation))
	}
	m, err := NewSequential(layers...)
	if err != nil {
		return nil, fmt.Errorf("tfmodel: load keras %s: %w", path, err)
	}
	if km.OtherOptimizer != nil {
		return loadKerasOther(path, m, km)
	}
	opts := DefaultCompileOptions()
	values := stateValues{learningRate: float32(opts.Optimizer.InitialLearningRate())}
	if a := km.Optimizer; a != nil {
		opts.Optimizer = graph.Adam{LearningRate: a.LearningRate, Beta1: float32(a.Beta1), Beta2: float32(a.Beta2), Epsilon: float32(a.Epsilon)}
		values.learningRate, values.iterations = a.LearningRate, a.Iterations
	}
	if err := m.Compile(opts); err != nil {
		return nil, fmt.Errorf("tfmodel: load keras %s: %w", path, err)
	}
	for i, l := range km.Layers {
		values.weights = append(values.weights, l.Kernel, l.Bias)
		var slots kerasfile.AdamSlots
		if km.Optimizer != nil && i < len(km.Optimizer.Slots) {
			slots = km.Optimizer.Slots[i]
		}
		values.momentums = append(values.momentums, orZeros(slots.KernelMomentum, len(l.Kernel)), orZeros(slots.BiasMomentum, len(l.Bias)))
		values.velocities = append(values.velocities, orZeros(slots.KernelVelocity, len(l.Kernel)), orZeros(slots.BiasVelocity, len(l.Bias)))
	}
	if err := m.assignState(values); err != nil {
		m.Close()
		return nil, fmt.Errorf("tfmodel: load keras %s: %w", path, err)
	}
	return m, nil
}

func orZeros(v []float32, n int) []float32 {
	if v == nil {
		return make([]float32, n)
	}
	return v
}

// asAdam returns o as a graph.Adam, if it is one.
func asAdam(o graph.Optimizer) (graph.Adam, bool) {
	switch a := o.(type) {
	case graph.Adam:
		return a, true
	case *graph.Adam:
		if a != nil {
			return *a, true
		}
	}
	return graph.Adam{}, false
}

// stateValues are the values of network.state() in Go: the weights in
// Keras's order, the optimizer's step count, learning rate and slots
// (momentums and velocities: Adam's, as a .keras file holds them; slots:
// every slot by name, whatever the optimizer).
type stateValues struct {
	weights               [][]float32
	iterations            int64
	learningRate          float32
	momentums, velocities [][]float32
	slots                 map[string][][]float32
}

// readState fetches the model's state into Go values.
func (m *Sequential) readState() (stateValues, error) {
	snap, err := m.takeSnapshot()
	if err != nil {
		return stateValues{}, err
	}
	floats := func(vs []*graph.Variable) ([][]float32, error) {
		res := make([][]float32, len(vs))
		for i, v := range vs {
			if res[i], err = snap.floats(v); err != nil {
				return nil, err
			}
		}
		return res, nil
	}
	adam := m.net.optState
	s := stateValues{slots: map[string][][]float32{}}
	if s.weights, err = floats(m.net.weights); err != nil {
		return s, err
	}
	for name, vs := range adam.Slots {
		if s.slots[name], err = floats(vs); err != nil {
			return s, err
		}
	}
	s.momentums, s.velocities = s.slots["momentum"], s.slots["velocity"]
	s.iterations = snap[adam.Iterations].Value().(int64)
	s.learningRate = snap[adam.LearningRate].Value().(float32)
	return s, nil
}

// assignState sets the model's state from Go values; the running metrics
// start from zero.
func (m *Sequential) assignState(s stateValues) error {
	adam := m.net.optState
	if len(adam.Slots) != 2 || len(adam.Slot("momentum")) != len(s.momentums) || len(adam.Slot("velocity")) != len(s.velocities) {
		return fmt.Errorf("optimizer %s: only Adam's state can be assigned", m.compiled.Optimizer.ClassName())
	}
	snap := snapshot{}
	for i, v := range m.net.weights {
		if err := snap.setFloats(v, s.weights[i]); err != nil {
			return err
		}
	}
	for i, v := range adam.Slot("momentum") {
		if err := snap.setFloats(v, s.momentums[i]); err != nil {
			return err
		}
		if err := snap.setFloats(adam.Slot("velocity")[i], s.velocities[i]); err != nil {
			return err
		}
	}
	if err := snap.setScalar(adam.Iterations, s.iterations); err != nil {
		return err
	}
	if err := snap.setScalar(adam.LearningRate, s.learningRate); err != nil {
		return err
	}
	for _, mean := range m.net.trainMetrics {
		for _, v := range []*graph.Variable{mean.Total, mean.Count} {
			if err := snap.setScalar(v, float32(0)); err != nil {
				return err
			}
		}
	}
	return m.restoreSnapshot(snap)
}

// saveKerasOther is SaveKeras for an optimizer other than graph.Adam: its
// config (with the learning rate its variable holds) and its variables,
// OptimizerState.Variables(), which are in Keras's order.
func (m *Sequential) saveKerasOther(path string) error {
	fail := func(err error) error { return fmt.Errorf("tfmodel: save keras %s: %w", path, err) }
	snap, err := m.takeSnapshot()
	if err != nil {
		return fail(err)
	}
	st := m.net.optState
	lr := snap[st.LearningRate].Value().(float32)
	o := m.compiled.Optimizer.WithLearningRate(float64(lr))
	serialized, err := graph.SerializeOptimizer(o)
	if err != nil {
		return fail(err)
	}
	var top struct {
		Config json.RawMessage `json:"config"`
	}
	if err := json.Unmarshal(serialized, &top); err != nil {
		return fail(err)
	}
	ko := &kerasfile.Optimizer{
		ClassName: o.ClassName(), Config: top.Config,
		Iterations: snap[st.Iterations].Value().(int64), LearningRate: lr,
	}
	for _, v := range st.Variables()[2:] {
		data, err := snap.floats(v)
		if err != nil {
			return fail(err)
		}
		dims := make([]int, len(v.Shape))
		for i, d := range v.Shape {
			dims[i] = int(d)
		}
		ko.Slots = append(ko.Slots, kerasfile.Variable{Dims: dims, Data: data})
	}
	km := kerasfile.Model{Name: "sequential", InputShape: m.InputShape(), OtherOptimizer: ko}
	for i, d := range m.net.dense {
		k, err := snap.floats(m.net.weights[2*i])
		if err != nil {
			return fail(err)
		}
		b, err := snap.floats(m.net.weights[2*i+1])
		if err != nil {
			return fail(err)
		}
		km.Layers = append(km.Layers, kerasfile.Dense{Name: d.Name, Units: d.Units, Activation: string(d.Activation), Kernel: k, Bias: b})
	}
	if err := kerasfile.Write(path, km); err != nil {
		return fmt.Errorf("tfmodel: %w", err)
	}
	return nil
}

// loadKerasOther compiles m, read from path, with the file's optimizer
// other than Adam and assigns the file's weights and optimizer state.
func loadKerasOther(path string, m *Sequential, km kerasfile.Model) (*Sequential, error) {
	fail := func(err error) (*Sequential, error) {
		m.Close()
		return nil, fmt.Errorf("tfmodel: load keras %s: %w", path, err)
	}
	ko := km.OtherOptimizer
	o, err := optimizerFromKeras(ko.ClassName, ko.Config)
	if err != nil {
		return fail(err)
	}
	opts := DefaultCompileOptions()
	opts.Optimizer = o.WithLearningRate(float64(ko.LearningRate))
	if err := m.Compile(opts); err != nil {
		return fail(err)
	}
	snap := snapshot{}
	for i, l := range km.Layers {
		if err := snap.setFloats(m.net.weights[2*i], l.Kernel); err != nil {
			return fail(err)
		}
		if err := snap.setFloats(m.net.weights[2*i+1], l.Bias); err != nil {
			return fail(err)
		}
	}
	st := m.net.optState
	if err := snap.setScalar(st.Iterations, ko.Iterations); err != nil {
		return fail(err)
	}
	if err := snap.setScalar(st.LearningRate, ko.LearningRate); err != nil {
		return fail(err)
	}
	slots := st.Variables()[2:]
	if ko.Slots != nil && len(ko.Slots) != len(slots) {
		return fail(fmt.Errorf("%s: %d slot variables, want %d", ko.ClassName, len(ko.Slots), len(slots)))
	}
	for i, v := range slots {
		data := make([]float32, v.Size()) // a fresh optimizer's zeros
		if ko.Slots != nil {
			data = ko.Slots[i].Data
		}
		if err := snap.setFloats(v, data); err != nil {
			return fail(err)
		}
	}
	for _, mean := range m.net.trainMetrics {
		for _, v := range []*graph.Variable{mean.Total, mean.Count} {
			if err := snap.setScalar(v, float32(0)); err != nil {
				return fail(err)
			}
		}
	}
	if err := m.restoreSnapshot(snap); err != nil {
		return fail(err)
	}
	return m, nil
}

// optimizerFromKeras returns the optimizer of class with a .keras file's
// config: Keras's defaults, then the config's values of the keys the
// optimizer has. kerasfile has refused the options Go does not implement.
func optimizerFromKeras(class string, raw json.RawMessage) (graph.Optimizer, error) {
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("%s config: %w", class, err)
	}
	var err error
	num := func(key string, dst *float64) {
		v, ok := c[key]
		if !ok || v == nil || err != nil {
			return // absent, or None (weight_decay): the default
		}
		f, isNum := v.(float64)
		if !isNum {
			err = fmt.Errorf("%s config: %s is %v, want a number", class, key, v)
			return
		}
		*dst = f
	}
	flag := func(key string, dst *bool) {
		v, ok := c[key]
		if !ok || err != nil {
			return
		}
		b, isBool := v.(bool)
		if !isBool {
			err = fmt.Errorf("%s config: %s is %v, want a boolean", class, key, v)
			return
		}
		*dst = b
	}
	var o graph.Optimizer
	switch class {
	case "SGD":
		s := graph.DefaultSGD()
		num("learning_rate", &s.LearningRate)
		num("momentum", &s.Momentum)
		flag("nesterov", &s.Nesterov)
		num("weight_decay", &s.WeightDecay)
		o = s
	case "RMSprop":
		r := graph.DefaultRMSprop()
		num("learning_rate", &r.LearningRate)
		num("rho", &r.Rho)
		num("momentum", &r.Momentum)
		num("epsilon", &r.Epsilon)
		flag("centered", &r.Centered)
		num("weight_decay", &r.WeightDecay)
		o = r
	case "AdamW":
		a := graph.DefaultAdamW()
		num("learning_rate", &a.LearningRate)
		num("weight_decay", &a.WeightDecay)
		num("beta_1", &a.Beta1)
		num("beta_2", &a.Beta2)
		num("epsilon", &a.Epsilon)
		o = a
	default:
		return nil, fmt.Errorf("optimizer %q: LoadKeras supports Adam, AdamW, SGD and RMSprop", class)
	}
	if err != nil {
		return nil, err
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return o, nil
}
