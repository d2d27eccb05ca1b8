package kerasfile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Optimizer is one of Keras 3's optimizers (OptimizerClasses): its class,
// its get_config, and its variables in Keras's order (optimizer.variables,
// which is their order in model.weights.h5: optimizer/vars/0, 1, ...).
type Optimizer struct {
	// ClassName is Keras's class, one of OptimizerClasses.
	ClassName string
	// Config is get_config as a JSON object. Its "name" ("adam", "sgd",
	// ...) names the variables' group in model.weights.h5. Keras writes
	// its learning_rate as the float32 variable's value widened to float64
	// (0.0010000000474974513); Read returns the file's config compacted.
	Config json.RawMessage
	// Iterations is the number of steps taken: optimizer/vars/0.
	Iterations int64
	// LearningRate is the learning_rate variable, optimizer/vars/1, which
	// is what Keras trains with after loading. When a file has no
	// optimizer variables, Read takes it from the config.
	LearningRate float32
	// Slots are optimizer/vars/2, ..., the slot variables, each shaped like
	// the trained variable it belongs to, in the order of the optimizer's
	// build. The trained variables are the layers' Weights in order, layer
	// after layer; then
	//
	//   - Adam, AdamW: the momentum and the velocity of the first trained
	//     variable, then of the second, ...
	//   - RMSprop: the velocity of each trained variable, then the
	//     momentum of each (if momentum > 0), then the average gradient of
	//     each (if centered)
	//   - SGD: the momentum of each (if momentum != 0)
	//
	// Read returns nil for an optimizer without slots, or that has not
	// been built (a model compiled but never fit); Write stores zeros, a
	// fresh optimizer's state, for nil.
	Slots []Weight
}

// OptimizerClasses are the optimizers whose variables kerasfile knows how
// to lay out, and so the classes an Optimizer may have.
var OptimizerClasses = []string{"Adam", "AdamW", "RMSprop", "SGD"}

// optimizerConfig is the part of an optimizer's get_config that kerasfile
// checks: the options that change which variables the optimizer keeps, and
// the hyperparameters no training step survives out of range. Options are
// refused rather than dropped: the package's users implement none of them.
type optimizerConfig struct {
	Name         *string         `json:"name"`
	LearningRate json.RawMessage `json:"learning_rate"`
	WeightDecay  json.RawMessage `json:"weight_decay"`
	UseEMA       bool            `json:"use_ema"`
	AMSGrad      bool            `json:"amsgrad"`
	Beta1        json.RawMessage `json:"beta_1"`
	Beta2        json.RawMessage `json:"beta_2"`
	Epsilon      json.RawMessage `json:"epsilon"`
	// Momentum and Centered decide SGD's and RMSprop's slots.
	Momentum *float64 `json:"momentum"`
	Centered bool     `json:"centered"`
	// Options that change what a training step does.
	ClipNorm       json.RawMessage `json:"clipnorm"`
	GlobalClipNorm json.RawMessage `json:"global_clipnorm"`
	ClipValue      json.RawMessage `json:"clipvalue"`
	LossScale      json.RawMessage `json:"loss_scale_factor"`
	GradAccum      json.RawMessage `json:"gradient_accumulation_steps"`
}

