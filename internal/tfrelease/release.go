package tfrelease

/*
#cgo LDFLAGS: -ltensorflow
#include "tensorflow/c/c_api.h"
*/
import "C"

import (
	"runtime"
	"slices"
	"unsafe"

	tf "github.com/galeone/tensorflow/tensorflow/go"
)

// Release frees the C memory of each tensor now and leaves it empty; nil
// tensors are skipped. A tensor must not be used after it is released. The
// bindings keep the C tensor in the first field of their Tensor and free it
// from a finalizer; Release reads that field and checks it against the
// tensor's dtype and shape before it frees anything, so that bindings laid
// out otherwise leave the tensor to its finalizer (ok false) rather than
// free the wrong memory.
func Release(ts ...*tf.Tensor) (ok bool) {
	ok = true
	for _, t := range ts {
		if t == nil {
			continue
		}
		c := cTensor(t)
		if c == nil || !matches(c, t) {
			ok = false
			continue
		}
		runtime.SetFinalizer(t, nil)
		*(**C.TF_Tensor)(unsafe.Pointer(t)) = nil
		C.TF_DeleteTensor(c)
	}
	return ok
}

// cTensor is t's TF_Tensor, the first field of the bindings' Tensor.
func cTensor(t *tf.Tensor) *C.TF_Tensor {
	return *(**C.TF_Tensor)(unsafe.Pointer(t))
}

// matches reports whether c has t's dtype and shape.
func matches(c *C.TF_Tensor, t *tf.Tensor) bool {
	if tf.DataType(C.TF_TensorType(c)) != t.DataType() {
		return false
	}
	dims := make([]int64, int(C.TF_NumDims(c)))
	for i := range dims {
		dims[i] = int64(C.TF_Dim(c, C.int(i)))
	}
	return slices.Equal(dims, t.Shape())
}
