package tfmodel

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/graph"
	"github.com/gokeras/fashion/internal/npy"
	"github.com/gokeras/fashion/internal/pyenv"
	"github.com/gokeras/fashion/tensor"
)

// partCase is one model trained in Go and in Keras from the same weights on
// the same batches: every layer, optimizer, loss and metric appears in at
// least one. bound is the largest difference allowed in the final weights,
// the per-epoch logs and the predictions; 0 means bit for bit.
type partCase struct {
	name    string
	input   []int
	layers  func() []Layer
	opt     graph.Optimizer
	loss    string // as GetLoss takes it
	metrics []string
	targets string // "labels", "onehot", "binary", "values"
	bound   float64
	why     string // the reason for a bound above 0
}

// Adam and AdamW with betas that are float32 values: Keras reads the
// config Go writes, so both compute with the same numbers (see graph's
// TestOptimizersMatchKeras for Keras's float64 defaults).
var (
	exactAdam  = graph.Adam{LearningRate: 0.01, Beta1: 0.9, Beta2: 0.999, Epsilon: 1e-7}
	exactAdamW = graph.AdamW{LearningRate: 0.01, WeightDecay: 0.004, Beta1: float64(float32(0.9)), Beta2: float64(float32(0.999)), Epsilon: 1e-7}
)

