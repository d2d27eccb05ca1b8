package tfmodel

import (
	"fmt"

	"github.com/gokeras/fashion/graph"
)

// stateValues are the values of network.state() in Go: the weights in
// Keras's order, the optimizer's step count, learning rate and slots
// (every slot by name; momentums and velocities are Adam's, for tests).
type stateValues struct {
	weights               [][]float32
	layerVars             [][]float32 // every layer's variables in a .keras file's order
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
	st := m.net.optState
	s := stateValues{slots: map[string][][]float32{}}
	if s.weights, err = floats(m.net.weights); err != nil {
		return s, err
	}
	for _, vs := range m.net.layerVars {
		values, err := floats(vs)
		if err != nil {
			return s, err
		}
		s.layerVars = append(s.layerVars, values...)
	}
	for name, vs := range st.Slots {
		if s.slots[name], err = floats(vs); err != nil {
			return s, err
		}
	}
	s.momentums, s.velocities = s.slots["momentum"], s.slots["velocity"]
	s.iterations = snap[st.Iterations].Value().(int64)
	s.learningRate = snap[st.LearningRate].Value().(float32)
	return s, nil
}

// zeroMetrics sets the running metrics in snap to zero: a model whose
// state is assigned starts an epoch afresh.
func (m *Sequential) zeroMetrics(snap snapshot) error {
	for _, mean := range m.net.trainMetrics {
		for _, v := range []*graph.Variable{mean.Total, mean.Count} {
			if err := snap.setScalar(v, float32(0)); err != nil {
				return fmt.Errorf("metric %s: %w", v.Name, err)
			}
		}
	}
	return nil
}
