// Package kerasfile reads and writes Keras 3's native model format, the
// .keras file that Python's keras.models.load_model opens and model.save
// writes, for Sequential models of Keras's built-in layers: for example
//
//	keras.Sequential([keras.Input((28, 28)), Flatten(), Dense(128, activation="relu"),
//	    Dropout(0.2), Dense(10, activation="softmax")])
//
// compiled with Adam, AdamW, SGD or RMSprop, any loss and metrics.
//
// It is a format package: it knows the container and its layout, not what
// a layer computes. A Model is plain Go values: the input shape, each
// layer's Keras class, name, config (get_config's keys, as JSON decodes
// them) and variables (shapes and float32 values, row-major, in Keras's
// order), and the compile config with the optimizer's variables. Read
// accepts any layer class and returns it as the file has it; the caller
// (tfmodel) maps classes to implementations, refuses the ones it does not
// have, and checks each layer's variables against what its implementation
// expects: only the file says how many variables a layer has and their
// shapes. Write writes what it is given, naming unnamed layers as Keras
// does.
//
// A SavedModel gives Python an inference function only; a .keras file comes
// back as a real Sequential that Python can inspect, predict with, fit
// further and save again, its optimizer where Go left it. So tfmodel saves
// a trained model through Write, cmd/train -keras FILE does that beside
// the SavedModel, and tfmodel loads a model Python saved through Read.
//
// A .keras file is a zip archive of metadata.json, config.json (the
// model's architecture and compile configuration, written key for key as
// Keras writes it: config_write.go, jsonorder.go) and model.weights.h5
// (its variables and the optimizer's, in HDF5: weights.go). The HDF5 part
// goes through libhdf5, the reference implementation, which needs the
// Debian package libhdf5-dev (and pkg-config) to build.
//
// The optimizer's variables follow Keras's order, which each optimizer's
// build decides (optimizer.go, slotLayout): Adam's and AdamW's momentum
// and velocity interleaved per trained variable, RMSprop's velocities,
// then momentums, then average gradients, SGD's momentums. Write stores
// the optimizer's state with the weights, zeros for an optimizer that has
// not stepped, so that load_model restores it without the warning Keras
// gives for a compiled model saved without optimizer variables.
//
// Read refuses what a Model could not carry faithfully rather than drop
// it: another kind of model than a Sequential, nested models, custom
// (registered) layers, layers of layers (LSTM's cell), dtypes other than
// float32, frozen layers, loss weights, an optimizer other than Adam,
// AdamW, SGD and RMSprop or with options that change its variables or its
// step (EMA, amsgrad, clipping, loss scaling, gradient accumulation, a
// learning rate schedule, Adam's weight decay), and optimizer variables
// that do not match the model's.
//
// Read takes its file for hostile, as Keras 3 does: it refuses a path that
// is not a regular file before opening it, bounds the memory each member of
// the archive and each dataset in it can make it allocate before
// allocating (limits.go), refuses hyperparameters that no training step
// survives (hyperparams.go), and refuses, with Keras's "Not allowed: H5
// file with ..." messages, weights that reach outside the file through
// external storage, external or soft links or virtual datasets, before
// libhdf5 opens anything else (confine.go).
package kerasfile
