// Package tfrelease frees a TensorFlow tensor's C memory when its owner is
// done with it, rather than when Go's garbage collector finalizes the Go
// value that holds it (the bindings' only way).
//
// Go's collector runs when the Go heap grows; it does not see the C heap,
// where a tensor's data lives. A loop that feeds a session tens of
// megabytes a run (tfmodel's prediction and evaluation chunks) allocates
// fresh C memory every run while the old tensors wait for a collection:
// the resident set grows, and every new tensor's pages are faulted in and
// zeroed by the kernel, about a fifth of the time of evaluating the
// tutorial's test set. Released after each run, the memory is reused.
package tfrelease
