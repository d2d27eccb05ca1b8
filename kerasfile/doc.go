// Package kerasfile reads and writes Keras 3's native model format, the
// .keras file that Python's keras.models.load_model opens and model.save
// writes, for the models this project trains: a Sequential of a Flatten
// layer and Dense layers, such as the Fashion-MNIST tutorial's
//
//	Flatten(input_shape=(28, 28)) -> Dense(128, relu) -> Dense(10, softmax)
//
// compiled with Adam (or AdamW, SGD, RMSprop: Model.OtherOptimizer, whose
// config is kept as JSON and whose variables are in Keras's order), sparse
// categorical cross-entropy and accuracy.
//
// A SavedModel gives Python an inference function only; a .keras file comes
// back as a real Sequential that Python can inspect, predict with, fit
// further and save again. So tfmodel's SaveKeras turns its trained
// variables into a Model and calls Write, cmd/train -keras FILE does that
// beside the SavedModel, and tfmodel's LoadKeras calls ReadArch with
// Fashion() to continue in Go from a model Python saved.
//
// The package knows nothing of TensorFlow: a Model is plain Go values, the
// kernels in Keras's (in, out) row-major layout. A .keras file is a zip
// archive of metadata.json, config.json (the model's architecture and
// compile configuration) and model.weights.h5 (its variables and the
// optimizer's, in HDF5); weights.go describes the HDF5 layout. The HDF5
// part goes through libhdf5, the reference implementation, which needs the
// Debian package libhdf5-dev (and pkg-config) to build.
//
// Write stores the optimizer's state with the weights, zeros for an
// optimizer that has not stepped, so that load_model restores Adam where
// Go left it, without the warning Keras gives for a compiled model saved
// without optimizer variables. Read refuses what Go could not honour rather
// than drop it silently: other layers, other dtypes, regularizers and
// constraints, frozen layers, optimizers other than Adam, AdamW, SGD and
// RMSprop or with options Go does not implement (EMA, clipping, loss
// scaling, gradient accumulation, amsgrad, a learning rate schedule),
// other losses.
//
// Read takes its file for hostile, as Keras 3 does: it refuses a path that
// is not a regular file before opening it, bounds the memory each member of
// the archive can make it allocate before allocating (limits.go), refuses
// Adam hyperparameters that no training step survives (adam.go), and
// refuses, with Keras's "Not allowed: H5 file with ..." messages, weights
// that reach outside the file through external storage, external or soft
// links or virtual datasets, before libhdf5 opens anything else
// (confine.go).
package kerasfile
