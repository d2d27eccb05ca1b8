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

// Metric is one of Keras's mean metrics (MeanMetricWrapper): a value per
// example whose running mean over an epoch the logs report under Name.
type Metric interface {
	// Name is the key in the logs and History: the string the metric was
	// asked for by ("accuracy", "mae"), or Keras's default name.
	Name() string
	// ClassName is Keras's class: "SparseCategoricalAccuracy", ...
	ClassName() string
	// Values adds the batch's per-example values, float32 [N].
	Values(s *op.Scope, target, pred tf.Output) tf.Output
}

// ErrUnknownMetric is returned by GetMetric for a name it does not know.
var ErrUnknownMetric = errors.New("unknown metric")

// metricClasses maps the strings keras.metrics.get accepts to classes.
var metricClasses = map[string]string{
	"sparse_categorical_accuracy": "SparseCategoricalAccuracy",
	"categorical_accuracy":        "CategoricalAccuracy",
	"binary_accuracy":             "BinaryAccuracy",
	"mean_squared_error":          "MeanSquaredError",
	"mse":                         "MeanSquaredError",
	"MSE":                         "MeanSquaredError",
	"mean_absolute_error":         "MeanAbsoluteError",
	"mae":                         "MeanAbsoluteError",
	"MAE":                         "MeanAbsoluteError",
}

// KnownMetrics lists the metric names GetMetric accepts.
func KnownMetrics() []string {
	names := []string{"accuracy", "acc"}
	for name := range metricClasses {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// GetMetric returns the metric Keras 3's compile makes of identifier for a
// model whose targets have shape target and outputs shape output (one
// example's). "accuracy" and "acc" resolve as Keras's get_metric resolves
// them, from those shapes: BinaryAccuracy for one output, sparse
// categorical when the targets are class indices, categorical otherwise.
// identifier may also be a serialized metric object (JSON), as
// compile_config holds one.
func GetMetric(identifier string, target, output []int) (Metric, error) {
	if strings.HasPrefix(strings.TrimSpace(identifier), "{") {
		var obj struct {
			ClassName string         `json:"class_name"`
			Config    map[string]any `json:"config"`
		}
		if err := json.Unmarshal([]byte(identifier), &obj); err != nil {
			return nil, fmt.Errorf("metric %s: %w", identifier, err)
		}
		name, _ := obj.Config["name"].(string)
		if t, ok := obj.Config["threshold"]; ok && obj.ClassName == "BinaryAccuracy" && fmt.Sprint(t) != "0.5" {
			return nil, fmt.Errorf("metric %s: threshold %v is not supported: only 0.5", obj.ClassName, t)
		}
		return newMetric(obj.ClassName, name)
	}
	class, ok := metricClasses[identifier]
	if strings.EqualFold(identifier, "accuracy") || strings.EqualFold(identifier, "acc") {
		ok = true
		class = resolveAccuracy(target, output)
	}
	if !ok {
		return nil, fmt.Errorf("%w %q: want one of %v", ErrUnknownMetric, identifier, KnownMetrics())
	}
	return newMetric(class, identifier)
}

// resolveAccuracy is Keras's is_binary_or_sparse_categorical, on shapes
// with the batch dimension.
func resolveAccuracy(target, output []int) string {
	tRank, pRank := len(target)+1, len(output)+1
	last := func(s []int) int {
		if len(s) == 0 {
			return -1 // the batch dimension, unknown
		}
		return s[len(s)-1]
	}
	switch {
	case last(output) == 1:
		return "BinaryAccuracy"
	case tRank < pRank || (last(target) == 1 && last(output) > 1):
		return "SparseCategoricalAccuracy"
	}
	return "CategoricalAccuracy"
}

func newMetric(class, name string) (Metric, error) {
	m, ok := metricKinds[class]
	if !ok {
		return nil, fmt.Errorf("%w %q: want one of %v", ErrUnknownMetric, class, KnownMetrics())
	}
	if name == "" {
		name = m.name
	}
	return &meanMetric{name: name, class: class, values: m.values}, nil
}

// metricKinds are the metric classes, with Keras's default names and what
// their functions compute per example.
var metricKinds = map[string]struct {
	name   string
	values func(s *op.Scope, target, pred tf.Output) tf.Output
}{
	"SparseCategoricalAccuracy": {"sparse_categorical_accuracy", func(s *op.Scope, target, pred tf.Output) tf.Output {
		return op.Cast(sub(s, "Cast"), op.Equal(sub(s, "Equal"), argmax(s, "ArgMax", pred), target), tf.Float)
	}},
	"CategoricalAccuracy": {"categorical_accuracy", func(s *op.Scope, target, pred tf.Output) tf.Output {
		return op.Cast(sub(s, "Cast"), op.Equal(sub(s, "Equal"), argmax(s, "ArgMax_true", target), argmax(s, "ArgMax", pred)), tf.Float)
	}},
	// y_pred > 0.5 as the targets' dtype, compared, averaged over the last
	// axis.
	"BinaryAccuracy": {"binary_accuracy", func(s *op.Scope, target, pred tf.Output) tf.Output {
		predicted := op.Cast(sub(s, "predicted"), op.Greater(sub(s, "Greater"), pred, op.Const(sub(s, "threshold"), float32(0.5))), tf.Float)
		matches := op.Cast(sub(s, "Cast"), op.Equal(sub(s, "Equal"), target, predicted), tf.Float)
		return op.Mean(sub(s, "Mean"), matches, lastAxis(s))
	}},
	"MeanSquaredError":  {"mean_squared_error", squaredErrors},
	"MeanAbsoluteError": {"mean_absolute_error", absoluteErrors},
}

func argmax(s *op.Scope, name string, x tf.Output) tf.Output {
	return op.ArgMax(sub(s, name), x, lastAxis(s), op.ArgMaxOutputType(tf.Int32))
}

// meanMetric is every supported metric: a name, a class, and the values
// per example whose mean it reports.
type meanMetric struct {
	name, class string
	values      func(s *op.Scope, target, pred tf.Output) tf.Output
}

func (m *meanMetric) Name() string      { return m.name }
func (m *meanMetric) ClassName() string { return m.class }

// Values computes what Keras's metric function computes per example.
func (m *meanMetric) Values(s *op.Scope, target, pred tf.Output) tf.Output {
	return m.values(sub(s, m.name), target, pred)
}

// SerializeMetrics is the metrics list as compile_config holds it: the
// names they were asked for by.
func SerializeMetrics(metrics []Metric) (json.RawMessage, error) {
	if len(metrics) == 0 {
		return json.RawMessage("null"), nil
	}
	names := make([]string, len(metrics))
	for i, m := range metrics {
		names[i] = m.Name()
	}
	return json.Marshal(names)
}
