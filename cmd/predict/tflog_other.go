//go:build !unix

package main

// quietTensorFlow does nothing where a process cannot re-execute itself in
// place: TensorFlow then logs its INFO lines, which are only noise.
func quietTensorFlow() {}
