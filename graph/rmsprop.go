package graph

import (
	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// RMSprop holds the hyper-parameters of keras.optimizers.RMSprop. Like
// Keras's, they are float64 (Python floats), cast to float32 where the
// update uses them; 1-rho is computed in float64 first, as Python does.
type RMSprop struct {
	LearningRate float64
	Rho          float64
	Momentum     float64 // 0: no momentum slot
	Epsilon      float64
	Centered     bool
	WeightDecay  float64 // 0: none (Keras's weight_decay=None)
}

var _ Optimizer = RMSprop{}

// DefaultRMSprop is Keras 3's RMSprop(): learning rate 1e-3, rho 0.9, no
// momentum, epsilon 1e-7, not centered.
func DefaultRMSprop() RMSprop { return RMSprop{LearningRate: 1e-3, Rho: 0.9, Epsilon: 1e-7} }

// ClassName is "RMSprop".
func (o RMSprop) ClassName() string { return "RMSprop" }

// Name is "rm_sprop", the name Keras 3 derives from the class name.
func (o RMSprop) Name() string { return "rm_sprop" }

// Config is Keras 3's RMSprop get_config.
func (o RMSprop) Config() map[string]any {
	c := baseConfig(o.Name(), o.LearningRate, o.WeightDecay)
	c["rho"] = o.Rho
	c["momentum"] = o.Momentum
	c["epsilon"] = o.Epsilon
	c["centered"] = o.Centered
	return c
}

// Slots are Keras's: a "velocity" per variable, then a "momentum" when
// Momentum > 0, then an "average_gradient" when Centered.
func (o RMSprop) Slots() [][]string {
	slots := [][]string{{"velocity"}}
	if o.Momentum > 0 {
		slots = append(slots, []string{"momentum"})
	}
	if o.Centered {
		slots = append(slots, []string{"average_gradient"})
	}
	return slots
}

// InitialLearningRate is o.LearningRate.
func (o RMSprop) InitialLearningRate() float64 { return o.LearningRate }

// WithLearningRate returns o with learning rate lr.
func (o RMSprop) WithLearningRate(lr float64) Optimizer {
	o.LearningRate = lr
	return o
}

// Validate reports hyper-parameters RMSprop cannot work with.
func (o RMSprop) Validate() error {
	for _, c := range []struct {
		field string
		v     float64
		r     interval
	}{
		{"learning_rate", o.LearningRate, positive},
		{"rho", o.Rho, unitOpen},
		{"momentum", o.Momentum, unitOpen},
		{"epsilon", o.Epsilon, positive},
		{"weight_decay", o.WeightDecay, nonNegative},
	} {
		if err := checkHyper("rmsprop", c.field, c.v, c.r); err != nil {
			return err
		}
	}
	return nil
}

// Build adds the step count, the learning rate and the slots.
func (o RMSprop) Build(root *op.Scope, vars []*Variable) (*OptimizerState, error) {
	return newState(root, o, vars)
}

// Update adds Keras 3's RMSprop step, after the weight decay if any,
// composed of the operations Keras's update_step runs, in its order:
//
//	v = rho·v + (1-rho)·g²
//	centered: a = rho·a + (1-rho)·g; d = (v - a²) + ε; else d = v + ε
//	inc = (lr·g) / sqrt(d)
//	momentum: m = momentum·m + inc; w -= m; else w -= inc
//
// TensorFlow's fused ResourceApplyRMSProp and ResourceApplyCenteredRMSProp
// are not used: they update the averages as v += (g²-v)·(1-rho), which is
// the same in exact arithmetic but rounds differently in float32 (on the
// equivalence test's model, with momentum 0.9, the weights after 150 steps
// differ from Keras's by up to 2.7e-7 with them, by nothing without), and
// they need a momentum slot that Keras does not create when momentum is 0.
func (o RMSprop) Update(s *op.Scope, st *OptimizerState, vars []*Variable, grads []tf.Output) (*tf.Operation, error) {
	if err := st.checkUpdate(o.Name(), vars, grads); err != nil {
		return nil, err
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	lr := op.ReadVariableOp(sub(s, "learning_rate"), st.LearningRate.Handle, tf.Float)
	s = s.WithControlDependencies(applyWeightDecay(s, o.WeightDecay, lr, vars, grads)...)
	rho := op.Const(sub(s, "rho"), float32(o.Rho))
	oneMinusRho := op.Const(sub(s, "one_minus_rho"), float32(1-o.Rho)) // Python's 1 - rho, then the cast
	epsilon := op.Const(sub(s, "epsilon"), float32(o.Epsilon))
	var momentum tf.Output
	if o.Momentum > 0 {
		momentum = op.Const(sub(s, "momentum"), float32(o.Momentum))
	}
	// decayed is rho·x + (1-rho)·y, assigned to slot x; it returns the new value.
	var assigns []*tf.Operation
	decayed := func(s *op.Scope, slot *Variable, y tf.Output) tf.Output {
		old := op.ReadVariableOp(sub(s, "read"), slot.Handle, slot.DType)
		value := op.AddV2(sub(s, "Add"), op.Mul(sub(s, "Mul"), rho, old), op.Mul(sub(s, "Mul"), oneMinusRho, y))
		assigns = append(assigns, op.AssignVariableOp(sub(s, "Assign"), slot.Handle, value))
		return value
	}
	for i, v := range vars {
		vs := sub(s, "update")
		g := grads[i]
		velocity := decayed(sub(vs, "velocity"), st.Slots["velocity"][i], op.Square(sub(vs, "Square"), g))
		var denominator tf.Output
		if o.Centered {
			average := decayed(sub(vs, "average_gradient"), st.Slots["average_gradient"][i], g)
			centered := op.Sub(sub(vs, "Sub"), velocity, op.Square(sub(vs, "Square"), average))
			denominator = op.AddV2(sub(vs, "Add"), centered, epsilon)
		} else {
			denominator = op.AddV2(sub(vs, "Add"), velocity, epsilon)
		}
		increment := op.RealDiv(sub(vs, "RealDiv"), op.Mul(sub(vs, "Mul"), lr, g), op.Sqrt(sub(vs, "Sqrt"), denominator))
		if o.Momentum > 0 {
			m := st.Slots["momentum"][i]
			ms := sub(vs, "momentum")
			old := op.ReadVariableOp(sub(ms, "read"), m.Handle, m.DType)
			value := op.AddV2(sub(ms, "Add"), op.Mul(sub(ms, "Mul"), momentum, old), increment)
			assigns = append(assigns, op.AssignVariableOp(sub(ms, "Assign"), m.Handle, value))
			increment = value
		}
		assigns = append(assigns, op.AssignSubVariableOp(sub(vs, "AssignSub"), v.Handle, increment))
	}
	return finishUpdate(s, "rmsprop", st, assigns)
}
