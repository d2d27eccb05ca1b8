// Package savedmodel writes TensorFlow SavedModels from Go and loads them (and
// SavedModels exported by Python Keras) back for prediction.
//
// TensorFlow's C API can load a SavedModel but not write one, so this package
// writes what Python's tf.compat.v1 SavedModelBuilder would: a saved_model.pb
// with one MetaGraph holding the inference graph, a SaverDef whose restore op
// loads the weights, the "variables" and "trainable_variables" collections of
// resource VariableDefs that Python needs to expose the weights, and the
// caller's SignatureDefs; plus a variables/ checkpoint written by TensorFlow's
// own SaveV2 kernel. TensorFlow's loaders read that: the C++ loader behind
// the C API (so tfgo) and TensorFlow Serving, tf.saved_model.load,
// keras.layers.TFSMLayer, saved_model_cli and the TFLite converter.
//
// The package knows nothing of the model. Package tfmodel builds, for export
// only, a graph with the model's variables (see NewVariable) and inference
// ops, and hands it to Write together with the variables and signatures;
// Write adds the save/restore subgraph and per-variable initializer and
// snapshot ops, and asks the caller to write the checkpoint from its training
// session, where the trained values live, through a Saver built there once
// with NewSaver:
//
//	saver, err := savedmodel.NewSaver(trainScope, trainVars)   // at graph build time
//	...
//	err = savedmodel.Write(dir, savedmodel.Export{
//		Graph:      exportGraph,
//		Variables:  exportVars,
//		Signatures: []savedmodel.Signature{{Key: savedmodel.DefaultSignature, Inputs: ..., Outputs: ...}},
//		WriteVariables: func(prefix string) error { return saver.Save(trainSession, prefix) },
//	})
//
// Any saver that runs SaveV2 with the variables' names as keys will do for
// WriteVariables; Saver is one.
//
// A signature that preprocesses its input, such as one taking raw uint8
// pixels and dividing them by 255, should divide by a PlaceholderWithDefault
// rather than a Const if it must agree bit for bit with the same division
// done outside the graph: grappler's constant folding, which runs in every
// session, rewrites x/const into x*(1/const), which is off by one ulp for
// about half the pixel values.
//
// Write is atomic: the model is assembled in a temporary directory beside the
// target and renamed into place only when complete, so an existing model is
// replaced only by a complete new one and a failure leaves no partial
// directory behind. It never deletes what it did not write: an existing
// target must be empty or a SavedModel directory holding only what
// SavedModels hold (saved_model.pb, variables/, assets/, fingerprint.pb,
// keras_metadata.pb, debug/), and the error names the first other file. A
// target that is a symbolic link is followed: the directory it points to is
// replaced, atomically as any other, and the link stays. Temporaries of
// saves killed midway (hidden ".<name>.tmp-<pid>-<random>" siblings, locked
// with flock while their save runs) are removed by the next Write to the
// same target; a concurrent save's are not. CheckWritable applies the same
// rules without writing, so a command can refuse a bad output path before
// it trains.
//
// Load opens any SavedModel, one Write wrote, Keras 3's model.export or
// tf.saved_model.save, and exposes the signatures it can run as declared
// (Signatures: named inputs and outputs with their dtypes and shapes).
// Predict runs the serving_default signature when it takes one float32
// tensor and gives one, of any shapes, on a tensor.Float32 whose shape must
// fit the declared one (an unknown dimension, -1, takes any size); Run runs
// any signature on named tensors of any dtype, such as tfmodel's
// "serving_uint8" on raw pixels. What the model computes is the caller's
// business: cmd/predict checks it has a Fashion-MNIST classifier (N×28×28
// or N×784 images in, N×10 probabilities out), serving serves whatever it
// is. Load reports unusable directories (missing, corrupt, truncated) as
// errors naming the directory, before the C library sees them where it
// can.
//
// A loaded model runs a signature's ops in the thread of the goroutine that
// calls Predict or Run, not on TensorFlow's inter-op thread pool: a small
// model's latency is mostly the hand-offs between threads, one per op, so
// one image through the tutorial's MLP takes about a third of the time
// (BenchmarkPredictOneImage). Large ops still split over the intra-op pool,
// and concurrent callers each bring their own thread.
// LoadOptions.InterOpPool restores TensorFlow's default, for a graph whose
// independent branches should run at the same time.
//
// Load treats its input as hostile until checked. Every file that it or the
// C loader after it opens (saved_model.pb or .pbtxt, fingerprint.pb,
// debug/saved_model_debug_info.pb, the variables/ checkpoint) must be a
// regular file, checked before it is opened, so a FIFO cannot block the
// load and a device cannot feed it forever; those read whole must be at
// most DefaultMaxFileSize (1 GiB, see there why) or LoadOptions.MaxFileSize,
// and are read through a LimitReader so a file growing meanwhile cannot
// exceed it.
//
// A SavedModel is a program: TensorFlow runs whatever ops its graph holds,
// and there are ops that read and write files, list directories, call
// Python or abort the process. So Load, before TensorFlow runs anything,
// walks what it would run: back from every signature's outputs (Run may
// run any of them) through data and control inputs, into every library
// function a reached node calls (StatefulPartitionedCall, If, While,
// Case...), transitively;
// and likewise from the restore op and the init op that the C loader runs
// while loading. Every op reached must be on an allow-list of pure
// computation (AllowedOps; the loader's own path may also RestoreV2 and
// assign variables; PrintV2 may print to stderr, stdout or the log, not to
// a file). The save path (SaveV2, MergeV2Checkpoints), which Python and
// Write's callers run but the loader never does, is not checked. Models
// written by Write and by Keras's model.export pass; for another model
// whose author you trust, use LoadTrusted, or LoadWithOptions with
// AllowOps for the few ops it needs. The check cannot see through a
// directory changed between the check and TensorFlow's own reading of it.
package savedmodel