func partCases() []partCase {
	return []partCase{
		{name: "dense_relu_softmax_sparse_adam", input: []int{12},
			layers: func() []Layer { return []Layer{Dense(16, "relu"), Dense(4, "softmax")} },
			opt:    exactAdam, loss: "sparse_categorical_crossentropy", metrics: []string{"accuracy"}, targets: "labels"},
		{name: "gelu_dropout_logits_sgd_nesterov", input: []int{12},
			layers: func() []Layer {
				return []Layer{Dense(16, "gelu"), graph.NewSeededDropout(0.25, 3), Dense(4, "")}
			},
			opt: graph.SGD{LearningRate: 0.05, Momentum: 0.9, Nesterov: true}, loss: `{"class_name": "SparseCategoricalCrossentropy", "config": {"from_logits": true}}`,
			metrics: []string{"accuracy", "sparse_categorical_accuracy"}, targets: "labels",
			bound: 5e-6, why: "gelu: Keras computes 0.5·x·erfc(-x/√2); the C API has no gradient for Erfc, so Go computes 0.5·x·(1+erf(x/√2)), a few ulps apart"},
		{name: "tanh_sigmoid_binary_rmsprop", input: []int{12},
			layers: func() []Layer { return []Layer{Dense(16, "tanh"), Dense(1, "sigmoid")} },
			opt:    graph.RMSprop{LearningRate: 0.01, Rho: 0.9, Momentum: 0.5, Epsilon: 1e-7, Centered: true}, loss: "binary_crossentropy",
			metrics: []string{"accuracy", "binary_accuracy"}, targets: "binary",
			bound: 2e-6, why: "Keras's sigmoid_cross_entropy_with_logits gradient is Python's autodiff of its selects; the C API's registered gradients of the same ops round the last bit differently"},
		{name: "binary_from_logits_sgd", input: []int{12},
			layers: func() []Layer { return []Layer{Dense(8, "relu"), Dense(1, "")} },
			opt:    graph.SGD{LearningRate: 0.05}, loss: `{"class_name": "BinaryCrossentropy", "config": {"from_logits": true}}`,
			metrics: []string{"accuracy"}, targets: "binary",
			bound: 2e-6, why: "as for binary cross-entropy from probabilities: autodiff of the same ops by two gradient registries"},
		{name: "mse_regression_adamw", input: []int{12},
			layers: func() []Layer { return []Layer{Dense(16, "sigmoid"), Dense(3, "")} },
			opt:    exactAdamW, loss: "mse", metrics: []string{"mae", "mse"}, targets: "values"},
		{name: "reshape_flatten_mae_sgd", input: []int{3, 4},
			layers: func() []Layer { return []Layer{Reshape(12), Dense(6, "relu"), Reshape(2, 3), Flatten(), Dense(2, "")} },
			opt:    graph.SGD{LearningRate: 0.05, Momentum: 0.5}, loss: "mae", metrics: []string{"mse"}, targets: "values"},
		{name: "categorical_softmax_adam", input: []int{12},
			layers: func() []Layer { return []Layer{Dense(16, "relu"), Dense(4, "softmax")} },
			opt:    exactAdam, loss: "categorical_crossentropy", metrics: []string{"accuracy", "categorical_accuracy"}, targets: "onehot"},
		{name: "categorical_from_logits_rmsprop", input: []int{12},
			layers: func() []Layer { return []Layer{Dense(16, "relu"), Dropout(0.1), Dense(4, "")} },
			opt:    graph.RMSprop{LearningRate: 0.005, Rho: 0.9, Epsilon: 1e-7}, loss: `{"class_name": "CategoricalCrossentropy", "config": {"from_logits": true}}`,
			metrics: []string{"accuracy"}, targets: "onehot"},

		// The convolutional layers of issue 14, on small images.
		{name: "conv_valid_relu_maxpool_adam", input: []int{8, 8, 1},
			layers: func() []Layer {
				return []Layer{conv2D(4, 3, "relu", nil), graph.NewMaxPooling2D([2]int{2, 2}), Flatten(), Dense(4, "softmax")}
			},
			opt: exactAdam, loss: "sparse_categorical_crossentropy", metrics: []string{"accuracy"}, targets: "labels"},
		{name: "conv_same_strides2_tanh_avgpool_sgd", input: []int{6, 6, 2},
			layers: func() []Layer {
				return []Layer{
					conv2D(3, 3, "tanh", func(c *graph.Conv2D) { c.Padding, c.Strides = "same", [2]int{2, 2} }),
					&graph.AveragePooling2D{PoolSize: [2]int{2, 2}, Strides: [2]int{1, 1}, Padding: "same"},
					Flatten(), Dense(3, ""),
				}
			},
			opt: graph.SGD{LearningRate: 0.05, Momentum: 0.5}, loss: "mse", metrics: []string{"mae"}, targets: "values"},
		{name: "conv_dilated_nobias_sigmoid_gap_rmsprop", input: []int{8, 8, 1},
			layers: func() []Layer {
				return []Layer{
					conv2D(4, 3, "sigmoid", func(c *graph.Conv2D) { c.DilationRate, c.UseBias = [2]int{2, 2}, false }),
					graph.NewGlobalAveragePooling2D(), Dense(4, "softmax"),
				}
			},
			opt: graph.RMSprop{LearningRate: 0.01, Rho: 0.9, Epsilon: 1e-7}, loss: "categorical_crossentropy", metrics: []string{"accuracy"}, targets: "onehot"},
		{name: "conv_dilated_same_strided_maxpool_adamw", input: []int{7, 7, 2},
			layers: func() []Layer {
				return []Layer{
					conv2D(3, 3, "relu", func(c *graph.Conv2D) { c.KernelSize, c.DilationRate, c.Padding = [2]int{3, 2}, [2]int{2, 3}, "same" }),
					&graph.MaxPooling2D{PoolSize: [2]int{3, 3}, Strides: [2]int{2, 2}, Padding: "same"},
					conv2D(2, 2, "", func(c *graph.Conv2D) { c.Strides = [2]int{2, 1} }),
					Flatten(), Dense(3, ""),
				}
			},
			opt: exactAdamW, loss: "mae", metrics: []string{"mse"}, targets: "values"},
		{name: "conv_batchnorm_maxpool_dropout_adam", input: []int{6, 6, 2},
			layers: func() []Layer {
				// BatchNormalization and Dropout together: the exported CNN.
				return []Layer{conv2D(4, 3, "", nil), graph.NewBatchNormalization(), graph.NewMaxPooling2D([2]int{2, 2}), Flatten(), Dropout(0.3), Dense(4, "softmax")}
			},
			opt: exactAdam, loss: "sparse_categorical_crossentropy", metrics: []string{"accuracy"}, targets: "labels"},
		{name: "dense_batchnorm_sgd", input: []int{12},
			layers: func() []Layer {
				return []Layer{
					Dense(16, ""), &graph.BatchNormalization{Momentum: 0.9, Epsilon: 0.01, Center: true, Scale: true},
					Dense(8, "relu"), &graph.BatchNormalization{Momentum: 0.5, Epsilon: 1e-3, Scale: true},
					Dense(8, "tanh"), &graph.BatchNormalization{Momentum: 0.99, Epsilon: 1e-3, Center: true},
					Dense(4, ""),
				}
			},
			opt: graph.SGD{LearningRate: 0.05, Momentum: 0.9}, loss: `{"class_name": "SparseCategoricalCrossentropy", "config": {"from_logits": true}}`,
			metrics: []string{"accuracy"}, targets: "labels",
			bound: 2e-5, why: "Keras's SGD scales each gradient by the learning rate in a Mul of its own, which Grappler's arithmetic optimizer " +
				"reorders with the last Mul of gamma's gradient (Python's elementwise a·rsqrt(var+ε)) into (lr·a)·rsqrt(var+ε); Go's fused " +
				"ResourceApplyKerasMomentum takes (a·rsqrt(var+ε))·lr, so gamma moves by an ulp now and then (3.6e-6 with oneDNN, 7.6e-6 without, " +
				"after 100 steps); with Adam, which has no such Mul, BatchNormalization is bit for bit (dense_batchnorm_adam)"},
		{name: "dense_batchnorm_adam", input: []int{12},
			layers: func() []Layer {
				return []Layer{
					Dense(16, ""), &graph.BatchNormalization{Momentum: 0.9, Epsilon: 0.01, Center: true, Scale: true},
					Dense(8, "relu"), &graph.BatchNormalization{Momentum: 0.5, Epsilon: 1e-3, Scale: true},
					Dense(8, "tanh"), &graph.BatchNormalization{Momentum: 0.99, Epsilon: 1e-3, Center: true},
					Dense(4, "softmax"),
				}
			},
			opt: exactAdam, loss: "sparse_categorical_crossentropy", metrics: []string{"accuracy"}, targets: "labels"},
		{name: "rescaling_conv_gap_keepdims_adam", input: []int{6, 6, 1},
			layers: func() []Layer {
				return []Layer{
					graph.NewRescaling(2, -1), conv2D(4, 2, "relu", func(c *graph.Conv2D) { c.Padding = "same" }),
					&graph.GlobalAveragePooling2D{KeepDims: true}, Flatten(), graph.NewRescaling(0.5, 0.25), Dense(3, ""),
				}
			},
			opt: exactAdam, loss: "mse", metrics: []string{"mae"}, targets: "values"},
		// The CNN, scaled down from 28×28 images.
		{name: "small_cnn_dropout_adam", input: []int{8, 8},
			layers: func() []Layer {
				return []Layer{
					Reshape(8, 8, 1), conv2D(4, 3, "relu", nil), graph.NewMaxPooling2D([2]int{2, 2}),
					conv2D(8, 2, "relu", nil), graph.NewMaxPooling2D([2]int{2, 2}),
					Flatten(), Dropout(0.5), Dense(4, "softmax"),
				}
			},
			opt: exactAdam, loss: "sparse_categorical_crossentropy", metrics: []string{"accuracy"}, targets: "labels"},
	}
}

