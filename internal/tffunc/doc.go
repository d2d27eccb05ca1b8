// Package tffunc adds what the Go bindings of TensorFlow's C API lack:
// graph functions (TF_GraphToFunction) and operations whose attributes
// name functions, such as While, whose cond and body are functions, and
// StatefulPartitionedCall, which XLA compiles whole when marked
// _XlaMustCompile.
package tffunc
