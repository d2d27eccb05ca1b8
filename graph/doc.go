// Package graph holds the building blocks of a Keras-style network as
// TensorFlow graph fragments: resource variables with Keras's names, the
// Glorot-uniform and zeros initializers, Flatten and Dense layers, the sparse
// categorical cross-entropy loss, the accuracy metric, gradients through the
// C API and the Adam optimizer on TensorFlow's ResourceApplyAdam kernel.
//
// Every function here only adds operations to a graph through an *op.Scope
// (github.com/galeone/tfgo and the op wrappers of
// github.com/galeone/tensorflow/tensorflow/go); none runs a session. Package
// tfmodel assembles these pieces into a Sequential model, builds its graph
// once, and drives it with a session. All arithmetic of training therefore
// runs in TensorFlow's own kernels.
package graph
