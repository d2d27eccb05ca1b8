package savedmodel_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gokeras/fashion/internal/npy"
	"github.com/gokeras/fashion/savedmodel"
	"github.com/gokeras/fashion/tensor"
	"github.com/gokeras/fashion/tfmodel"
)

// pythonChecks is what testdata/check_savedmodel.py measures.
type pythonChecks struct {
	N      int               `json:"n"`
	Errors map[string]string `json:"errors"`

	SignatureKeys    []string              `json:"signature_keys"`
	SignatureInputs  map[string]tensorSpec `json:"signature_inputs"`
	SignatureOutputs map[string]tensorSpec `json:"signature_outputs"`
	MaxAbsDiff       float64               `json:"max_abs_diff"`
	PythonAccuracy   float64               `json:"python_accuracy"`
	GoAccuracy       float64               `json:"go_accuracy"`
	Uint8MaxAbsDiff  float64               `json:"uint8_max_abs_diff"`

	Variables []struct {
		Name      string  `json:"name"`
		Shape     []int64 `json:"shape"`
		DType     string  `json:"dtype"`
		Trainable bool    `json:"trainable"`
	} `json:"variables"`

	TFSMMaxAbsDiff       float64 `json:"tfsm_max_abs_diff"`
	TFSMTrainableWeights []struct {
		Name  string  `json:"name"`
		Shape []int64 `json:"shape"`
	} `json:"tfsm_trainable_weights"`
	TFSMNonTrainableWeights int     `json:"tfsm_non_trainable_weights"`
	FitLossBefore           float64 `json:"fit_loss_before"`
	FitLossAfter            float64 `json:"fit_loss_after"`

	SavedModelCLI struct {
		ReturnCode int    `json:"returncode"`
		Stdout     string `json:"stdout"`
		StderrTail string `json:"stderr_tail"`
	} `json:"saved_model_cli"`

	TFLiteBytes      int      `json:"tflite_bytes"`
	TFLiteSignatures []string `json:"tflite_signatures"`
	TFLiteAgreement  float64  `json:"tflite_agreement"`
	TFLiteMaxAbsDiff float64  `json:"tflite_max_abs_diff"`
}

type tensorSpec struct {
	DType string  `json:"dtype"`
	Shape []int64 `json:"shape"`
}

// TestPythonReadsOurSavedModel trains the tutorial's model in Go for one
// epoch on the real data, saves it with tfmodel.Save, and has Python
// TensorFlow, Keras 3, saved_model_cli and the TFLite converter use it on
// the 10,000 test images, in one Python process.
func TestPythonReadsOurSavedModel(t *testing.T) {
	ts := loadTestSet(t, 0)
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "model")
	goProbs := trainAndSave(t, dir, ts)

	// Go's own reload first: Python is compared against these numbers.
	m, err := savedmodel.Load(dir)
	require.NoError(t, err)
	reloaded, err := predictImages(m, ts.images, ts.n)
	require.NoError(t, err)
	require.NoError(t, m.Close())
	assertSameFloats(t, goProbs, reloaded, "Go reload")

	imagesPath := filepath.Join(tmp, "images.npy")
	labelsPath := filepath.Join(tmp, "labels.npy")
	probsPath := filepath.Join(tmp, "go_probs.npy")
	require.NoError(t, npy.WriteFile(imagesPath, ts.images, ts.n, 28, 28))
	require.NoError(t, npy.WriteFile(labelsPath, ts.labels, ts.n))
	require.NoError(t, npy.WriteFile(probsPath, goProbs, ts.n, classes))

	var got pythonChecks
	runPython(t, &got, "check_savedmodel.py", dir, imagesPath, labelsPath, probsPath)
	for section, tb := range got.Errors {
		t.Errorf("python section %s failed:\n%s", section, tb)
	}
	goAccuracy := accuracy(goProbs, ts.labels)
	t.Logf("Python: max |diff| %.3g, accuracy Go %.4f Python %.4f; uint8 signature max |diff| %.3g",
		got.MaxAbsDiff, goAccuracy, got.PythonAccuracy, got.Uint8MaxAbsDiff)
	t.Logf("TFSMLayer: max |diff| %.3g, loss %.4f -> %.4f after fit; TFLite: %d bytes, agreement %.4f, max |diff| %.3g",
		got.TFSMMaxAbsDiff, got.FitLossBefore, got.FitLossAfter, got.TFLiteBytes, got.TFLiteAgreement, got.TFLiteMaxAbsDiff)

	assert.Equal(t, ts.n, got.N)
	assert.Greater(t, goAccuracy, 0.8, "a trained model")

	// tf.saved_model.load(dir).signatures["serving_default"]
	assert.Equal(t, []string{"serving_default", "serving_uint8"}, got.SignatureKeys)
	assert.Equal(t, map[string]tensorSpec{"images": {"float32", []int64{-1, 28, 28}}}, got.SignatureInputs)
	assert.Equal(t, map[string]tensorSpec{"probabilities": {"float32", []int64{-1, 10}}}, got.SignatureOutputs)
	assert.LessOrEqual(t, got.MaxAbsDiff, 1e-6)
	assert.Equal(t, goAccuracy, got.GoAccuracy, "Go and Python must agree on Go's accuracy")
	assert.Equal(t, goAccuracy, got.PythonAccuracy, "Python's predictions must give Go's accuracy")
	assert.LessOrEqual(t, got.Uint8MaxAbsDiff, 1e-6)

	// .variables: the four weights with Keras's shapes.
	require.Len(t, got.Variables, 4)
	wantVars := map[string][]int64{
		"dense/kernel:0": {784, 128}, "dense/bias:0": {128},
		"dense_1/kernel:0": {128, 10}, "dense_1/bias:0": {10},
	}
	for _, v := range got.Variables {
		assert.Equal(t, wantVars[v.Name], v.Shape, v.Name)
		assert.Equal(t, "float32", v.DType, v.Name)
		assert.True(t, v.Trainable, v.Name)
	}

	// keras.layers.TFSMLayer
	assert.LessOrEqual(t, got.TFSMMaxAbsDiff, 1e-6)
	require.Len(t, got.TFSMTrainableWeights, 4)
	var shapes [][]int64
	for _, w := range got.TFSMTrainableWeights {
		shapes = append(shapes, w.Shape)
	}
	assert.ElementsMatch(t, [][]int64{{784, 128}, {128}, {128, 10}, {10}}, shapes)
	assert.Zero(t, got.TFSMNonTrainableWeights)
	assert.Less(t, got.FitLossAfter, got.FitLossBefore, "a short fit must lower the loss")

	// saved_model_cli show --dir DIR --all
	assert.Zero(t, got.SavedModelCLI.ReturnCode, got.SavedModelCLI.StderrTail)
	cli := got.SavedModelCLI.Stdout
	for _, want := range []string{
		"signature_def['serving_default']:",
		"inputs['images'] tensor_info:",
		"shape: (-1, 28, 28)",
		"outputs['probabilities'] tensor_info:",
		"shape: (-1, 10)",
		"Method name is: tensorflow/serving/predict",
		"signature_def['serving_uint8']:",
	} {
		assert.Contains(t, cli, want, "saved_model_cli output")
	}

	// tf.lite.TFLiteConverter.from_saved_model
	assert.Positive(t, got.TFLiteBytes)
	assert.Contains(t, got.TFLiteSignatures, "serving_default")
	assert.GreaterOrEqual(t, got.TFLiteAgreement, 0.999)
}

