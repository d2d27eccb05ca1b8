// Package tensor holds a batch of examples the way image.Gray holds an
// image: one flat slice of values and the shape that gives them meaning.
// The first dimension counts the examples; the rest is one example's shape
// ([N, 28, 28] for N grey images, [N] for N integer labels, [N, 1] for N
// regression targets).
//
// Models (tfmodel's Fit, Evaluate and Predict), loaded SavedModels
// (savedmodel) and plots (plot) take and return these types, so that a
// shape that does not fit is an error naming both shapes rather than a
// silent misreading of a flat slice. The package knows nothing of
// TensorFlow: it is plain Go data.
package tensor
