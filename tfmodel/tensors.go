package tfmodel

import (
	"bytes"
	"fmt"
	"unsafe"

	tf "github.com/galeone/tensorflow/tensorflow/go"

	"github.com/gokeras/fashion/tensor"

	"github.com/gokeras/fashion/internal/tfrelease"
)

// The Go bindings build tensors from nested slices by reflection, element
// by element; models move whole data sets, so these helpers copy flat
// slices' memory in one go instead.

func float32Tensor(data []float32, shape ...int64) (*tf.Tensor, error) {
	return tf.ReadTensor(tf.Float, shape, bytes.NewReader(bytesOf(data)))
}

func uint8Tensor(data []uint8, shape ...int64) (*tf.Tensor, error) {
	return tf.ReadTensor(tf.Uint8, shape, bytes.NewReader(data))
}

func int32Tensor(data []int32, shape ...int64) (*tf.Tensor, error) {
	return tf.ReadTensor(tf.Int32, shape, bytes.NewReader(bytesOf(data)))
}

// copyFloat32s copies a float32 tensor's contents into dst, which must have
// exactly its number of elements.
func copyFloat32s(dst []float32, t *tf.Tensor) error {
	if t.DataType() != tf.Float {
		return fmt.Errorf("tensor of %v, want float32", t.DataType())
	}
	buf := bytes.NewBuffer(bytesOf(dst)[:0])
	if _, err := t.WriteContentsTo(buf); err != nil {
		return err
	}
	if buf.Len() != len(dst)*4 {
		return fmt.Errorf("tensor of %d bytes, want %d", buf.Len(), len(dst)*4)
	}
	return nil
}

func bytesOf[T float32 | int32](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(s[0])))
}

// scalar reads a float32 scalar tensor.
func scalar(t *tf.Tensor) float64 { return float64(t.Value().(float32)) }

// tensorOf makes a TensorFlow tensor of a batch of examples or targets.
func tensorOf(t tensor.Tensor) (*tf.Tensor, error) {
	switch v := t.(type) {
	case tensor.Float32:
		return float32Tensor(v.Data, dims64(v.Shape)...)
	case tensor.Int32:
		return int32Tensor(v.Data, dims64(v.Shape)...)
	}
	return nil, fmt.Errorf("targets of type %T: want tensor.Int32 or tensor.Float32", t)
}

// sliceOf returns examples [lo, hi) of t.
func sliceOf(t tensor.Tensor, lo, hi int) tensor.Tensor {
	switch v := t.(type) {
	case tensor.Float32:
		return v.Slice(lo, hi)
	case tensor.Int32:
		return v.Slice(lo, hi)
	}
	return t
}

func dims64(shape []int) []int64 {
	d := make([]int64, len(shape))
	for i, s := range shape {
		d[i] = int64(s)
	}
	return d
}

// releaseFeeds frees the feeds' C memory once their run is done
// (tfrelease): the garbage collector would free it only when the Go heap
// grows, and a loop of runs would meanwhile fault in fresh pages for
// every feed.
func releaseFeeds(feeds map[tf.Output]*tf.Tensor) {
	for _, t := range feeds {
		tfrelease.Release(t)
	}
}
