// Package graph holds the building blocks of a Keras-style network as
// TensorFlow graph fragments: resource variables with Keras's names, the
// Glorot-uniform and zeros initializers, Flatten and Dense layers, the sparse
// categorical cross-entropy loss, the accuracy metric, gradients through the
// C API and Keras's optimizers.
//
// Every function here only adds operations to a graph through an *op.Scope
// (github.com/galeone/tfgo and the op wrappers of
// github.com/galeone/tensorflow/tensorflow/go); none runs a session. Package
// tfmodel assembles these pieces into a Sequential model, builds its graph
// once, and drives it with a session. All arithmetic of training therefore
// runs in TensorFlow's own kernels.
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
