package graph

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// Loss is one of Keras's losses (keras/src/losses/losses.py), reduced over
// a batch as Keras's default "sum_over_batch_size" does: the sum of the
// examples' losses divided by their number.
type Loss interface {
	// Name is the loss's name in Keras: its function's name,
	// "sparse_categorical_crossentropy", "mean_squared_error", ...
	Name() string
	// ClassName is Keras's class: "SparseCategoricalCrossentropy", ...
	ClassName() string
	// Config is the loss object's get_config.
	Config() map[string]any
	// Sparse reports whether targets are class indices, int32 and one per
	// example, rather than float32 values shaped like the model's output.
	Sparse() bool
	// Compute adds the batch's mean loss of the predictions pred against
	// target, and where its gradient starts.
	Compute(s *op.Scope, target tf.Output, pred Value) LossValue
}

// LossValue is a batch's loss in the graph.
type LossValue struct {
	Mean tf.Output // scalar: the mean over the batch
	// The gradient of Mean reaches the model through Wrt, whose gradient
	// is Grad. For the cross-entropies computed from logits, Wrt is the
	// logits and Grad the kernel's own backprop output (TensorFlow has no
	// C++ gradient of SparseSoftmaxCrossEntropyWithLogits); otherwise Wrt
	// is Mean and Grad is 1.
	Wrt, Grad tf.Output
}

// ErrUnknownLoss is returned by GetLoss for a name or class it does not
// know.
var ErrUnknownLoss = errors.New("unknown loss")

// epsilon is Keras's backend.epsilon(), the clip of probabilities.
const epsilon = 1e-7

// lossSpellings are the strings keras.losses.get accepts for each loss.
var lossSpellings = map[string][]string{
	"SparseCategoricalCrossentropy": {"sparse_categorical_crossentropy"},
	"CategoricalCrossentropy":       {"categorical_crossentropy"},
	"BinaryCrossentropy":            {"binary_crossentropy"},
	"MeanSquaredError":              {"mean_squared_error", "mse", "MSE"},
	"MeanAbsoluteError":             {"mean_absolute_error", "mae", "MAE"},
}

// KnownLosses lists the loss names GetLoss accepts, Keras's function names
// and class names.
func KnownLosses() []string {
	var names []string
	for class, spellings := range lossSpellings {
		names = append(names, class, spellings[0])
	}
	slices.Sort(names)
	return names
}

// GetLoss returns the loss keras.losses.get returns for identifier: a
// string (a function name such as "mse" or "sparse_categorical_crossentropy",
// or a class name) or, as JSON, a serialized loss object
// {"class_name": ..., "config": {...}} as compile_config holds it.
// Options Go does not implement (label smoothing, ignore_class, another
// reduction or axis) are errors.
func GetLoss(identifier string) (Loss, error) {
	trimmed := strings.TrimSpace(identifier)
	if strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, `"`) {
		return LossFromJSON(json.RawMessage(trimmed))
	}
	for class, spellings := range lossSpellings {
		if slices.Contains(spellings, identifier) {
			l, err := newLoss(class, nil)
			if err != nil {
				return nil, err
			}
			setSpelling(l, identifier)
			return l, nil
		}
		if identifier == class {
			return newLoss(class, nil)
		}
	}
	return nil, fmt.Errorf("%w %q: want one of %v", ErrUnknownLoss, identifier, KnownLosses())
}

