// Package tfmodel is a Keras-style Sequential model trained and served on
// TensorFlow's own kernels from Go.
//
//	model, err := tfmodel.NewSequential(
//		tfmodel.Flatten(28, 28),
//		tfmodel.Dense(128, "relu"),
//		tfmodel.Dense(10, "softmax"),
//	)
//	err = model.Compile(tfmodel.DefaultCompileOptions())
//	history, err := model.Fit(ctx, trainImages, trainLabels, tfmodel.DefaultFitOptions())
//	loss, acc, err := model.Evaluate(testImages, testLabels, tfmodel.EvaluateOptions{})
//	probs, err := model.Predict(testImages, tfmodel.PredictOptions{})
//
// Compile builds the whole graph once, from the pieces in package graph
// (layers, loss, metrics, gradients, and a graph.Optimizer: Adam by
// default, or AdamW, SGD, RMSprop), and opens a session on it; every later
// call only feeds and runs that graph. Training data live in
// TensorFlow variables for the length of a Fit and each step gathers its
// batch in the graph, so a step is one session run fed 32 indices.
//
// Fit takes Keras's callbacks: BackupAndRestore (checkpoints written by
// TensorFlow's SaveV2, resumed exactly after a crash, and only by the run
// they belong to, every value checked), EarlyStopping, TensorBoard,
// TerminateOnNaN, or any Callback. No save writes a model holding NaN or
// infinite values unless asked (AllowNonFinite). A trained model is saved as a SavedModel
// (Save, read by Python TensorFlow, Keras, TFLite and package savedmodel) or
// as a Keras 3 .keras file (SaveKeras, LoadKeras, through package
// kerasfile).
//
// Images are flat float32 slices, N×28×28 values scaled to [0, 1] (see
// loader.Split.Scaled); labels are class indices 0..9 as uint8. A model owns
// its graph and session: Close releases them.
package tfmodel
