package graph

import (
	"fmt"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// AdamW holds the hyper-parameters of keras.optimizers.AdamW: Adam with
// decoupled weight decay. Like Keras's, they are float64 (Python floats),
// cast to float32 where the update uses them.
type AdamW struct {
	LearningRate float64
	WeightDecay  float64
	Beta1        float64
	Beta2        float64
	Epsilon      float64
}

var _ Optimizer = AdamW{}

// DefaultAdamW is Keras 3's AdamW(): learning rate 1e-3, weight decay
// 0.004, beta_1 0.9, beta_2 0.999, epsilon 1e-7.
func DefaultAdamW() AdamW {
	return AdamW{LearningRate: 1e-3, WeightDecay: 0.004, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7}
}

// ClassName is "AdamW".
func (a AdamW) ClassName() string { return "AdamW" }

// Name is "adam_w", the name Keras 3 gives an AdamW.
func (a AdamW) Name() string { return "adam_w" }

// Config is Keras 3's AdamW get_config.
func (a AdamW) Config() map[string]any {
	c := baseConfig(a.Name(), a.LearningRate, a.WeightDecay)
	c["weight_decay"] = a.WeightDecay // AdamW's is never None
	c["beta_1"] = a.Beta1
	c["beta_2"] = a.Beta2
	c["epsilon"] = a.Epsilon
	c["amsgrad"] = false
	return c
}

// Slots are Adam's: a "momentum" and a "velocity" per variable.
func (a AdamW) Slots() [][]string { return [][]string{{"momentum", "velocity"}} }

// InitialLearningRate is a.LearningRate.
func (a AdamW) InitialLearningRate() float64 { return a.LearningRate }

// WithLearningRate returns a with learning rate lr.
func (a AdamW) WithLearningRate(lr float64) Optimizer {
	a.LearningRate = lr
	return a
}

// adam is the Adam that performs the update proper, in float32.
func (a AdamW) adam() Adam {
	return Adam{LearningRate: float32(a.LearningRate), Beta1: float32(a.Beta1), Beta2: float32(a.Beta2), Epsilon: float32(a.Epsilon)}
}

// Validate reports hyper-parameters AdamW cannot work with.
func (a AdamW) Validate() error {
	for _, c := range []struct {
		field string
		v     float64
		r     interval
	}{
		{"learning_rate", a.LearningRate, positive},
		{"weight_decay", a.WeightDecay, nonNegative},
		{"beta_1", a.Beta1, unitOpen},
		{"beta_2", a.Beta2, unitOpen},
		{"epsilon", a.Epsilon, positive},
	} {
		if err := checkHyper("adamw", c.field, c.v, c.r); err != nil {
			return err
		}
	}
	return nil
}

// Build adds the step count, the learning rate and the momentum and
// velocity slots.
func (a AdamW) Build(root *op.Scope, vars []*Variable) (*OptimizerState, error) {
	return newState(root, a, vars)
}

// Update adds Keras 3's AdamW step: first the weight decay,
// w -= w·wd·lr, then Adam's update of the decayed weights on
// ResourceApplyAdam, exactly as Adam.Apply adds it.
//
// The fused kernel computes 1-β in float32 from float32(β), where Keras
// computes 1-β in float64 from the Python float and then casts it: the two
// agree when β is a float32 value (float64(float32(0.9))) and differ in the
// last bits of 1-β otherwise (for β2 = 0.999 by 1.3e-5 relative).
func (a AdamW) Update(s *op.Scope, st *OptimizerState, vars []*Variable, grads []tf.Output) (*tf.Operation, error) {
	if err := st.checkUpdate(a.Name(), vars, grads); err != nil {
		return nil, err
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	lr := op.ReadVariableOp(sub(s, "weight_decay_learning_rate"), st.LearningRate.Handle, tf.Float)
	decays := applyWeightDecay(s, a.WeightDecay, lr, vars, grads)
	train, err := a.adam().Apply(s.WithControlDependencies(decays...), st.adamState(), vars, grads)
	if err != nil {
		return nil, fmt.Errorf("adamw: %w", err)
	}
	return train, nil
}
