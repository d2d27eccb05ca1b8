// Package graph holds Keras's building blocks as TensorFlow graph fragments:
// layers, losses, metrics and optimizers, each a small interface with
// Keras 3's names, defaults and arithmetic, plus resource variables with
// Keras's names, Keras's initializers and gradients through the C API.
//
// Every function here only adds operations to a graph through an *op.Scope
// (github.com/galeone/tfgo and the op wrappers of
// github.com/galeone/tensorflow/tensorflow/go); none runs a session. Package
// tfmodel assembles these pieces into a Sequential model, builds its graph
// once, and drives it with a session. All arithmetic of training therefore
// runs in TensorFlow's own kernels.
//
// # Layers
//
// Layer is Keras's layer split the way Keras splits it: it knows its class,
// name and config (get_config) and its output shape for an input shape, and
// Build adds its variables for that input shape (Keras's build) through a
// Builder, returning a Built layer whose Call adds the computation with
// Keras's training flag. Forward chains built layers: the one forward pass
// that training, evaluation, prediction, the SavedModel export and the
// benchmark's probe share. A Value carries a layer's output, the logits
// behind a softmax or sigmoid (Keras's _keras_logits, which the
// cross-entropies use) and the state updates a training step must run
// (Dropout's seed generator). NameLayers names layers as a fresh Keras
// session does (dense, dense_1, ...). LayerFromConfig makes a layer from a
// .keras file's config and KnownLayers lists the classes: Dense (linear,
// relu, sigmoid, tanh, softmax, gelu), Flatten, Reshape, Dropout, and the
// convolutional ones, channels-last: Conv2D (strides, valid/same padding,
// dilation through SpaceToBatchND as tf.nn.convolution runs it, since the
// C++ Conv2D gradient ignores dilations), MaxPooling2D, AveragePooling2D,
// GlobalAveragePooling2D, BatchNormalization (batch statistics and Keras's
// moving-statistic update in training, the moving statistics in
// inference; the moving statistics are NonTrainable variables) and
// Rescaling. Shapes that cannot work (a kernel larger than its input, a
// zero stride, BatchNormalization of a scalar) are errors at build time.
//
// # Losses and metrics
//
// Loss is one of Keras's losses reduced as Keras reduces them (the sum over
// the batch divided by its size): sparse and one-hot categorical
// cross-entropy and binary cross-entropy, from probabilities or logits, and
// mean squared and absolute error. GetLoss takes Keras's strings ("mse",
// "sparse_categorical_crossentropy"), class names or serialized objects;
// SerializeLoss writes the form compile_config holds. Metric is a mean
// metric: GetMetric resolves "accuracy" from the shapes of targets and
// outputs as Keras's compile does, and knows the sparse, categorical and
// binary accuracies, mse and mae.
//
// Each part is checked against Keras 3 by training the same model in Go
// and in Keras from the same weights on the same batches (tfmodel's
// TestPartsMatchKeras): bit for bit except gelu (Keras's erfc form has no
// C++ gradient; Go uses the erf form, 1.4e-6 after 100 steps) and the
// binary cross-entropy (the two gradient registries round the last bit of
// its selects differently, 5e-7).
//
// # Optimizers
//
// Optimizer is the common form of Keras 3's optimizers, after
// keras/src/optimizers/base_optimizer.py. An optimizer names its Keras class
// (ClassName) and default name (Name: "adam", "adam_w", "sgd", "rm_sprop"),
// returns Keras's get_config (Config; SerializeOptimizer writes it as
// keras.optimizers.get reads it), declares its per-variable slots as Keras
// names them (Slots: Adam's "momentum" and "velocity", SGD's "momentum",
// RMSprop's "velocity", "momentum", "average_gradient"), builds its state
// (Build: the int64 "iteration", the float32 "learning_rate" variable, which
// OptimizerState.AssignLearningRate sets between steps, and the slots, named
// "<name>/<variable>_<slot>" and listed in Keras's order) and adds one update
// of all variables by their gradients that increments the step count
// (Update). MinimizeWith does both. GetOptimizer takes the strings
// keras.optimizers.get takes ("adam", "AdamW", "sgd", "RMSprop", matched
// without regard to case) and returns Keras 3's defaults; KnownOptimizers
// lists them.
//
// The implementations are Adam, AdamW, SGD (momentum, Nesterov) and RMSprop
// (momentum, centered), all with Keras 3's weight decay, w -= w·wd·lr before
// the update. Where a TensorFlow kernel computes what Keras computes, the
// update is that fused kernel: ResourceApplyAdam for Adam and AdamW,
// ResourceApplyGradientDescent and ResourceApplyKerasMomentum for SGD.
// RMSprop is composed of the operations Keras's update_step runs, since
// TensorFlow's RMSProp kernels round their moving averages differently. The
// new optimizers take float64 hyper-parameters, as Keras takes Python floats,
// and cast them where Keras does; Adam keeps its float32 fields, and through
// the interface adds exactly what Adam.Minimize adds.
//
// TestOptimizersMatchKeras trains a small Dense network for 150 steps with
// each optimizer in Go and in Keras 3's train_on_batch, from the same weights
// on the same batches: weights and losses agree bit for bit, except where
// Keras is given betas that are not float32 values (Adam's and AdamW's
// defaults, 0.9 and 0.999): Keras then computes 1-β in float64 and the fused
// kernel in float32, and the weights differ by about 1e-6.
//
// tfmodel's CompileOptions.Optimizer is an Optimizer (DefaultAdam by
// default): training builds it with MinimizeWith (for Adam, the very graph
// Adam.Minimize adds), and checkpoints hold OptimizerState.Variables()
// under the names they carry, with the optimizer's class and config
// (SerializeOptimizer) among the training settings.
package graph
