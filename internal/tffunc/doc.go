// Package tffunc adds what the Go bindings of TensorFlow's C API lack:
// graph functions (TF_GraphToFunction) and operations whose attributes
// name functions, such as While, whose cond and body are functions, and
// StatefulPartitionedCall, which XLA compiles whole when marked
// _XlaMustCompile. XLA takes its options from the XLA_FLAGS environment
// variable only; AddCompiled adds the one this project measured to pay
// (YNNDotsOff) unless the user set it.
package tffunc
