// Package plot draws the figures of the Keras "Basic classification:
// classify images of clothing" tutorial as PNG files, plus two figures the
// tutorial leaves out: the training curves and the test-set confusion matrix.
//
// The figures follow the tutorial's matplotlib output closely (figure sizes at
// 100 dpi, the viridis and binary colormaps, the grey/red/blue prediction
// bars) so that the Go port can be compared with the Python original side by
// side.
//
// Inputs are plain Go values, so this package depends on neither TensorFlow
// nor the loader: an image is ImageSide×ImageSide row-major bytes as stored in
// the Fashion-MNIST IDX files, a prediction is the softmax output of the
// model as a []float32, and labels are class indices into a slice of class
// names.
//
// cmd/train calls it once training and evaluation are done, roughly:
//
//	plot.Image("out/train_image_0.png", trainImages[0])
//	plot.Grid("out/train_grid.png", trainImages, trainLabels, classNames)
//	plot.History("out/history.png", plot.Curves{Loss: loss, Accuracy: acc})
//	plot.Prediction("out/prediction_0.png", testImages[0], probs[0], int(testLabels[0]), classNames)
//	plot.Predictions("out/predictions.png", testImages, probs, testLabels, classNames, 5, 3)
//	plot.Probabilities("out/single.png", single, int(testLabels[1]), classNames)
//	plot.Confusion("out/confusion.png", testLabels, predicted, classNames)
//
// Every function validates its input and returns an error instead of
// panicking, and writes its file atomically: a crash or a failed render
// never leaves a truncated PNG behind, and an existing file is only replaced
// once the new one is complete.
package plot
