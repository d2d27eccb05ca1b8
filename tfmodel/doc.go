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
//	logs, err := model.Evaluate(testImages, testLabels, tfmodel.EvaluateOptions{})
//	probs, err := model.Predict(testImages, tfmodel.PredictOptions{})
//
// A model is any stack of graph's layers (Input, Flatten, Dense, Dropout,
// Reshape here by Keras's names), compiled with any graph.Loss,
// graph.Optimizer and Keras's metric strings. Compile builds the whole graph
// once, from the layers' Build and graph.Forward (the one forward pass of
// training, evaluation, prediction and export), the loss, the metrics'
// running means, the gradients and the optimizer's update, and opens a
// session on it; every later call only feeds and runs that graph. Training
// data live in TensorFlow variables for the length of a Fit and each step
// gathers its batch in the graph, so a step is one session run fed 32
// indices.
//
// Examples are tensor.Float32 ([N, input...]); targets are tensor.Int32
// class indices for a sparse loss, or tensor.Float32 shaped like the
// outputs. A shape that does not fit the model is an error naming both.
// Logs and History are keyed by Keras's names ("loss", "accuracy",
// "val_loss", ...) and drive the progress bar, TensorBoard and
// EarlyStopping's Monitor.
//
// Fit takes Keras's callbacks: BackupAndRestore (checkpoints written by
// TensorFlow's SaveV2, resumed exactly after a crash, and only by the run
// they belong to, every value checked), EarlyStopping, TensorBoard,
// TerminateOnNaN, or any Callback. No save writes a model holding NaN or
// infinite values unless asked (AllowNonFinite). A trained model is saved as
// a SavedModel (Save, read by Python TensorFlow, Keras, TFLite and package
// savedmodel) or as a Keras 3 .keras file (SaveKeras); LoadKeras reads any
// .keras file whose parts are supported into a trainable model with its
// optimizer's state. A model owns its graph and session: Close releases
// them.
package tfmodel
