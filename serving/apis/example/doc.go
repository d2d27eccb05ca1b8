// Package example is TensorFlow's tensorflow.Example and its features
// (tensorflow/core/example/example.proto and feature.proto), which TF
// Serving's Classify and Regress requests carry (apis.Input, apis.ExampleList).
//
// The Go bindings of github.com/galeone/tensorflow, whose Go packages the rest
// of package apis uses for TensorFlow's messages, have no code for these two
// files, so they are generated here, and only they. They are generated not
// from .proto text but from TensorFlow 2.21.0's own compiled descriptors (its
// Python package in .venv), so field numbers and options are TensorFlow's;
// the tests compare them with those descriptors. See package apis, and
// scripts/gen-serving-protos.sh to regenerate.
package example
