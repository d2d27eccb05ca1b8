package tfmodel

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/gokeras/fashion/graph"
	"github.com/gokeras/fashion/kerasfile"
)

// SaveKeras writes the model as a Keras 3 native .keras file (see package
// kerasfile): keras.models.load_model returns it as a compiled Sequential
// with these weights and this Adam state, so fit continues where Go
// stopped. The write is atomic.
func (m *Sequential) SaveKeras(path string) error {
	if err := m.ready(); err != nil {
		return err
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

// readState fetches every trained variable in one session run.
func (m *Sequential) readState() (stateValues, error) {
	vars := m.net.state()
	fetches := make([]tf.Output, len(vars))
	for i, v := range vars {
		fetches[i] = v.Value
	}
	out, err := m.session.Run(nil, fetches, nil)
	if err != nil {
		return stateValues{}, err
	}
	byVar := make(map[*graph.Variable]*tf.Tensor, len(vars))
	for i, v := range vars {
		byVar[v] = out[i]
	}
	floats := func(vs []*graph.Variable) ([][]float32, error) {
		res := make([][]float32, len(vs))
		for i, v := range vs {
			res[i] = make([]float32, v.Size())
			if err := copyFloat32s(res[i], byVar[v]); err != nil {
				return nil, fmt.Errorf("%s: %w", v.Name, err)
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
	s.iterations = byVar[adam.Iterations].Value().(int64)
	s.learningRate = byVar[adam.LearningRate].Value().(float32)
	return s, nil
}

// assignState sets every trained variable from Go values in one session run.
func (m *Sequential) assignState(s stateValues) error {
	adam := m.net.adam
	values := map[*graph.Variable]*tf.Tensor{}
	var err error
	put := func(v *graph.Variable, data []float32) {
		if err != nil {
			return
		}
		if int64(len(data)) != v.Size() {
			err = fmt.Errorf("%s: %d values, want %d (shape %v)", v.Name, len(data), v.Size(), v.Shape)
			return
		}
		values[v], err = float32Tensor(data, v.Shape...)
	}
	for i, v := range m.net.weights {
		put(v, s.weights[i])
	}
	for i := range adam.Momentums {
		put(adam.Momentums[i], s.momentums[i])
		put(adam.Velocities[i], s.velocities[i])
	}
	if err != nil {
		return err
	}
	if values[adam.Iterations], err = tf.NewTensor(s.iterations); err != nil {
		return err
	}
	if values[adam.LearningRate], err = tf.NewTensor(s.learningRate); err != nil {
		return err
	}
	a := m.net.assigner
	feeds := make(map[tf.Output]*tf.Tensor, len(a.Vars))
	for i, v := range a.Vars {
		feeds[a.Inputs[i]] = values[v]
	}
	_, err = m.session.Run(feeds, nil, []*tf.Operation{a.Assign})
	return err
}
