// Package plot draws the figures of the Keras "Basic classification:
// classify images of clothing" tutorial as PNG files, plus two figures the
// tutorial leaves out: the training curves and the test-set confusion matrix.
//
// The figures follow the tutorial's matplotlib output closely (figure sizes at
// 100 dpi, the viridis and binary colormaps, the grey/red/blue prediction
// bars) so that the Go port can be compared with the Python original side by
// side.
//
// Images and probabilities come as tensor.Float32, the shaped type models
// and SavedModels take and return, so this package depends on neither
// TensorFlow nor the loader: an image is [H W] (or [1 H W], a batch of
// one), a batch of them [N H W]; a prediction is the model's softmax
// output, [C] or [1 C] for one image, [N C] for a batch, with C the number
// of class names. The small pictures beside predictions and in the grid
// take pixels scaled to [0, 1], as the model does (0 white, 1 black); Image
// spans its colour scale over the image's own range, as plt.imshow does,
// so the tutorial's raw 0..255 picture shows a 0..255 bar. Labels are
// class indices into a slice of class names, and the training history is
// Keras's History.history dict, keyed by Keras's metric names. A shape that
// does not fit is an error naming it (wrapping tensor.ErrShape).
//
// cmd/train calls it once training and evaluation are done, roughly:
//
//	plot.Image("out/train_image_0.png", trainRaw.Slice(0, 1))
//	plot.Grid("out/train_grid.png", trainImages, trainLabels, classNames)
//	plot.History("out/history.png", history.History) // {"loss": ..., "accuracy": ..., "val_loss": ...}
//	plot.Prediction("out/prediction_0.png", testImages.Slice(0, 1), probs.Slice(0, 1), int(testLabels[0]), classNames)
//	plot.Predictions("out/predictions.png", testImages, probs, testLabels, classNames, 5, 3)
//	plot.Probabilities("out/single.png", single, int(testLabels[1]), classNames)
//	plot.Confusion("out/confusion.png", testLabels, predicted, classNames)
//
// Every function validates its input and returns an error instead of
// panicking, and writes its file atomically: a crash or a failed render
// never leaves a truncated PNG behind, and an existing file is only replaced
// once the new one is complete.
package plot
