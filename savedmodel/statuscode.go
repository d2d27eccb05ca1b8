package savedmodel

// The Go bindings turn a TF_Status into an error whose type, statusError,
// is unexported and keeps TensorFlow's code to itself, though a server needs
// it (an INVALID_ARGUMENT is the client's fault, an INTERNAL the model's).
// statusError is a struct holding one *TF_Status; statusCode reads that
// pointer and asks the C API for the code, after checking the type is the
// one of the pinned bindings version.

// #cgo LDFLAGS: -ltensorflow
// #include "tensorflow/c/tf_status.h"
import "C"

import (
	"errors"
	"reflect"
	"runtime"
)

const bindingsPkg = "github.com/galeone/tensorflow/tensorflow/go"

// statusCode returns the TF_Code of a TensorFlow error in err's chain.
func statusCode(err error) (int, bool) {
	for e := err; e != nil; e = errors.Unwrap(e) {
		v := reflect.ValueOf(e)
		if v.Kind() != reflect.Pointer || v.IsNil() {
			continue
		}
		t := v.Type().Elem()
		if t.PkgPath() != bindingsPkg || t.Name() != "statusError" || t.Kind() != reflect.Struct ||
			t.NumField() != 1 || t.Field(0).Type.Kind() != reflect.Pointer {
			continue
		}
		p := *(**C.TF_Status)(v.UnsafePointer())
		if p == nil {
			return 0, false
		}
		code := int(C.TF_GetCode(p))
		runtime.KeepAlive(e)
		return code, true
	}
	return 0, false
}
