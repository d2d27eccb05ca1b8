package main

import (
	"errors"
	"fmt"
	"slices"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	typespb "github.com/galeone/tensorflow/tensorflow/go/core/framework/types_go_proto"
	corepb "github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"

	"github.com/gokeras/fashion/loader"
	"github.com/gokeras/fashion/savedmodel"
)

// The signatures predict can classify with: Fashion-MNIST's grey images in,
// as [N 28 28] or flattened to [N 784], one probability (or score) per
// class out.
var (
	imageInputs = [][]int64{{-1, loader.Rows, loader.Cols}, {-1, loader.ImageSize}}
	classOutput = []int64{-1, loader.NumClasses}
)

// imageShape checks that m's serving_default signature classifies
// Fashion-MNIST images and returns the shape of one image as it takes
// them: [28 28] or [784]. savedmodel loads any model; this is what
// predict needs of one. The errors are worded as they were when
// savedmodel.Load made this check, so users see the same messages.
func imageShape(m *savedmodel.Model) ([]int, error) {
	fail := func(err error) error { return fmt.Errorf("savedmodel: load %s: %w", m.Dir(), err) }
	defs := m.MetaGraph().GetSignatureDef()
	def, ok := defs[savedmodel.DefaultSignature]
	if !ok {
		return nil, fail(fmt.Errorf("no %q signature (it has %v)", savedmodel.DefaultSignature, savedmodel.SortedSignatureKeys(defs)))
	}
	sigErr := func(err error) error { return fail(fmt.Errorf("signature %q: %w", savedmodel.DefaultSignature, err)) }
	if n := len(def.GetInputs()); n != 1 {
		return nil, sigErr(fmt.Errorf("has %d inputs %v, want 1", n, sortedNames(def.GetInputs())))
	}
	if n := len(def.GetOutputs()); n != 1 {
		return nil, sigErr(fmt.Errorf("has %d outputs %v, want 1", n, sortedNames(def.GetOutputs())))
	}
	// savedmodel leaves out the signatures whose tensors are not dense,
	// which cannot be fed by name.
	sig, ok := m.Signature(savedmodel.DefaultSignature)
	if !ok {
		return nil, sigErr(errors.New("input and output must be dense tensors"))
	}
	in, out := sig.Inputs[0], sig.Outputs[0]
	if in.DType != tf.Float {
		return nil, sigErr(fmt.Errorf("input dtype %s, want DT_FLOAT", dtypeName(in.DType)))
	}
	if out.DType != tf.Float {
		return nil, sigErr(fmt.Errorf("output dtype %s, want DT_FLOAT", dtypeName(out.DType)))
	}
	i := slices.IndexFunc(imageInputs, func(s []int64) bool { return !in.UnknownRank && slices.Equal(in.Shape, s) })
	if i < 0 {
		return nil, sigErr(fmt.Errorf("input shape %s, want %v or %v", in.ShapeString(), imageInputs[0], imageInputs[1]))
	}
	if out.UnknownRank || !slices.Equal(out.Shape, classOutput) {
		return nil, sigErr(fmt.Errorf("output shape %s, want %v", out.ShapeString(), classOutput))
	}
	shape := make([]int, len(imageInputs[i])-1)
	for j, d := range imageInputs[i][1:] {
		shape[j] = int(d)
	}
	return shape, nil
}

// sortedNames is the names of a signature's inputs or outputs, sorted.
func sortedNames(infos map[string]*corepb.TensorInfo) []string {
	names := make([]string, 0, len(infos))
	for name := range infos {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// dtypeName is TensorFlow's name of a dtype, DT_FLOAT.
func dtypeName(d tf.DataType) string { return typespb.DataType(d).String() }