// LossFromJSON reads a loss as compile_config holds it: a JSON string, or
// a serialized object.
func LossFromJSON(raw json.RawMessage) (Loss, error) {
	var name string
	if err := json.Unmarshal(raw, &name); err == nil {
		return GetLoss(name)
	}
	var obj struct {
		ClassName string                     `json:"class_name"`
		Config    map[string]json.RawMessage `json:"config"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil || obj.ClassName == "" {
		return nil, fmt.Errorf("loss %s: want a name or an object with a class_name", raw)
	}
	return newLoss(obj.ClassName, obj.Config)
}

// SerializeLoss is the loss as compile_config holds it: the string the
// loss was asked for by (GetLoss("mse")), or Keras's serialized object.
func SerializeLoss(l Loss) (json.RawMessage, error) {
	if sp, ok := l.(interface{ spelling() string }); ok && sp.spelling() != "" {
		return json.Marshal(sp.spelling())
	}
	return json.Marshal(map[string]any{
		"module": "keras.losses", "class_name": l.ClassName(), "config": l.Config(), "registered_name": nil,
	})
}

// lossBase is what every loss has: its name and how it was spelled.
type lossBase struct {
	name    string // Keras's default name (the function's)
	spelled string // the string GetLoss was given, if any
}

func (b *lossBase) Name() string     { return b.name }
func (b *lossBase) spelling() string { return b.spelled }

func setSpelling(l Loss, s string) {
	if b, ok := l.(interface{ setSpelled(string) }); ok {
		b.setSpelled(s)
	}
}

func (b *lossBase) setSpelled(s string) { b.spelled = s }

// newLoss makes the loss of a Keras class from its config (nil: defaults).
func newLoss(class string, config map[string]json.RawMessage) (Loss, error) {
	var (
		fromLogits bool
		l          Loss
	)
	allowed := map[string]string{ // options, and the only value Go implements
		"name": "", "dtype": "null", "reduction": `"sum_over_batch_size"`,
	}
	switch class {
	case "SparseCategoricalCrossentropy":
		allowed["from_logits"], allowed["ignore_class"] = "", "null"
	case "CategoricalCrossentropy", "BinaryCrossentropy":
		allowed["from_logits"], allowed["label_smoothing"], allowed["axis"] = "", "0", "-1"
	case "MeanSquaredError", "MeanAbsoluteError":
	default:
		return nil, fmt.Errorf("%w %q: want one of %v", ErrUnknownLoss, class, KnownLosses())
	}
	for key, raw := range config {
		want, ok := allowed[key]
		if !ok {
			return nil, fmt.Errorf("loss %s: option %q is not supported", class, key)
		}
		if key == "from_logits" {
			if err := json.Unmarshal(raw, &fromLogits); err != nil {
				return nil, fmt.Errorf("loss %s: from_logits %s: want true or false", class, raw)
			}
			continue
		}
		if want != "" && !sameJSON(raw, want) {
			return nil, fmt.Errorf("loss %s: %s %s is not supported: only %s", class, key, raw, want)
		}
	}
	switch class {
	case "SparseCategoricalCrossentropy":
		l = &SparseCategoricalCrossentropy{lossBase: lossBase{name: "sparse_categorical_crossentropy"}, FromLogits: fromLogits}
	case "CategoricalCrossentropy":
		l = &CategoricalCrossentropy{lossBase: lossBase{name: "categorical_crossentropy"}, FromLogits: fromLogits}
	case "BinaryCrossentropy":
		l = &BinaryCrossentropy{lossBase: lossBase{name: "binary_crossentropy"}, FromLogits: fromLogits}
	case "MeanSquaredError":
		l = &MeanSquaredError{lossBase{name: "mean_squared_error"}}
	case "MeanAbsoluteError":
		l = &MeanAbsoluteError{lossBase{name: "mean_absolute_error"}}
	}
	return l, nil
}

// sameJSON compares two JSON values as numbers where both are numbers.
func sameJSON(raw json.RawMessage, want string) bool {
	var a, b any
	if json.Unmarshal(raw, &a) != nil || json.Unmarshal([]byte(want), &b) != nil {
		return false
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

// lossConfig is the get_config every loss shares.
func lossConfig(name string, extra map[string]any) map[string]any {
	c := map[string]any{"name": name, "reduction": "sum_over_batch_size", "dtype": nil}
	for k, v := range extra {
		c[k] = v
	}
	return c
}

// meanOverBatch reduces per-example losses as Keras's reduce_values does:
// their sum over the whole tensor divided, without NaN for an empty batch,
// by their number.
func meanOverBatch(s *op.Scope, perExample tf.Output) (mean, count tf.Output) {
	n := op.Cast(sub(s, "batch_size"), op.Size(sub(s, "n"), perExample), tf.Float)
	sum := op.Sum(sub(s, "sum"), perExample, op.Const(sub(s, "axis"), []int32{0}))
	return op.DivNoNan(sub(s, "mean"), sum, n), n
}

// plainLoss is the LossValue of a loss whose gradient the C API's
// gradient registry computes from the mean itself.
func plainLoss(s *op.Scope, mean tf.Output) LossValue {
	return LossValue{Mean: mean, Wrt: mean, Grad: op.OnesLike(sub(s, "dloss"), mean)}
}

// logitsOf returns the logits Keras's cross-entropies use for pred: the
// logits behind a softmax or sigmoid output (Keras's _keras_logits) whatever
// from_logits says, pred itself when fromLogits, and ok false otherwise.
func logitsOf(pred Value, fromLogits bool) (logits tf.Output, ok bool) {
	if pred.HasLogits() {
		return pred.Logits, true
	}
	if fromLogits {
		return pred.Out, true
	}
	return tf.Output{}, false
}

// clipProbabilities is tf.clip_by_value(p, ε, 1-ε) as Keras calls it:
// Minimum, then Maximum.
func clipProbabilities(s *op.Scope, p tf.Output) tf.Output {
	s = sub(s, "clip_by_value")
	low := op.Minimum(sub(s, "Minimum"), p, op.Const(sub(s, "max"), float32(1-epsilon)))
	return op.Maximum(sub(s, "Maximum"), low, op.Const(sub(s, "min"), float32(epsilon)))
}

// lastAxis is the axis constant -1.
func lastAxis(s *op.Scope) tf.Output { return op.Const(sub(s, "last_axis"), int32(-1)) }
