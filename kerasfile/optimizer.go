package kerasfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
)

// Optimizer is one of Keras 3's optimizers other than Adam, as Write
// stores it: its class and get_config in compile_config, as
// keras.optimizers.get reads them, and its variables in model.weights.h5,
// in Keras's order (optimizer.variables: iterations, learning_rate, then
// the slots as the optimizer's build adds them).
//
// Read returns it with the config as the file has it, once it has checked
// that the config sets none of the options Go does not implement
// (use_ema, clipping, loss scaling, gradient accumulation, a learning rate
// schedule, AdamW's amsgrad) and that the variables have the shapes the
// config implies.
type Optimizer struct {
	// ClassName is Keras's class, one of OptimizerClasses.
	ClassName string
	// Config is get_config as a JSON object (graph.SerializeOptimizer's
	// "config"). Its "name" names the variables' group in
	// model.weights.h5.
	Config json.RawMessage
	// Iterations is the number of steps taken.
	Iterations int64
	// LearningRate is the learning_rate variable.
	LearningRate float32
	// Slots are the slot variables, optimizer.variables[2:] (empty for a
	// plain SGD), each with its shape.
	Slots []Variable
}

// slotGroups returns how many slots o keeps per trained variable, grouped
// as Keras's build adds them: a group of k slots interleaves them variable
// by variable. It reads the options of the config that decide it.
func (o *Optimizer) slotGroups() ([]int, error) {
	var c struct {
		Momentum *float64 `json:"momentum"`
		Centered bool     `json:"centered"`
	}
	if err := json.Unmarshal(o.Config, &c); err != nil {
		return nil, fmt.Errorf("%s config: %w", o.ClassName, err)
	}
	switch o.ClassName {
	case "AdamW":
		return []int{2}, nil // momentum, velocity
	case "SGD":
		if c.Momentum != nil && *c.Momentum != 0 {
			return []int{1}, nil
		}
		return nil, nil
	case "RMSprop":
		g := []int{1} // velocity
		if c.Momentum != nil && *c.Momentum > 0 {
			g = append(g, 1)
		}
		if c.Centered {
			g = append(g, 1) // average_gradient
		}
		return g, nil
	}
	return nil, fmt.Errorf("optimizer %q: kerasfile supports Adam and %v", o.ClassName, OptimizerClasses)
}

// slotShapes returns the shapes of o's slots for the trained variables of
// shapes vars, in Keras's order.
func (o *Optimizer) slotShapes(vars [][]int) ([][]int, error) {
	groups, err := o.slotGroups()
	if err != nil {
		return nil, err
	}
	var shapes [][]int
	for _, k := range groups {
		for _, v := range vars {
			for range k {
				shapes = append(shapes, v)
			}
		}
	}
	return shapes, nil
}

// slotsPerWeight is how many slot values o keeps per weight.
func (o *Optimizer) slotsPerWeight() int {
	groups, _ := o.slotGroups()
	n := 0
	for _, k := range groups {
		n += k
	}
	return n
}

// parseOtherOptimizer reads the compile_config optimizer of a class in
// OptimizerClasses.
func parseOtherOptimizer(opt rawObject) (*Optimizer, error) {
	var c struct {
		Name         *string         `json:"name"`
		LearningRate json.RawMessage `json:"learning_rate"`
		AMSGrad      bool            `json:"amsgrad"`
		UseEMA       bool            `json:"use_ema"`
		// Options that change what a training step does; Go's optimizers
		// have none of them.
		ClipNorm       json.RawMessage `json:"clipnorm"`
		GlobalClipNorm json.RawMessage `json:"global_clipnorm"`
		ClipValue      json.RawMessage `json:"clipvalue"`
		LossScale      json.RawMessage `json:"loss_scale_factor"`
		GradAccum      json.RawMessage `json:"gradient_accumulation_steps"`
	}
	if err := json.Unmarshal(opt.Config, &c); err != nil {
		return nil, fmt.Errorf("%s config: %w", opt.ClassName, err)
	}
	if c.AMSGrad {
		return nil, fmt.Errorf("%s has amsgrad on; kerasfile supports it off", opt.ClassName)
	}
	if c.UseEMA {
		return nil, fmt.Errorf("%s has use_ema on; kerasfile supports it off", opt.ClassName)
	}
	for _, f := range []struct {
		key string
		v   json.RawMessage
	}{
		{"clipnorm", c.ClipNorm}, {"global_clipnorm", c.GlobalClipNorm}, {"clipvalue", c.ClipValue},
		{"loss_scale_factor", c.LossScale}, {"gradient_accumulation_steps", c.GradAccum},
	} {
		if !isNull(f.v) {
			return nil, fmt.Errorf("%s has %s %s; kerasfile supports none", opt.ClassName, f.key, f.v)
		}
	}
	if isNull(c.LearningRate) || bytes.TrimSpace(c.LearningRate)[0] == '{' {
		return nil, fmt.Errorf("%s learning_rate %s is not a number (a schedule?); kerasfile supports a constant rate", opt.ClassName, c.LearningRate)
	}
	lr, err := parseHyper("learning_rate", c.LearningRate, checkLearningRate)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", opt.ClassName, err)
	}
	if c.Name == nil || *c.Name == "" {
		return nil, fmt.Errorf("%s config has no name", opt.ClassName)
	}
	o := &Optimizer{ClassName: opt.ClassName, Config: slices.Clone(opt.Config), LearningRate: float32(*lr)}
	if _, err := o.slotGroups(); err != nil {
		return nil, err
	}
	return o, nil
}

