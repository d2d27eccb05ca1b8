package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// Optimizer is one of Keras 3's optimizers as graph fragments, in the manner
// of keras/src/optimizers/base_optimizer.py: it names its Keras class and
// configuration, declares the slots it keeps per trained variable, builds its
// state (Build, Keras's build) and adds one update of the variables by their
// gradients that also increments the step count (Update, Keras's apply).
//
// Adam, AdamW, SGD and RMSprop implement it; GetOptimizer returns them by
// Keras's names with Keras's defaults.
type Optimizer interface {
	// ClassName is the Keras class: "Adam", "AdamW", "SGD", "RMSprop".
	ClassName() string
	// Name is the default name Keras gives an optimizer of the class
	// ("adam", "adam_w", "sgd", "rm_sprop"): the prefix of its variables'
	// names, and the scope its update ops are added in by MinimizeWith.
	Name() string
	// Config is what Keras 3's get_config returns for this optimizer, with
	// the same keys, the learning rate as the float32 the variable holds
	// and the other hyper-parameters as given. Serialised as
	// {"class_name": ClassName(), "config": Config()} it is what
	// keras.optimizers.get accepts.
	Config() map[string]any
	// Slots names the variables kept per trained variable, as Keras 3 names
	// them ("momentum", "velocity", "average_gradient"), grouped as Keras
	// adds them: each group is one add_optimizer_variables call, which
	// interleaves its names variable by variable.
	Slots() [][]string
	// InitialLearningRate is the learning_rate variable's starting value.
	InitialLearningRate() float64
	// WithLearningRate returns the same optimizer with another initial
	// learning rate. (Once built, the rate is the state's variable; see
	// OptimizerState.AssignLearningRate.)
	WithLearningRate(lr float64) Optimizer
	// Validate reports hyper-parameters the optimizer cannot work with,
	// naming the field by its Keras name.
	Validate() error
	// Build adds the optimizer's variables for vars with their initial
	// values (step 0, the learning rate, zero slots). root must be the root
	// scope, so that the names stay Keras's.
	Build(root *op.Scope, vars []*Variable) (*OptimizerState, error)
	// Update adds one update of vars by grads with st, made by Build for
	// the same vars, and returns the operation that performs it, the step
	// count's increment included. It runs after every gradient is computed,
	// so the forward pass of the same session run reads the weights from
	// before the step.
	Update(s *op.Scope, st *OptimizerState, vars []*Variable, grads []tf.Output) (*tf.Operation, error)
}

// OptimizerState is what an Optimizer keeps between steps: Keras 3's
// "iteration" and "learning_rate" variables and its slots. All of it belongs
// in a checkpoint for training to resume exactly.
type OptimizerState struct {
	Iterations   *Variable // int64 step count
	LearningRate *Variable // float32, a variable so that it can change between steps
	// Slots maps a slot's name ("momentum") to its variables, one per
	// trained variable in the order Build was given them.
	Slots map[string][]*Variable
	// NewLearningRate is a float32 scalar placeholder; running
	// AssignLearningRate with it fed sets the learning rate, as assigning
	// optimizer.learning_rate does in Keras.
	NewLearningRate    tf.Output
	AssignLearningRate *tf.Operation

	optimizer string // Name() of the optimizer that built it
	vars      []*Variable
	all       []*Variable // Keras's order
}

// Variables lists the state in Keras 3's order, that of optimizer.variables:
// iteration, learning_rate, then the slots as Build added them.
func (st *OptimizerState) Variables() []*Variable { return append([]*Variable(nil), st.all...) }

// Slot returns the variables of the named slot, one per trained variable,
// or nil if the optimizer keeps no such slot.
func (st *OptimizerState) Slot(name string) []*Variable { return st.Slots[name] }

// MinimizeWith builds o's state for vars and adds one update by grads in
// the scope o.Name(): Keras's optimizer.build followed by apply_gradients.
// For Adam it adds exactly what Adam.Minimize adds.
func MinimizeWith(root *op.Scope, o Optimizer, vars []*Variable, grads []tf.Output) (*tf.Operation, *OptimizerState, error) {
	st, err := o.Build(root, vars)
	if err != nil {
		return nil, nil, err
	}
	train, err := o.Update(root.SubScope(o.Name()), st, vars, grads)
	if err != nil {
		return nil, nil, err
	}
	return train, st, nil
}

// knownOptimizers maps Keras's lower-cased class names, the strings
// keras.optimizers.get accepts, to the optimizer with Keras's defaults.
var knownOptimizers = map[string]func() Optimizer{
	"adam":    func() Optimizer { return DefaultAdam() },
	"adamw":   func() Optimizer { return DefaultAdamW() },
	"sgd":     func() Optimizer { return DefaultSGD() },
	"rmsprop": func() Optimizer { return DefaultRMSprop() },
}

// kerasOnlyOptimizers are the other names keras.optimizers.get knows.
var kerasOnlyOptimizers = []string{"adadelta", "adafactor", "adagrad", "adamax", "ftrl", "lion", "muon", "nadam", "schedulefreeadamw"}