// parseOptimizer checks the config of an optimizer of class, for Read and
// for Write alike, and returns it with the learning rate it sets.
func parseOptimizer(class string, raw json.RawMessage) (optimizerConfig, float32, error) {
	var c optimizerConfig
	if !slices.Contains(OptimizerClasses, class) {
		return c, 0, fmt.Errorf("optimizer %q is not one kerasfile knows (%s)", class, strings.Join(OptimizerClasses, ", "))
	}
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return c, 0, fmt.Errorf("%s config %q is not a JSON object", class, raw)
	}
	if err := json.Unmarshal(raw, &c); err != nil {
		return c, 0, fmt.Errorf("%s config: %w", class, err)
	}
	if c.Name == nil || *c.Name == "" {
		return c, 0, fmt.Errorf("%s config has no name (it names the optimizer's variables in %s)", class, weightsMember)
	}
	if c.UseEMA {
		return c, 0, fmt.Errorf("%s has use_ema on; kerasfile supports it off", class)
	}
	if c.AMSGrad {
		return c, 0, fmt.Errorf("%s has amsgrad on; kerasfile supports it off", class)
	}
	refused := []struct {
		key string
		v   json.RawMessage
	}{
		{"clipnorm", c.ClipNorm}, {"global_clipnorm", c.GlobalClipNorm}, {"clipvalue", c.ClipValue},
		{"loss_scale_factor", c.LossScale}, {"gradient_accumulation_steps", c.GradAccum},
	}
	if class == "Adam" {
		// AdamW is Adam with weight decay; an Adam with weight_decay is an
		// AdamW under another name, which the package's users do not
		// implement.
		refused = append(refused, struct {
			key string
			v   json.RawMessage
		}{"weight_decay", c.WeightDecay})
	}
	for _, f := range refused {
		if !isNull(f.v) {
			return c, 0, fmt.Errorf("%s has %s %s; kerasfile supports none", class, f.key, f.v)
		}
	}
	// A schedule is an object; Keras writes a constant rate as a number.
	if isNull(c.LearningRate) || bytes.TrimSpace(c.LearningRate)[0] == '{' {
		return c, 0, fmt.Errorf("%s learning_rate %s is not a number (a schedule?); kerasfile supports a constant rate", class, c.LearningRate)
	}
	lr, err := parseHyper(class, "learning_rate", c.LearningRate, checkLearningRate)
	if err != nil {
		return c, 0, err
	}
	switch class {
	case "Adam", "AdamW":
		for _, p := range []struct {
			key   string
			raw   json.RawMessage
			check func(label, text string, v float64) error
		}{
			{"beta_1", c.Beta1, checkBeta},
			{"beta_2", c.Beta2, checkBeta},
			{"epsilon", c.Epsilon, checkEpsilon},
		} {
			if _, err := parseHyper(class, p.key, p.raw, p.check); err != nil {
				return c, 0, err
			}
		}
	case "SGD":
		// Keras's own check, in SGD's constructor.
		if m := c.Momentum; m != nil && !(*m >= 0 && *m <= 1) {
			return c, 0, fmt.Errorf("SGD momentum %s out of range: want 0 <= momentum <= 1", strconv.FormatFloat(*m, 'g', -1, 64))
		}
	}
	return c, float32(*lr), nil
}

// slotLayout returns the slot variables an optimizer of class with config
// c keeps for each trained variable, grouped as its build adds them
// (add_optimizer_variables): a group of several names interleaves them
// variable by variable, and groups follow one another. So Adam's and
// AdamW's slots are the momentum and velocity of the first trained
// variable, then of the second, ...; RMSprop's are the velocity of each
// trained variable, then the momentum of each (if momentum > 0), then the
// average gradient of each (if centered); SGD's are the momentum of each
// (if momentum != 0).
func slotLayout(class string, c optimizerConfig) [][]string {
	momentum := 0.0
	if c.Momentum != nil {
		momentum = *c.Momentum
	}
	switch class {
	case "Adam", "AdamW":
		return [][]string{{"momentum", "velocity"}}
	case "SGD":
		if momentum != 0 {
			return [][]string{{"momentum"}}
		}
	case "RMSprop":
		g := [][]string{{"velocity"}}
		if momentum > 0 {
			g = append(g, []string{"momentum"})
		}
		if c.Centered {
			g = append(g, []string{"average_gradient"})
		}
		return g
	}
	return nil
}

// trained is a trained variable: where it is in model.weights.h5, and its
// shape. Every layer variable is trained but a layer's NonTrainable last
// ones.
type trained struct {
	path  string
	shape []int
}

// trainedVariables returns m's layer variables in Keras's order, which is
// model.trainable_variables' for layers whose variables are all trainable.
func (m Model) trainedVariables() []trained {
	var vars []trained
	keys := m.groupKeys()
	for i, l := range m.Layers {
		for j, w := range l.Weights[:min(max(len(l.Weights)-l.NonTrainable, 0), len(l.Weights))] {
			vars = append(vars, trained{fmt.Sprintf("layers/%s/vars/%d", keys[i], j), w.Shape})
		}
	}
	return vars
}

