//go:build unix

package main

import (
	"os"
	"syscall"
)

// tfLogLevelVar is the variable TensorFlow's C++ library reads, once, when
// it is loaded: before main runs, so os.Setenv comes too late.
const tfLogLevelVar = "TF_CPP_MIN_LOG_LEVEL"

// quietTensorFlow keeps TensorFlow from logging a dozen INFO lines about
// loading the model, which would bury predict's own one-line messages, by
// running predict again with TF_CPP_MIN_LOG_LEVEL=1 when the user has not
// chosen a level. Warnings and errors still show. It returns only if it did
// not re-execute; a failure to do so costs nothing but the noise.
func quietTensorFlow() {
	if _, set := os.LookupEnv(tfLogLevelVar); set {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		return
	}
	_ = syscall.Exec(exe, os.Args, append(os.Environ(), tfLogLevelVar+"=1"))
}
