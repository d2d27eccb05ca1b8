// Package serving is the core of a model server that TensorFlow Serving's
// clients talk to unchanged: it serves the versions of one SavedModel found
// under a base path (numbered version folders, the highest loadable one
// served, new ones loaded, warmed up and swapped in without downtime), runs
// TensorFlow Serving's Predict, GetModelMetadata and GetModelStatus on
// TensorFlow's kernels through package savedmodel, optionally merges
// concurrent requests into batches, and answers them over TensorFlow
// Serving's REST API (RESTHandler) with its JSON formats, error messages and
// HTTP codes, and over its gRPC PredictionService and ModelService
// (RegisterGRPC). The command is cmd/serve.
//
// Every loaded version is reference-counted: a request holds its version
// until it has its answer, so a version swapped out or unloaded is closed
// (its batcher drained, its TensorFlow session closed) only after the last
// request using it has finished.
package serving