// TestGoLoadsKerasExport is the train-in-Python, serve-in-Go path: Keras 3
// builds the tutorial's model, model.export writes it, Go predicts with it.
func TestGoLoadsKerasExport(t *testing.T) {
	const n = 2000
	ts := loadTestSet(t, n)
	tmp := t.TempDir()
	imagesPath := filepath.Join(tmp, "images.npy")
	require.NoError(t, npy.WriteFile(imagesPath, ts.images, ts.n, 28, 28))
	dir := filepath.Join(tmp, "keras_model")
	probsPath := filepath.Join(tmp, "keras_probs.npy")

	var exported struct {
		Weights [][]int64 `json:"weights"`
	}
	runPython(t, &exported, "keras_export.py", dir, imagesPath, probsPath)
	require.Equal(t, [][]int64{{784, 128}, {128}, {128, 10}, {10}}, exported.Weights)

	want, shape, err := npy.ReadFile[float32](probsPath)
	require.NoError(t, err)
	require.Equal(t, []int{n, classes}, shape)

	m, err := savedmodel.Load(dir)
	require.NoError(t, err)
	defer m.Close()
	got, err := predictImages(m, ts.images, ts.n)
	require.NoError(t, err)
	diff := maxAbsDiff(want, got)
	t.Logf("Keras export: Go vs Keras max |diff| %.3g over %d images", diff, n)
	assert.LessOrEqual(t, diff, 1e-6)
	assert.Equal(t, argmax(want), argmax(got))
}

// trainAndSave trains the tutorial's model for one epoch with tfmodel, saves
// it to dir and returns its predictions on the test set, made in one batch
// as Load's Predict makes them (MatMul's blocking, and so the last bit of a
// probability, may depend on the batch size), in the training session
// (InferenceShared), whose intra-op pool is the size of a loaded
// SavedModel's: with oneDNN off the faster default's one-thread pool
// blocks Eigen's sums otherwise.
func trainAndSave(t *testing.T, dir string, ts testSet) []float32 {
	t.Helper()
	train := loadTrainSet(t)
	m, err := tfmodel.NewSequential(tfmodel.Flatten(28, 28), tfmodel.Dense(128, "relu"), tfmodel.Dense(10, "softmax"))
	require.NoError(t, err)
	compile := tfmodel.DefaultCompileOptions()
	compile.Threads.Inference = tfmodel.InferenceShared
	require.NoError(t, m.Compile(compile))
	defer m.Close()
	opts := tfmodel.DefaultFitOptions()
	opts.Epochs = 1
	_, err = m.Fit(context.Background(), train.batch(), tensor.Labels(train.labels), opts)
	require.NoError(t, err)
	require.NoError(t, m.Save(dir))
	probs, err := m.Predict(ts.batch(), tfmodel.PredictOptions{BatchSize: ts.n})
	require.NoError(t, err)
	require.Equal(t, []int{ts.n, classes}, probs.Shape)
	return probs.Data
}