// KnownOptimizers lists the names GetOptimizer accepts, sorted.
func KnownOptimizers() []string {
	names := make([]string, 0, len(knownOptimizers))
	for n := range knownOptimizers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// GetOptimizer returns the optimizer Keras's keras.optimizers.get(name)
// returns, with Keras 3's defaults. name is matched case-insensitively, as
// Keras does ("adam", "Adam", "RMSprop"). An unknown name is an error that
// lists the supported ones.
func GetOptimizer(name string) (Optimizer, error) {
	key := strings.ToLower(name)
	if f, ok := knownOptimizers[key]; ok {
		return f(), nil
	}
	supported := strings.Join(KnownOptimizers(), ", ")
	for _, k := range kerasOnlyOptimizers {
		if key == k {
			return nil, fmt.Errorf("optimizer %q: Keras has it but it is not implemented here; supported: %s", name, supported)
		}
	}
	return nil, fmt.Errorf("unknown optimizer %q; supported: %s", name, supported)
}

// baseConfig is the part of get_config that Keras 3's base optimizer fills
// in: the name, the learning rate as its float32 variable holds it, the
// weight decay (None when 0) and the options this package does not
// implement, at their defaults.
func baseConfig(name string, lr, weightDecay float64) map[string]any {
	var wd any
	if weightDecay != 0 {
		wd = weightDecay
	}
	return map[string]any{
		"name":                        name,
		"learning_rate":               float64(float32(lr)),
		"weight_decay":                wd,
		"clipnorm":                    nil,
		"global_clipnorm":             nil,
		"clipvalue":                   nil,
		"use_ema":                     false,
		"ema_momentum":                0.99,
		"ema_overwrite_frequency":     nil,
		"loss_scale_factor":           nil,
		"gradient_accumulation_steps": nil,
	}
}

// interval is a range a hyper-parameter must lie in.
type interval struct {
	lo, hi         float64
	openLo, openHi bool
}

func (r interval) String() string {
	l, h := "[", "]"
	if r.openLo {
		l = "("
	}
	if r.openHi {
		h = ")"
	}
	hi := fmt.Sprint(r.hi)
	if math.IsInf(r.hi, 1) {
		hi = "inf"
	}
	return fmt.Sprintf("%s%g, %s%s", l, r.lo, hi, h)
}

var (
	positive    = interval{lo: 0, hi: math.Inf(1), openLo: true, openHi: true}
	nonNegative = interval{lo: 0, hi: math.Inf(1), openHi: true}
	unitOpen    = interval{lo: 0, hi: 1, openHi: true} // [0, 1)
	unitClosed  = interval{lo: 0, hi: 1}               // [0, 1]
)

// checkHyper reports a hyper-parameter that is not finite, lies outside r,
// or does not survive the conversion to the float32 the kernels compute with
// (it overflows, or a positive value becomes 0).
func checkHyper(optimizer, field string, v float64, r interval) error {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("%s: %s %g must be finite", optimizer, field, v)
	}
	if v < r.lo || v > r.hi || (r.openLo && v == r.lo) || (r.openHi && v == r.hi) {
		return fmt.Errorf("%s: %s %g must be in %s", optimizer, field, v, r)
	}
	f := float32(v)
	if math.IsInf(float64(f), 0) || (v != 0 && f == 0) {
		return fmt.Errorf("%s: %s %g is not representable as a float32", optimizer, field, v)
	}
	if r.openHi && float64(f) >= r.hi {
		return fmt.Errorf("%s: %s %g rounds to %g as a float32, outside %s", optimizer, field, v, f, r)
	}
	return nil
}

// newState adds the variables of optimizer o for vars: "<name>/iteration",
// "<name>/learning_rate" and a slot "<name>/<variable path with _>_<slot>"
// per variable and slot, in the order Keras 3's build creates them.
func newState(root *op.Scope, o Optimizer, vars []*Variable) (*OptimizerState, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	name := o.Name()
	init := root.SubScope(name + "_init")
	st := &OptimizerState{Slots: map[string][]*Variable{}, optimizer: name, vars: vars}
	var err error
	if st.Iterations, err = NewVariable(root, name+"/iteration", tf.Int64, []int64{}, op.Const(sub(init, "zero"), int64(0))); err != nil {
		return nil, err
	}
	if st.LearningRate, err = NewVariable(root, name+"/learning_rate", tf.Float, []int64{}, op.Const(sub(init, "lr"), float32(o.InitialLearningRate()))); err != nil {
		return nil, err
	}
	st.all = []*Variable{st.Iterations, st.LearningRate}
	for _, group := range o.Slots() {
		for _, v := range vars {
			prefix := name + "/" + strings.ReplaceAll(v.Name, "/", "_")
			for _, slot := range group {
				sv, err := NewVariable(root, prefix+"_"+slot, v.DType, v.Shape, Zeros(init, v.Shape))
				if err != nil {
					return nil, err
				}
				st.Slots[slot] = append(st.Slots[slot], sv)
				st.all = append(st.all, sv)
			}
		}
	}
	return st, st.addLearningRateSetter(root)
}