// slot is one slot variable an optimizer's build creates: its kind
// (momentum, velocity, ...) and the trained variable it is for.
type slot struct {
	kind string
	of   trained
}

// slots returns the slot variables of an optimizer laid out as layout for
// the trained variables vars, in Keras's order.
func slots(layout [][]string, vars []trained) []slot {
	var s []slot
	for _, group := range layout {
		for _, v := range vars {
			for _, kind := range group {
				s = append(s, slot{kind, v})
			}
		}
	}
	return s
}

// describeSlots says in words what layout holds for n trained variables.
func describeSlots(class string, layout [][]string, n int) string {
	if len(layout) == 0 {
		return class + " keeps no slots"
	}
	groups := make([]string, len(layout))
	for i, g := range layout {
		groups[i] = strings.Join(g, " and ")
	}
	return fmt.Sprintf("%s keeps %s for each of the %d trained variables", class, strings.Join(groups, ", then "), n)
}

// validate checks c before Write for the model m, and returns the number of
// float32 values of the optimizer's variables.
func (c *Compile) validate(m Model) (int, error) {
	o := &c.Optimizer
	cfg, _, err := parseOptimizer(o.ClassName, o.Config)
	if err != nil {
		return 0, fmt.Errorf("compile: %w", err)
	}
	if err := checkLearningRate(o.ClassName+" LearningRate", strconv.FormatFloat(float64(o.LearningRate), 'g', -1, 32), float64(o.LearningRate)); err != nil {
		return 0, fmt.Errorf("compile: %w", err)
	}
	if o.Iterations < 0 {
		return 0, fmt.Errorf("compile: %s: %d iterations", o.ClassName, o.Iterations)
	}
	layout := slotLayout(o.ClassName, cfg)
	vars := m.trainedVariables()
	want := slots(layout, vars)
	n := 2 // iterations, learning rate
	if o.Slots != nil && len(o.Slots) != len(want) {
		return 0, fmt.Errorf("compile: %s has %d slots, want %d: %s", o.ClassName, len(o.Slots), len(want), describeSlots(o.ClassName, layout, len(vars)))
	}
	for i, s := range want {
		if o.Slots != nil {
			w := o.Slots[i]
			if !slices.Equal(w.Shape, s.of.shape) {
				return 0, fmt.Errorf("compile: %s slot %d (%s of %s) has shape %s, want %s",
					o.ClassName, i, s.kind, s.of.path, shapeString(w.Shape), shapeString(s.of.shape))
			}
			if err := w.check(); err != nil {
				return 0, fmt.Errorf("compile: %s slot %d (%s of %s): %w", o.ClassName, i, s.kind, s.of.path, err)
			}
		}
		n += product(s.of.shape)
	}
	for _, f := range []struct {
		what string
		raw  json.RawMessage
	}{{"Loss", c.Loss}, {"Metrics", c.Metrics}} {
		if f.raw != nil && !json.Valid(f.raw) {
			return 0, fmt.Errorf("compile: %s %q is not JSON", f.what, f.raw)
		}
	}
	if t := bytes.TrimSpace(c.Metrics); c.Metrics != nil && !isNull(t) && t[0] != '[' {
		return 0, fmt.Errorf("compile: Metrics %s is not a JSON list", t)
	}
	return n, nil
}

// name returns the name in o's config, which parseOptimizer has checked.
func (o *Optimizer) name() string {
	var c struct {
		Name string `json:"name"`
	}
	json.Unmarshal(o.Config, &c)
	return c.Name
}

// nonTrainableVars is, for the Keras layer classes whose build makes
// non-trainable variables, how many of their last variables those are:
// BatchNormalization's moving_mean and moving_variance follow gamma and
// beta.
var nonTrainableVars = map[string]int{"BatchNormalization": 2}
