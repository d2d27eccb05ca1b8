package graph

import (
	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// Adam implements Optimizer on top of NewState and Apply: through the
// interface it adds exactly the operations Minimize adds.
var _ Optimizer = Adam{}

// ClassName is "Adam".
func (a Adam) ClassName() string { return "Adam" }

// Name is "adam", Keras's default name and the prefix of the state's
// variables ("adam/iteration").
func (a Adam) Name() string { return "adam" }

// Config is Keras 3's Adam get_config. The betas and epsilon are the
// float32 values the kernel computes with: DefaultAdam's beta_1 is
// 0.8999999761581421, which Keras given that value computes with exactly
// as Go does (see tfmodel/equivalence_test.go).
func (a Adam) Config() map[string]any {
	c := baseConfig(a.Name(), float64(a.LearningRate), 0)
	c["beta_1"] = float64(a.Beta1)
	c["beta_2"] = float64(a.Beta2)
	c["epsilon"] = float64(a.Epsilon)
	c["amsgrad"] = false
	return c
}

// Slots are Keras's: a "momentum" and a "velocity" per variable.
func (a Adam) Slots() [][]string { return [][]string{{"momentum", "velocity"}} }

// InitialLearningRate is a.LearningRate.
func (a Adam) InitialLearningRate() float64 { return float64(a.LearningRate) }

// WithLearningRate returns a with learning rate lr (as a float32).
func (a Adam) WithLearningRate(lr float64) Optimizer {
	a.LearningRate = float32(lr)
	return a
}

// Build is NewState, the state listed in Keras's order.
func (a Adam) Build(root *op.Scope, vars []*Variable) (*OptimizerState, error) {
	as, err := a.NewState(root, vars)
	if err != nil {
		return nil, err
	}
	st := &OptimizerState{
		Iterations:   as.Iterations,
		LearningRate: as.LearningRate,
		Slots:        map[string][]*Variable{"momentum": as.Momentums, "velocity": as.Velocities},
		optimizer:    a.Name(),
		vars:         vars,
		all:          []*Variable{as.Iterations, as.LearningRate},
	}
	for i := range vars {
		st.all = append(st.all, as.Momentums[i], as.Velocities[i])
	}
	return st, st.addLearningRateSetter(root)
}

// Update is Apply on st's variables.
func (a Adam) Update(s *op.Scope, st *OptimizerState, vars []*Variable, grads []tf.Output) (*tf.Operation, error) {
	if err := st.checkUpdate(a.Name(), vars, grads); err != nil {
		return nil, err
	}
	return a.Apply(s, st.adamState(), vars, grads)
}

// adamState is st seen as Apply's AdamState.
func (st *OptimizerState) adamState() *AdamState {
	return &AdamState{
		Iterations:   st.Iterations,
		LearningRate: st.LearningRate,
		Momentums:    st.Slots["momentum"],
		Velocities:   st.Slots["velocity"],
	}
}