// addLearningRateSetter adds NewLearningRate and AssignLearningRate.
func (st *OptimizerState) addLearningRateSetter(root *op.Scope) error {
	s := root.SubScope(st.optimizer + "_set_learning_rate")
	st.NewLearningRate = op.Placeholder(sub(s, "value"), tf.Float, op.PlaceholderShape(tf.ScalarShape()))
	st.AssignLearningRate = op.AssignVariableOp(sub(s, "Assign"), st.LearningRate.Handle, st.NewLearningRate)
	if err := s.Err(); err != nil {
		return fmt.Errorf("%s: %w", st.optimizer, err)
	}
	return nil
}

// checkUpdate reports an update whose variables, gradients and state do
// not belong together.
func (st *OptimizerState) checkUpdate(name string, vars []*Variable, grads []tf.Output) error {
	if st == nil {
		return fmt.Errorf("%s: no state: call Build first", name)
	}
	if st.optimizer != name {
		return fmt.Errorf("%s: state was built by %s", name, st.optimizer)
	}
	if len(vars) != len(grads) || len(vars) != len(st.vars) {
		return fmt.Errorf("%s: %d variables, %d gradients and state for %d variables", name, len(vars), len(grads), len(st.vars))
	}
	for i, v := range vars {
		if v != st.vars[i] {
			return fmt.Errorf("%s: variable %d is %s, the state was built for %s", name, i, v.Name, st.vars[i].Name)
		}
		if grads[i].Op == nil {
			return fmt.Errorf("%s: no gradient for %s", name, v.Name)
		}
	}
	return nil
}

// afterGradients returns s with control dependencies on every gradient's
// operation: an update that reads a variable itself (weight decay) must not
// run before the forward pass of the same step has read it.
func afterGradients(s *op.Scope, grads []tf.Output) *op.Scope {
	ops := make([]*tf.Operation, len(grads))
	for i, g := range grads {
		ops[i] = g.Op
	}
	return s.WithControlDependencies(ops...)
}

// applyWeightDecay adds Keras 3's decoupled weight decay, applied before
// the update proper (TFOptimizer._apply_weight_decay):
// variable.assign_sub(variable * wd * lr), wd and lr in float32. It returns
// the assignments, or nil when wd is 0 (Keras's weight_decay=None).
func applyWeightDecay(s *op.Scope, wd float64, lr tf.Output, vars []*Variable, grads []tf.Output) []*tf.Operation {
	if wd == 0 {
		return nil
	}
	s = sub(afterGradients(s, grads), "weight_decay")
	wdc := op.Const(sub(s, "weight_decay"), float32(wd))
	decays := make([]*tf.Operation, len(vars))
	for i, v := range vars {
		read := op.ReadVariableOp(sub(s, "read"), v.Handle, v.DType)
		decay := op.Mul(sub(s, "times_lr"), op.Mul(sub(s, "times_wd"), read, wdc), lr)
		decays[i] = op.AssignSubVariableOp(sub(s, "AssignSub"), v.Handle, decay)
	}
	return decays
}

// finishUpdate adds the step count's increment after applies and returns
// the operation that stands for the whole update.
func finishUpdate(s *op.Scope, name string, st *OptimizerState, applies []*tf.Operation) (*tf.Operation, error) {
	after := s.WithControlDependencies(applies...)
	inc := op.AssignAddVariableOp(sub(after, "increment"), st.Iterations.Handle, op.Const(sub(s, "step"), int64(1)))
	train := op.NoOp(sub(s.WithControlDependencies(inc), "apply"))
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return train, nil
}

// SerializeOptimizer returns o as keras.saving.serialize_keras_object
// writes an optimizer (in a .keras file's compile_config, say), which
// keras.optimizers.get accepts: {"module": "keras.optimizers",
// "class_name": ..., "config": ..., "registered_name": null}. Floats are
// spelled as Python floats (0.0, not 0): Keras checks that momentum is a
// float.
func SerializeOptimizer(o Optimizer) ([]byte, error) {
	config := map[string]any{}
	for k, v := range o.Config() {
		if f, ok := v.(float64); ok {
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, fmt.Errorf("%s: %s %g is not finite", o.Name(), k, f)
			}
			v = pyFloat(f)
		}
		config[k] = v
	}
	return json.Marshal(map[string]any{
		"module":          "keras.optimizers",
		"class_name":      o.ClassName(),
		"config":          config,
		"registered_name": nil,
	})
}

// pyFloat marshals as a JSON number that Python reads back as a float.
type pyFloat float64

func (f pyFloat) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(float64(f))
	if err != nil {
		return nil, err
	}
	if !bytes.ContainsAny(b, ".eE") {
		b = append(b, ".0"...)
	}
	return b, nil
}
