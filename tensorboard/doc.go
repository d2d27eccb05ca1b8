// Package tensorboard writes TensorBoard event files from Go with
// TensorFlow's own summary kernels: per-epoch scalars such as loss and
// accuracy, and the model's graph for TensorBoard's Graphs tab.
//
// A Writer owns a tiny TensorFlow graph and session of its own, holding a
// SummaryWriter resource made by CreateSummaryFileWriter and the
// WriteScalarSummary, WriteGraphSummary, FlushSummaryWriter and
// CloseSummaryWriter operations on it. The graph is built once; writing a
// scalar is one session run fed its tag, step and value. The event records
// (and their CRCs) are therefore produced by the same C++ code that
// Python's tf.summary uses, and the package needs nothing from the model's
// graph or session: it works next to any model, or none.
//
// A Run lays the files out as Keras's TensorBoard callback does, so that
// TensorBoard shows training and validation curves together:
//
//	logdir/train/events.out.tfevents.<time>.<host>.<pid>.<n>.v2
//	logdir/validation/events.out.tfevents.<time>.<host>.<pid>.<n>.v2
//
// with tags epoch_loss, epoch_accuracy, … and step = epoch index (from 0),
// and the graph in the train run at step 0:
//
//	run, err := tensorboard.Open(logdir)
//	err = run.Graph(graphDef) // from (*tf.Graph).WriteTo
//	for epoch := range epochs {
//		err = run.Epoch(epoch, map[string]float64{
//			"loss": loss, "accuracy": acc,
//			"val_loss": valLoss, "val_accuracy": valAcc,
//		})
//	}
//	err = run.Close()
//
// Package tfmodel's TensorBoard callback drives a Run from Fit (one Epoch
// per finished epoch, the model graph written once), and cmd/train's
// -logdir flag turns that callback on; view the result with
// "tensorboard --logdir DIR". This package imports nothing of tfmodel.
package tensorboard