// conv2D is keras.layers.Conv2D(filters, kernel, activation=activation)
// with Keras's defaults, then edit.
func conv2D(filters, kernel int, activation string, edit func(*graph.Conv2D)) Layer {
	c := graph.NewConv2D(filters, [2]int{kernel, kernel}, graph.Activation(activation))
	if edit != nil {
		edit(c)
	}
	return c
}

// partData is deterministic data for a case: x ~ U(0, 1) and targets from
// a fixed random linear map of x, so that there is something to learn.
func partData(c partCase, n, classes int) (tensor.Float32, tensor.Tensor) {
	r := rand.New(rand.NewPCG(5, 9))
	f := tensor.Size(c.input)
	x := make([]float32, n*f)
	for i := range x {
		x[i] = r.Float32()
	}
	w := make([]float64, f*4)
	for i := range w {
		w[i] = r.NormFloat64()
	}
	score := func(i, k int) float64 {
		var z float64
		for j := range f {
			z += float64(x[i*f+j]) * w[j*4+k]
		}
		return z
	}
	xs := tensor.Float32{Shape: append([]int{n}, c.input...), Data: x}
	switch c.targets {
	case "labels", "onehot":
		labels := make([]int32, n)
		for i := range labels {
			best := math.Inf(-1)
			for k := range classes {
				if s := score(i, k); s > best {
					best, labels[i] = s, int32(k)
				}
			}
		}
		if c.targets == "labels" {
			return xs, tensor.Int32{Shape: []int{n}, Data: labels}
		}
		y := make([]float32, n*classes)
		for i, l := range labels {
			y[i*classes+int(l)] = 1
		}
		return xs, tensor.Float32{Shape: []int{n, classes}, Data: y}
	case "binary":
		y := make([]float32, n)
		for i := range y {
			if score(i, 0) > score(i, 1) {
				y[i] = 1
			}
		}
		return xs, tensor.Float32{Shape: []int{n, 1}, Data: y}
	}
	y := make([]float32, n*classes)
	for i := range n {
		for k := range classes {
			y[i*classes+k] = float32(score(i, k))
		}
	}
	return xs, tensor.Float32{Shape: []int{n, classes}, Data: y}
}

