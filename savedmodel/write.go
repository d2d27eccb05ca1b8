package savedmodel

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	corepb "github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"
	"google.golang.org/protobuf/proto"
)

// ServeTag is the MetaGraph tag serving tools look for.
const ServeTag = "serve"

// File and directory names inside a SavedModel directory.
const (
	savedModelPB    = "saved_model.pb"
	savedModelPBTxt = "saved_model.pbtxt"
	variablesDir    = "variables"
	variablesPrefix = "variables" // checkpoint prefix inside variablesDir
)

// Export is what Write needs to write a SavedModel.
type Export struct {
	// Graph is the inference graph, built for the export only: it holds the
	// variables' VarHandleOps and the ops the signatures name. Write adds the
	// saver subgraph and per-variable ops to it.
	Graph *tf.Graph
	// Variables are the graph's variables, all of which the checkpoint
	// holds under their names.
	Variables []Variable
	// Signatures are the functions the model offers; one should be
	// DefaultSignature.
	Signatures []Signature
	// Tags tag the MetaGraph; default [ServeTag].
	Tags []string
	// WriteVariables writes the checkpoint at prefix (".../variables/variables"),
	// with every variable under its name: typically Saver.Save run in the
	// training session, where the trained values live.
	WriteVariables func(prefix string) error
}

// Write writes e as a SavedModel directory at dir. It assembles the model in
// a temporary directory beside dir and moves it into place only when it is
// complete, so an existing model at dir is replaced only by a complete new
// one, and on failure the old model is left as it was and nothing else
// remains.
//
// To avoid deleting data by mistake, an existing dir must be empty or a
// SavedModel directory holding only what SavedModels hold (saved_model.pb,
// variables/, assets/, fingerprint.pb, keras_metadata.pb...); the error
// names the first other file. If dir is a symbolic link, Write replaces the
// directory it points to and leaves the link. It removes the temporaries
// that earlier Writes to dir left when killed midway, never those of a
// Write still running. CheckWritable tells in advance whether Write can
// write at dir.
func Write(dir string, e Export) (err error) {
	dir = filepath.Clean(dir)
	target, err := resolveTarget(dir)
	if err != nil {
		return fmt.Errorf("savedmodel: write %s: %w", dir, err)
	}
	fail := func(err error) error { return fmt.Errorf("savedmodel: write %s: %w", describeTarget(dir, target), err) }
	if e.WriteVariables == nil {
		return fail(errors.New("no WriteVariables function"))
	}
	if err := checkReplaceable(target); err != nil {
		return fail(err)
	}
	meta, err := metaGraph(e)
	if err != nil {
		return fail(err)
	}
	pb, err := proto.MarshalOptions{Deterministic: true}.Marshal(&corepb.SavedModel{
		SavedModelSchemaVersion: 1,
		MetaGraphs:              []*corepb.MetaGraphDef{meta},
	})
	if err != nil {
		return fail(err)
	}

	removeStaleTemps(target)
	tmp, lock, err := newTemp(target)
	if err != nil {
		return fail(err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
		lock.Unlock()
	}()
	// MkdirTemp makes the directory private; a model is meant to be read
	// by servers running as other users.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fail(err)
	}
	if err := writeContents(tmp, pb, e.WriteVariables); err != nil {
		return fail(err)
	}
	if err := replaceDir(tmp, target); err != nil {
		return fail(err)
	}
	return nil
}

// writeContents writes the variables and saved_model.pb into tmp and makes
// them durable before tmp is renamed into place.
func writeContents(tmp string, pb []byte, writeVariables func(string) error) error {
	vdir := filepath.Join(tmp, variablesDir)
	if err := os.Mkdir(vdir, 0o755); err != nil {
		return err
	}
	prefix := filepath.Join(vdir, variablesPrefix)
	if err := writeVariables(prefix); err != nil {
		return fmt.Errorf("writing the variables: %w", err)
	}
	// A WriteVariables that forgot to save must not produce a model that
	// loads with uninitialized weights.
	for _, name := range []string{prefix + ".index", prefix + ".data-00000-of-00001"} {
		if err := syncFile(name); errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("WriteVariables wrote no %s", filepath.Join(variablesDir, filepath.Base(name)))
		} else if err != nil {
			return err
		}
	}
	if err := writeFileSync(filepath.Join(tmp, savedModelPB), pb); err != nil {
		return err
	}
	if err := syncFile(vdir); err != nil {
		return err
	}
	return syncFile(tmp)
}

func writeFileSync(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncFile flushes a file or directory to disk.
func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", name, err)
	}
	return f.Close()
}
