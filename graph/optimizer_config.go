package graph

import (
	"encoding/json"
	"fmt"
)

// OptimizerFromKeras returns the optimizer of a Keras class with a config
// as get_config (and a .keras file's compile_config) holds it: Keras's
// defaults, then the config's values of the keys the optimizer has.
// Options Go does not implement (EMA, clipping, loss scaling, gradient
// accumulation, AMSGrad) are errors naming them.
func OptimizerFromKeras(class string, raw json.RawMessage) (Optimizer, error) {
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("%s config: %w", class, err)
	}
	for key, off := range map[string]any{
		"use_ema": false, "clipnorm": nil, "global_clipnorm": nil, "clipvalue": nil,
		"loss_scale_factor": nil, "gradient_accumulation_steps": nil, "amsgrad": false,
	} {
		if v, ok := c[key]; ok && v != off {
			return nil, fmt.Errorf("%s config: %s = %v is not supported (only %v)", class, key, v, off)
		}
	}
	var err error
	num := func(key string, dst *float64) {
		v, ok := c[key]
		if !ok || v == nil || err != nil {
			return // absent, or None (weight_decay): the default
		}
		f, isNum := v.(float64)
		if !isNum {
			err = fmt.Errorf("%s config: %s is %v, want a number", class, key, v)
			return
		}
		*dst = f
	}
	flag := func(key string, dst *bool) {
		v, ok := c[key]
		if !ok || err != nil {
			return
		}
		b, isBool := v.(bool)
		if !isBool {
			err = fmt.Errorf("%s config: %s is %v, want a boolean", class, key, v)
			return
		}
		*dst = b
	}
	var o Optimizer
	switch class {
	case "Adam":
		a := DefaultAdam()
		lr, b1, b2, eps := float64(a.LearningRate), float64(a.Beta1), float64(a.Beta2), float64(a.Epsilon)
		num("learning_rate", &lr)
		num("beta_1", &b1)
		num("beta_2", &b2)
		num("epsilon", &eps)
		var wd float64
		num("weight_decay", &wd)
		if wd != 0 {
			err = fmt.Errorf("Adam config: weight_decay %v is not supported: use AdamW", wd)
		}
		o = Adam{LearningRate: float32(lr), Beta1: float32(b1), Beta2: float32(b2), Epsilon: float32(eps)}
	case "SGD":
		s := DefaultSGD()
		num("learning_rate", &s.LearningRate)
		num("momentum", &s.Momentum)
		flag("nesterov", &s.Nesterov)
		num("weight_decay", &s.WeightDecay)
		o = s
	case "RMSprop":
		r := DefaultRMSprop()
		num("learning_rate", &r.LearningRate)
		num("rho", &r.Rho)
		num("momentum", &r.Momentum)
		num("epsilon", &r.Epsilon)
		flag("centered", &r.Centered)
		num("weight_decay", &r.WeightDecay)
		o = r
	case "AdamW":
		a := DefaultAdamW()
		num("learning_rate", &a.LearningRate)
		num("weight_decay", &a.WeightDecay)
		num("beta_1", &a.Beta1)
		num("beta_2", &a.Beta2)
		num("epsilon", &a.Epsilon)
		o = a
	default:
		return nil, fmt.Errorf("optimizer %q is not supported: want one of Adam, AdamW, SGD, RMSprop", class)
	}
	if err != nil {
		return nil, err
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return o, nil
}