// TestPartsMatchKeras trains each case for 10 epochs of 10 steps (100
// steps) in Go, then has Keras 3 train the same model from Go's initial
// weights on the same batches (fit with shuffle=False), and compares the
// final weights, every epoch's logs, evaluate and predict.
func TestPartsMatchKeras(t *testing.T) {
	if testing.Short() {
		t.Skip("trains every part in Keras too")
	}
	const n, batch, epochs = 320, 32, 10
	root := t.TempDir()
	type goSide struct {
		c       partCase
		dir     string
		history *History
		final   [][]float32
		eval    Logs
		pred    tensor.Float32
	}
	var runs []goSide
	for _, c := range partCases() {
		dir := filepath.Join(root, c.name)
		require.NoError(t, os.MkdirAll(dir, 0o755))
		m, err := NewSequential(append([]Layer{Input(c.input...)}, c.layers()...)...)
		require.NoError(t, err, c.name)
		loss, err := graph.GetLoss(c.loss)
		require.NoError(t, err, c.name)
		require.NoError(t, m.Compile(CompileOptions{Optimizer: c.opt, Loss: loss, Metrics: c.metrics, Seed: 17}), c.name)
		defer m.Close()
		x, y := partData(c, n, m.Classes())

		// What Keras needs: the case, the data, the initial weights.
		init, err := m.readState()
		require.NoError(t, err)
		var vars []*graph.Variable
		for _, vs := range m.net.layerVars {
			vars = append(vars, vs...)
		}
		for i, w := range init.layerVars { // Keras's get_weights order
			require.NoError(t, npy.WriteFile(filepath.Join(dir, fmt.Sprintf("init_%d.npy", i)), w, shapeOf(vars[i])...))
		}
		require.NoError(t, npy.WriteFile(filepath.Join(dir, "x.npy"), x.Data, x.Shape...))
		switch yt := y.(type) {
		case tensor.Int32:
			require.NoError(t, npy.WriteFile(filepath.Join(dir, "y.npy"), yt.Data, yt.Shape...))
		case tensor.Float32:
			require.NoError(t, npy.WriteFile(filepath.Join(dir, "y.npy"), yt.Data, yt.Shape...))
		}
		var layers []map[string]any
		for _, l := range m.layers {
			cfg := l.Config()
			cfg["name"] = l.Name()
			layers = append(layers, map[string]any{"class_name": l.ClassName(), "config": cfg})
		}
		opt, err := graph.SerializeOptimizer(c.opt)
		require.NoError(t, err)
		lossJSON, err := graph.SerializeLoss(loss)
		require.NoError(t, err)
		caseJSON, err := json.Marshal(map[string]any{
			"input_shape": c.input, "layers": layers, "optimizer": json.RawMessage(opt), "loss": lossJSON,
			"metrics": c.metrics, "batch_size": batch, "epochs": epochs,
		})
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "case.json"), caseJSON, 0o644))

		fit := DefaultFitOptions()
		fit.Epochs, fit.BatchSize, fit.Shuffle = epochs, batch, false
		h, err := m.Fit(context.Background(), x, y, fit)
		require.NoError(t, err, c.name)
		final, err := m.readState()
		require.NoError(t, err)
		eval, err := m.Evaluate(x, y, EvaluateOptions{BatchSize: batch})
		require.NoError(t, err)
		pred, err := m.Predict(x, PredictOptions{BatchSize: batch})
		require.NoError(t, err)
		require.NoError(t, m.Save(filepath.Join(dir, "savedmodel")))
		require.NoError(t, m.SaveKeras(filepath.Join(dir, "model.keras")))
		runs = append(runs, goSide{c: c, dir: dir, history: h, final: final.layerVars, eval: eval, pred: pred})
	}

	args := []string{"testdata/parts_equivalence.py"}
	for _, r := range runs {
		args = append(args, r.dir)
	}
	out, err := pyenv.Run(context.Background(), args...)
	require.NoError(t, err, "%s", out)

	// Python TensorFlow serves each SavedModel Go wrote: the signature's
	// only input and output, with Go's predictions.
	_, err = pyenv.Run(context.Background(), append([]string{"-c", savedModelPredict}, args[1:]...)...)
	require.NoError(t, err)

	for _, r := range runs {
		t.Run(r.c.name, func(t *testing.T) {
			sp, _, err := npy.ReadFile[float32](filepath.Join(r.dir, "savedmodel_predict.npy"))
			require.NoError(t, err)
			require.Len(t, sp, len(r.pred.Data))
			var served float64
			for j := range sp {
				served = max(served, math.Abs(float64(sp[j]-r.pred.Data[j])))
			}
			assert.LessOrEqual(t, served, 1e-6, "tf.saved_model.load's serving_default against Go's Predict (batch size changes MatMul's blocking)")
			kp, _, err := npy.ReadFile[float32](filepath.Join(r.dir, "keras_file_predict.npy"))
			require.NoError(t, err)
			var loaded float64
			for j := range kp {
				loaded = max(loaded, math.Abs(float64(kp[j]-r.pred.Data[j])))
			}
			// 1e-6: with oneDNN off, Grappler fuses Go's MatMul and BiasAdd
			// into _FusedMatMul in the inference graph (1 ulp apart from the
			// separate ops Keras's predict runs); with oneDNN on they agree.
			assert.LessOrEqual(t, loaded, 1e-6, "keras.models.load_model of Go's .keras predicts what Go predicts")
			tp, _, err := npy.ReadFile[float32](filepath.Join(r.dir, "tflite_predict.npy"))
			require.NoError(t, err)
			require.Len(t, tp, len(r.pred.Data))
			var lite float64
			for j := range tp {
				lite = max(lite, math.Abs(float64(tp[j]-r.pred.Data[j])))
			}
			t.Logf("%s: max |TFLite - Go| %.3g", r.c.name, lite)
			// TFLite runs its own kernels (XNNPack's convolutions and
			// matrix products, its own reductions), not TensorFlow's.
			assert.LessOrEqual(t, lite, 1e-5, "TFLite's conversion of Go's SavedModel predicts what Go predicts")

			var kh struct {
				History map[string][]any `json:"history"`
			}
			readJSON(t, filepath.Join(r.dir, "keras_history.json"), &kh)
			var worst float64
			note := func(d float64) {
				if d > worst || math.IsNaN(d) {
					worst = d
				}
			}
			require.ElementsMatch(t, keysOf(kh.History), keysOf(r.history.History), "the logs' names are Keras's")
			for k, values := range kh.History {
				for e, v := range values {
					note(math.Abs(jsonFloat(t, v) - r.history.History[k][e]))
				}
			}
			for i, w := range r.final {
				kw, _, err := npy.ReadFile[float32](filepath.Join(r.dir, fmt.Sprintf("keras_%d.npy", i)))
				require.NoError(t, err)
				require.Len(t, kw, len(w))
				for j := range w {
					note(math.Abs(float64(kw[j] - w[j])))
				}
			}
			var ke map[string]any
			readJSON(t, filepath.Join(r.dir, "keras_evaluate.json"), &ke)
			for k, v := range ke {
				note(math.Abs(jsonFloat(t, v) - r.eval[k]))
			}
			kp, _, err = npy.ReadFile[float32](filepath.Join(r.dir, "keras_predict.npy"))
			require.NoError(t, err)
			require.Len(t, kp, len(r.pred.Data))
			for j := range kp {
				note(math.Abs(float64(kp[j] - r.pred.Data[j])))
			}
			t.Logf("%s: max |Go - Keras| over weights, logs, evaluate, predict after 100 steps: %.3g (bound %g)", r.c.name, worst, r.c.bound)
			assert.LessOrEqual(t, worst, r.c.bound, "%s", r.c.why)
		})
	}
}

