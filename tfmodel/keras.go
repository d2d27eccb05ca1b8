package tfmodel

import (
	"fmt"

	"github.com/gokeras/fashion/graph"
	"github.com/gokeras/fashion/kerasfile"
)

// SaveKeras writes the model as a Keras 3 native .keras file (see package
// kerasfile): keras.models.load_model returns it as a compiled Sequential
// with these weights and this Adam state, so fit continues where Go
// stopped. The write is atomic. A model whose weights or Adam state are
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
	values, err := m.readState()
	if err != nil {
		return fmt.Errorf("tfmodel: save keras %s: %w", path, err)
	}
	km := kerasfile.Model{Name: "sequential", InputShape: m.InputShape()}
	adam := m.compiled.Optimizer
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
// compiled, with its weights and, when the file has them, its Adam settings
// and state, ready to Predict or to Fit further. The caller must Close it.
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
	opts := DefaultCompileOptions()
	values := stateValues{learningRate: opts.Optimizer.LearningRate}
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

// stateValues are the values of network.state() in Go: the weights in
// Keras's order, Adam's step count, learning rate and slots.
type stateValues struct {
	weights               [][]float32
	iterations            int64
	learningRate          float32
	momentums, velocities [][]float32
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
	adam := m.net.adam
	var s stateValues
	if s.weights, err = floats(m.net.weights); err != nil {
		return s, err
	}
	if s.momentums, err = floats(adam.Momentums); err != nil {
		return s, err
	}
	if s.velocities, err = floats(adam.Velocities); err != nil {
		return s, err
	}
	s.iterations = snap[adam.Iterations].Value().(int64)
	s.learningRate = snap[adam.LearningRate].Value().(float32)
	return s, nil
}

// assignState sets the model's state from Go values; the running metrics
// start from zero.
func (m *Sequential) assignState(s stateValues) error {
	adam := m.net.adam
	snap := snapshot{}
	for i, v := range m.net.weights {
		if err := snap.setFloats(v, s.weights[i]); err != nil {
			return err
		}
	}
	for i := range adam.Momentums {
		if err := snap.setFloats(adam.Momentums[i], s.momentums[i]); err != nil {
			return err
		}
		if err := snap.setFloats(adam.Velocities[i], s.velocities[i]); err != nil {
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
