package tensorboard

import (
	tf "github.com/galeone/tensorflow/tensorflow/go"
	"github.com/galeone/tensorflow/tensorflow/go/op"
)

// Package op has wrappers for the Write*Summary ops but none for the ops
// that create, flush and close the writer resource (Python reaches them
// through its private gen_summary_ops). These add them by their registered
// names and signatures, from tensorflow/core/ops/summary_ops.cc.

// summaryWriter adds a SummaryWriter op: the handle of a writer resource
// named sharedName in the session's resource manager.
func summaryWriter(s *op.Scope, sharedName string) tf.Output {
	if s.Err() != nil {
		return tf.Output{}
	}
	return s.AddOperation(tf.OpSpec{
		Type:  "SummaryWriter",
		Attrs: map[string]interface{}{"shared_name": sharedName, "container": ""},
	}).Output(0)
}

// createSummaryFileWriter adds a CreateSummaryFileWriter op, which opens an
// events file in logdir for the writer resource (creating the resource on
// first run).
func createSummaryFileWriter(s *op.Scope, writer, logdir, maxQueue, flushMillis, filenameSuffix tf.Output) *tf.Operation {
	if s.Err() != nil {
		return nil
	}
	return s.AddOperation(tf.OpSpec{
		Type:  "CreateSummaryFileWriter",
		Input: []tf.Input{writer, logdir, maxQueue, flushMillis, filenameSuffix},
	})
}

// flushSummaryWriter adds a FlushSummaryWriter op.
func flushSummaryWriter(s *op.Scope, writer tf.Output) *tf.Operation {
	if s.Err() != nil {
		return nil
	}
	return s.AddOperation(tf.OpSpec{Type: "FlushSummaryWriter", Input: []tf.Input{writer}})
}

// closeSummaryWriter adds a CloseSummaryWriter op, which flushes the writer,
// closes its file and removes the resource.
func closeSummaryWriter(s *op.Scope, writer tf.Output) *tf.Operation {
	if s.Err() != nil {
		return nil
	}
	return s.AddOperation(tf.OpSpec{Type: "CloseSummaryWriter", Input: []tf.Input{writer}})
}
