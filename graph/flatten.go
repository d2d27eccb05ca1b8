package graph

import (
	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// Flatten reshapes a batch of N inputs of any shape into N rows of features,
// like keras.layers.Flatten. It is a Reshape to [-1, features], free in
// TensorFlow (no copy).
func Flatten(s *op.Scope, x tf.Output, features int64) tf.Output {
	s = sub(s, "flatten")
	return op.Reshape(sub(s, "Reshape"), x, op.Const(sub(s, "shape"), []int64{-1, features}))
}