// savedModelPredict runs each case's SavedModel in Python TensorFlow on
// its x.npy, through serving_default's only input, and writes the only
// output to savedmodel_predict.npy.
const savedModelPredict = `
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import numpy as np, tensorflow as tf
for d in sys.argv[1:]:
    fn = tf.saved_model.load(os.path.join(d, "savedmodel")).signatures["serving_default"]
    (name,) = fn.structured_input_signature[1].keys()
    (out,) = fn(**{name: tf.constant(np.load(os.path.join(d, "x.npy")))}).values()
    np.save(os.path.join(d, "savedmodel_predict.npy"), out.numpy())
    import keras
    m = keras.models.load_model(os.path.join(d, "model.keras"))
    np.save(os.path.join(d, "keras_file_predict.npy"), m.predict(np.load(os.path.join(d, "x.npy")), batch_size=32, verbose=0))
    # TFLite converts the SavedModel and runs it through the signature.
    flat = tf.lite.TFLiteConverter.from_saved_model(os.path.join(d, "savedmodel")).convert()
    runner = tf.lite.Interpreter(model_content=flat).get_signature_runner("serving_default")
    (out,) = runner(**{name: np.load(os.path.join(d, "x.npy"))}).values()
    np.save(os.path.join(d, "tflite_predict.npy"), out)
`

func shapeOf(v *graph.Variable) []int {
	s := make([]int, len(v.Shape))
	for i, d := range v.Shape {
		s[i] = int(d)
	}
	return s
}

func keysOf[V any](m map[string]V) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, v), "%s", path)
}

// jsonFloat reads a float the script wrote: a number, or "nan"/"inf".
func jsonFloat(t *testing.T, v any) float64 {
	switch x := v.(type) {
	case float64:
		return float64(float32(x))
	case string:
		switch x {
		case "nan":
			return math.NaN()
		case "inf":
			return math.Inf(1)
		case "-inf":
			return math.Inf(-1)
		}
	}
	t.Fatalf("not a float: %v", v)
	return 0
}
