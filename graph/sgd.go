package graph

import (
	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// SGD holds the hyper-parameters of keras.optimizers.SGD: gradient descent,
// with momentum and optionally Nesterov's. Like Keras's, they are float64
// (Python floats), cast to float32 where the update uses them.
type SGD struct {
	LearningRate float64
	Momentum     float64 // 0: plain gradient descent, no slot
	Nesterov     bool    // ignored when Momentum is 0, as in Keras
	WeightDecay  float64 // 0: none (Keras's weight_decay=None)
}

var _ Optimizer = SGD{}

// DefaultSGD is Keras 3's SGD(): learning rate 0.01, no momentum.
func DefaultSGD() SGD { return SGD{LearningRate: 0.01} }

// ClassName is "SGD".
func (o SGD) ClassName() string { return "SGD" }

// Name is "sgd".
func (o SGD) Name() string { return "sgd" }

// Config is Keras 3's SGD get_config.
func (o SGD) Config() map[string]any {
	c := baseConfig(o.Name(), o.LearningRate, o.WeightDecay)
	c["momentum"] = o.Momentum
	c["nesterov"] = o.Nesterov
	return c
}

// Slots is a "momentum" per variable when Momentum is not 0, else none.
func (o SGD) Slots() [][]string {
	if o.Momentum == 0 {
		return nil
	}
	return [][]string{{"momentum"}}
}

// InitialLearningRate is o.LearningRate.
func (o SGD) InitialLearningRate() float64 { return o.LearningRate }

// WithLearningRate returns o with learning rate lr.
func (o SGD) WithLearningRate(lr float64) Optimizer {
	o.LearningRate = lr
	return o
}

// Validate reports hyper-parameters SGD cannot work with. Momentum must be
// in [0, 1], as Keras requires.
func (o SGD) Validate() error {
	if err := checkHyper("sgd", "learning_rate", o.LearningRate, positive); err != nil {
		return err
	}
	if err := checkHyper("sgd", "momentum", o.Momentum, unitClosed); err != nil {
		return err
	}
	return checkHyper("sgd", "weight_decay", o.WeightDecay, nonNegative)
}

// Build adds the step count, the learning rate and, with momentum, the
// momentum slots.
func (o SGD) Build(root *op.Scope, vars []*Variable) (*OptimizerState, error) {
	return newState(root, o, vars)
}

// Update adds Keras 3's SGD step, after the weight decay if any, on
// TensorFlow's fused kernels, which compute what Keras's update_step
// composes, operation for operation in float32:
//
//   - no momentum: w -= g·lr, ResourceApplyGradientDescent;
//   - momentum: m = m·momentum - g·lr; w += m, or with Nesterov
//     w += m·momentum - g·lr: ResourceApplyKerasMomentum, the kernel
//     written for Keras's formulation.
func (o SGD) Update(s *op.Scope, st *OptimizerState, vars []*Variable, grads []tf.Output) (*tf.Operation, error) {
	if err := st.checkUpdate(o.Name(), vars, grads); err != nil {
		return nil, err
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	lr := op.ReadVariableOp(sub(s, "learning_rate"), st.LearningRate.Handle, tf.Float)
	s = s.WithControlDependencies(applyWeightDecay(s, o.WeightDecay, lr, vars, grads)...)
	applies := make([]*tf.Operation, len(vars))
	if o.Momentum == 0 {
		for i, v := range vars {
			applies[i] = op.ResourceApplyGradientDescent(sub(s, "ResourceApplyGradientDescent"), v.Handle, lr, grads[i])
		}
	} else {
		momentum := op.Const(sub(s, "momentum"), float32(o.Momentum))
		ms := st.Slots["momentum"]
		for i, v := range vars {
			applies[i] = op.ResourceApplyKerasMomentum(sub(s, "ResourceApplyKerasMomentum"), v.Handle, ms[i].Handle, lr, grads[i], momentum,
				op.ResourceApplyKerasMomentumUseNesterov(o.Nesterov))
		}
	}
	return finishUpdate(s, "sgd", st, applies)
}
