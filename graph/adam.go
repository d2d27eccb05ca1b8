package graph

import (
	"fmt"
	"strings"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// Adam holds the hyper-parameters of keras.optimizers.Adam.
type Adam struct {
	LearningRate float32
	Beta1        float32
	Beta2        float32
	Epsilon      float32
}

// DefaultAdam is Keras's Adam(): learning rate 1e-3, beta1 0.9, beta2 0.999,
// epsilon 1e-7.
func DefaultAdam() Adam {
	return Adam{LearningRate: 1e-3, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7}
}

// Validate reports hyper-parameters Adam cannot work with.
func (a Adam) Validate() error {
	switch {
	case !(a.LearningRate > 0):
		return fmt.Errorf("adam: learning rate %g must be positive", a.LearningRate)
	case !(a.Beta1 >= 0 && a.Beta1 < 1):
		return fmt.Errorf("adam: beta1 %g must be in [0, 1)", a.Beta1)
	case !(a.Beta2 >= 0 && a.Beta2 < 1):
		return fmt.Errorf("adam: beta2 %g must be in [0, 1)", a.Beta2)
	case !(a.Epsilon > 0):
		return fmt.Errorf("adam: epsilon %g must be positive", a.Epsilon)
	}
	return nil
}

// AdamState is what the optimizer keeps between steps: Keras 3's
// "iteration" and "learning_rate" variables and a momentum and a velocity
// slot per weight. All of it belongs in a checkpoint for training to resume
// exactly.
type AdamState struct {
	Iterations   *Variable // int64 step count
	LearningRate *Variable // float32, a variable so it can change between steps
	Momentums    []*Variable
	Velocities   []*Variable
}

// Variables lists the state in a fixed order.
func (st *AdamState) Variables() []*Variable {
	vs := []*Variable{st.Iterations, st.LearningRate}
	vs = append(vs, st.Momentums...)
	return append(vs, st.Velocities...)
}

// Minimize adds one Adam update of vars by grads, on TensorFlow's fused
// ResourceApplyAdam kernel, and returns the operation that performs it
// (including the step count's increment) with the optimizer's state: it is
// NewState followed by Apply.
func (a Adam) Minimize(root *op.Scope, vars []*Variable, grads []tf.Output) (*tf.Operation, *AdamState, error) {
	st, err := a.NewState(root, vars)
	if err != nil {
		return nil, nil, err
	}
	train, err := a.Apply(root.SubScope("adam"), st, vars, grads)
	if err != nil {
		return nil, nil, err
	}
	return train, st, nil
}

// NewState adds the optimizer's variables for vars, with their initial
// values: step 0, the learning rate, zero moments.
func (a Adam) NewState(root *op.Scope, vars []*Variable) (*AdamState, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	init := root.SubScope("adam_init")
	st := &AdamState{}
	var err error
	if st.Iterations, err = NewVariable(root, "adam/iteration", tf.Int64, []int64{}, op.Const(sub(init, "zero"), int64(0))); err != nil {
		return nil, err
	}
	if st.LearningRate, err = NewVariable(root, "adam/learning_rate", tf.Float, []int64{}, op.Const(sub(init, "lr"), a.LearningRate)); err != nil {
		return nil, err
	}
	for _, v := range vars {
		// Keras 3 names the slots after the variable's path: adam/dense_kernel_momentum.
		slot := "adam/" + strings.ReplaceAll(v.Name, "/", "_")
		m, err := NewVariable(root, slot+"_momentum", tf.Float, v.Shape, Zeros(init, v.Shape))
		if err != nil {
			return nil, err
		}
		vel, err := NewVariable(root, slot+"_velocity", tf.Float, v.Shape, Zeros(init, v.Shape))
		if err != nil {
			return nil, err
		}
		st.Momentums = append(st.Momentums, m)
		st.Velocities = append(st.Velocities, vel)
	}
	return st, nil
}

// Apply adds one update of vars by grads with state st, made by NewState for
// the same vars, and returns the operation that performs it and increments
// the step count. The step count and learning rate are read in s, so a
// caller chaining several steps in one graph orders each after the last
// with s's control dependencies.
//
// Keras 3 computes, with t = iterations + 1 and lr_t = lr·sqrt(1-β2^t)/(1-β1^t):
// m += (g-m)(1-β1); v += (g²-v)(1-β2); w -= lr_t·m/(sqrt(v)+ε). That is
// exactly ResourceApplyAdam's update given β1^t and β2^t, which are computed
// here in float32 from the step count as Keras does.
func (a Adam) Apply(s *op.Scope, st *AdamState, vars []*Variable, grads []tf.Output) (*tf.Operation, error) {
	if len(vars) != len(grads) || len(vars) != len(st.Momentums) {
		return nil, fmt.Errorf("adam: %d variables, %d gradients and %d slots", len(vars), len(grads), len(st.Momentums))
	}
	iterations := op.ReadVariableOp(sub(s, "iteration"), st.Iterations.Handle, tf.Int64)
	lr := op.ReadVariableOp(sub(s, "learning_rate"), st.LearningRate.Handle, tf.Float)
	step := op.Cast(sub(s, "local_step"), op.AddV2(sub(s, "next"), iterations, op.Const(sub(s, "one"), int64(1))), tf.Float)
	beta1 := op.Const(sub(s, "beta_1"), a.Beta1)
	beta2 := op.Const(sub(s, "beta_2"), a.Beta2)
	beta1Power := op.Pow(sub(s, "beta_1_power"), beta1, step)
	beta2Power := op.Pow(sub(s, "beta_2_power"), beta2, step)
	epsilon := op.Const(sub(s, "epsilon"), a.Epsilon)
	applies := make([]*tf.Operation, len(vars))
	for i, v := range vars {
		applies[i] = op.ResourceApplyAdam(sub(s, "ResourceApplyAdam"), v.Handle, st.Momentums[i].Handle, st.Velocities[i].Handle,
			beta1Power, beta2Power, lr, beta1, beta2, epsilon, grads[i])
	}
	after := s.WithControlDependencies(applies...)
	inc := op.AssignAddVariableOp(sub(after, "increment"), st.Iterations.Handle, op.Const(sub(s, "step"), int64(1)))
	train := op.NoOp(sub(s.WithControlDependencies(inc), "apply"))
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("adam: %w", err)
	}
	return train, nil
}