// readOtherOptimizerVars reads o's variables, if the file has them, for
// the model m whose weights are read.
func readOtherOptimizerVars(f *h5, m *Model, o *Optimizer) error {
	if _, err := f.kind("optimizer/vars"); errors.Is(err, errNotExist) {
		return nil // a fresh optimizer, as Keras loads it
	} else if err != nil {
		return err
	}
	got, err := f.members("optimizer/vars")
	if err != nil {
		return err
	}
	if len(got) == 0 {
		return nil
	}
	var weights [][]int
	in := product(m.InputShape)
	for _, l := range m.Layers {
		weights = append(weights, []int{in, l.Units}, []int{l.Units})
		in = l.Units
	}
	shapes, err := o.slotShapes(weights)
	if err != nil {
		return err
	}
	nvars := 2 + len(shapes)
	if len(got) == 2 {
		nvars = 2 // compiled, never fit: no slots built
	}
	if err := expectVars(f, "optimizer/vars", nvars); err != nil {
		return fmt.Errorf("%s: %w", o.ClassName, err)
	}
	if o.Iterations, err = readInt64(f, "optimizer/vars/0"); err != nil {
		return fmt.Errorf("%s iterations: %w", o.ClassName, err)
	}
	lr, err := readFloat32(f, "optimizer/vars/1")
	if err != nil {
		return fmt.Errorf("%s learning rate: %w", o.ClassName, err)
	}
	if err := checkLearningRate(o.ClassName+" learning rate (optimizer/vars/1)", strconv.FormatFloat(float64(lr[0]), 'g', -1, 32), float64(lr[0])); err != nil {
		return err
	}
	o.LearningRate = lr[0]
	if nvars == 2 {
		return nil
	}
	for i, dims := range shapes {
		path := "optimizer/vars/" + strconv.Itoa(2+i)
		data, err := readFloat32(f, path, dims...)
		if err != nil {
			return fmt.Errorf("%s: %w", o.ClassName, err)
		}
		o.Slots = append(o.Slots, Variable{Dims: slices.Clone(dims), Data: data})
	}
	return nil
}

// Variable is one variable's shape and values, row-major.
type Variable struct {
	Dims []int
	Data []float32
}

// OptimizerClasses are the classes an Optimizer may have.
var OptimizerClasses = []string{"AdamW", "RMSprop", "SGD"}

// name returns the optimizer's name from its config.
func (o *Optimizer) name() (string, error) {
	var c struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(o.Config, &c); err != nil {
		return "", fmt.Errorf("config: %w", err)
	}
	if c.Name == "" {
		return "", errors.New("config has no name")
	}
	return c.Name, nil
}

// validate checks o before Write.
func (o *Optimizer) validate() error {
	if !slices.Contains(OptimizerClasses, o.ClassName) {
		return fmt.Errorf("optimizer %q: Write supports Adam (Model.Optimizer) and %v (Model.OtherOptimizer)", o.ClassName, OptimizerClasses)
	}
	if t := bytes.TrimSpace(o.Config); len(t) == 0 || t[0] != '{' {
		return fmt.Errorf("%s: config %q is not a JSON object", o.ClassName, o.Config)
	}
	if _, err := o.name(); err != nil {
		return fmt.Errorf("%s: %w", o.ClassName, err)
	}
	if err := checkLearningRate(o.ClassName+" learning rate", strconv.FormatFloat(float64(o.LearningRate), 'g', -1, 32), float64(o.LearningRate)); err != nil {
		return err
	}
	if o.Iterations < 0 {
		return fmt.Errorf("%s: %d iterations", o.ClassName, o.Iterations)
	}
	for i, v := range o.Slots {
		if len(v.Data) != product(v.Dims) {
			return fmt.Errorf("%s: variable %d has %d values, its shape %s holds %d", o.ClassName, i+2, len(v.Data), shapeString(v.Dims), product(v.Dims))
		}
	}
	return nil
}

// writeOptimizerVars writes o's variables as Keras 3 lays them out.
func writeOptimizerVars(f *h5, o *Optimizer) error {
	name, err := o.name()
	if err != nil {
		return err
	}
	if err := f.group("optimizer", ""); err != nil {
		return err
	}
	if err := f.group("optimizer/vars", name); err != nil {
		return err
	}
	if err := f.writeInt64("optimizer/vars/0", o.Iterations); err != nil {
		return err
	}
	if err := f.writeFloat32("optimizer/vars/1", nil, []float32{o.LearningRate}); err != nil {
		return err
	}
	for i, v := range o.Slots {
		if err := f.writeFloat32("optimizer/vars/"+strconv.Itoa(2+i), v.Dims, v.Data); err != nil {
			return err
		}
	}
	return nil
}
