package savedmodel

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	corepb "github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
)

// ErrClosed is returned by Predict and Run after Close.
var ErrClosed = errors.New("savedmodel: model is closed")

// Model is a loaded SavedModel: a TensorFlow session restored from it and
// every signature it can run, whatever their inputs and outputs. Predict
// runs the DefaultSignature on one float32 tensor; Run runs any signature
// on named tensors. Its methods may be called from several goroutines;
// Close waits for runs in progress.
type Model struct {
	dir  string
	meta *corepb.MetaGraphDef

	specs map[string]SignatureSpec
	feeds map[string]map[string]tf.Output // signature -> input -> tensor
	fetch map[string]map[string]tf.Output // signature -> output -> tensor

	mu    sync.RWMutex
	saved *tf.SavedModel // nil once closed
}

// LoadOptions says how LoadWithOptions loads a SavedModel.
type LoadOptions struct {
	// Tags select the MetaGraph; default [ServeTag].
	Tags []string
	// Trusted skips the op check: TensorFlow then runs whatever the model's
	// graph holds, files and processes included. Only for models from a
	// source you trust as you would trust a program from it.
	Trusted bool
	// AllowOps are op types to accept on top of AllowedOps, for a model
	// that needs, say, "Assert", when the rest of it should still be
	// checked.
	AllowOps []string
	// MaxFileSize caps saved_model.pb and the other files read whole (see
	// DefaultMaxFileSize, the default when 0); negative means no limit.
	MaxFileSize int64
	// InterOpPool runs a signature's ops on TensorFlow's shared inter-op
	// thread pool, as a default TensorFlow session does, instead of on the
	// thread of the goroutine that calls Predict or Run. The pool runs
	// independent branches of a graph at the same time; the caller's
	// thread saves a hand-off between threads per op, which is most of a
	// small model's latency (the tutorial's MLP answers one image in about
	// 17 µs instead of 53–77 µs on a 2-core AMD EPYC). Concurrent callers
	// each run on their own thread either way, and a large op (a big
	// MatMul, a convolution) splits over the intra-op pool either way.
	InterOpPool bool
}

// Load loads the SavedModel at dir, the MetaGraph tagged tags (default
// [ServeTag]), with every signature whose inputs and outputs are dense
// tensors ready to run (see Signatures). It works for Write's models, for
// Keras 3's model.export and for tf.saved_model.save's. The caller must
// Close the model.
//
// Load checks what it can in Go first (the directory, saved_model.pb, the
// signatures, the checkpoint files) so the C library never parses garbage;
// errors name dir and the problem. Files are checked before they are opened
// (no FIFOs or devices, at most DefaultMaxFileSize for those read whole).
//
// A SavedModel is a program, and Load runs only the part of it that
// computes: it refuses, with an *OpError, a model where any of its
// signatures, its restore op or its init op reaches an op off AllowedOps
// (file or network I/O, Python calls, Abort, Assert...), before TensorFlow
// runs any of it. Use LoadTrusted for a model you trust, or
// LoadWithOptions.
func Load(dir string, tags ...string) (*Model, error) {
	return LoadWithOptions(dir, LoadOptions{Tags: tags})
}

// LoadTrusted is Load without the op check, for a model whose author you
// trust: TensorFlow runs whatever its graph holds.
func LoadTrusted(dir string, tags ...string) (*Model, error) {
	return LoadWithOptions(dir, LoadOptions{Tags: tags, Trusted: true})
}

// LoadWithOptions is Load with the options opts. Signatures with sparse or
// composite inputs or outputs are left out of Signatures (they stay in
// MetaGraph) and are not checked, as they cannot be run; a model with no
// other signature is an error.
func LoadWithOptions(dir string, opts LoadOptions) (*Model, error) {
	tags := opts.Tags
	if len(tags) == 0 {
		tags = []string{ServeTag}
	}
	limit := opts.MaxFileSize
	if limit == 0 {
		limit = DefaultMaxFileSize
	}
	fail := func(err error) error { return fmt.Errorf("savedmodel: load %s: %w", dir, err) }

	info, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fail(notExist("directory does not exist"))
	}
	if err != nil {
		return nil, fail(err)
	}
	if !info.IsDir() {
		return nil, fail(errors.New("not a directory"))
	}
	sm, err := readSavedModel(dir, limit)
	if err != nil {
		return nil, fail(err)
	}
	meta, err := metaGraphWithTags(sm, tags)
	if err != nil {
		return nil, fail(err)
	}
	specs := map[string]SignatureSpec{}
	for _, key := range sortedKeys(meta.GetSignatureDef()) {
		if key == initOpSignature { // the init op, not a function to run
			continue
		}
		sig := meta.GetSignatureDef()[key]
		spec, ok := signatureSpec(key, sig)
		if !ok {
			continue
		}
		// Every signature Run could run is checked, not only the default
		// one: a caller may run any of them.
		if !opts.Trusted {
			if err := checkOps(meta, key, sig, opts.AllowOps); err != nil {
				return nil, fail(err)
			}
		}
		specs[key] = spec
	}
	if len(specs) == 0 {
		return nil, fail(fmt.Errorf("no signature with dense inputs and outputs to run (it has %v)", sortedKeys(meta.GetSignatureDef())))
	}
	if err := checkLoaderInputs(dir, limit); err != nil {
		return nil, fail(err)
	}
	if meta.GetSaverDef().GetRestoreOpName() != "" {
		index := filepath.Join(variablesDir, variablesPrefix+".index")
		if _, err := os.Stat(filepath.Join(dir, index)); errors.Is(err, fs.ErrNotExist) {
			// The C loader would skip the restore and leave the weights
			// uninitialized.
			return nil, fail(notExist(index + " is missing, but the graph has variables to restore"))
		} else if err != nil {
			return nil, fail(err)
		}
	}

	session, err := sessionOptions(opts)
	if err != nil {
		return nil, fail(err)
	}
	// tfgo's LoadModel wraps this call but panics on error and hides the
	// session and signatures, so call it directly.
	saved, err := tf.LoadSavedModel(dir, tags, session)
	if err != nil {
		return nil, fail(fmt.Errorf("TensorFlow could not load it: %w", err))
	}
	m := &Model{
		dir: dir, meta: meta, saved: saved, specs: specs,
		feeds: map[string]map[string]tf.Output{}, fetch: map[string]map[string]tf.Output{},
	}
	for key, spec := range specs {
		m.feeds[key], m.fetch[key] = map[string]tf.Output{}, map[string]tf.Output{}
		for _, side := range []struct {
			specs []TensorSpec
			into  map[string]tf.Output
		}{{spec.Inputs, m.feeds[key]}, {spec.Outputs, m.fetch[key]}} {
			for _, t := range side.specs {
				o, err := graphTensor(saved.Graph, t.Tensor)
				if err != nil {
					saved.Session.Close()
					return nil, fail(fmt.Errorf("signature %q: %w", key, err))
				}
				side.into[t.Name] = o
			}
		}
	}
	return m, nil
}

// notExist is an error for something missing that errors.Is recognizes as
// fs.ErrNotExist.
type notExist string

func (e notExist) Error() string        { return string(e) }
func (e notExist) Is(target error) bool { return target == fs.ErrNotExist }

// readSavedModel parses dir's saved_model.pb (or .pbtxt, which the C loader
// also reads), refusing files over limit bytes before reading them.
func readSavedModel(dir string, limit int64) (*corepb.SavedModel, error) {
	sm := new(corepb.SavedModel)
	data, err := readInput(dir, savedModelPB, limit)
	if err == nil {
		if err := proto.Unmarshal(data, sm); err != nil {
			return nil, fmt.Errorf("%s is corrupt: %w", savedModelPB, err)
		}
		return sm, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	data, err = readInput(dir, savedModelPBTxt, limit)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, notExist("no " + savedModelPB + ": not a SavedModel directory")
	}
	if err != nil {
		return nil, err
	}
	if err := prototext.Unmarshal(data, sm); err != nil {
		return nil, fmt.Errorf("%s is corrupt: %w", savedModelPBTxt, err)
	}
	return sm, nil
}

// metaGraphWithTags returns the MetaGraph whose tags are exactly tags, as the
// C loader selects it.
func metaGraphWithTags(sm *corepb.SavedModel, tags []string) (*corepb.MetaGraphDef, error) {
	var have [][]string
	for _, mg := range sm.GetMetaGraphs() {
		got := mg.GetMetaInfoDef().GetTags()
		if sameSet(got, tags) {
			if mg.GetGraphDef() == nil {
				return nil, fmt.Errorf("the MetaGraph tagged %v has no graph", tags)
			}
			return mg, nil
		}
		have = append(have, got)
	}
	return nil, fmt.Errorf("no MetaGraph tagged %v (tag sets: %v)", tags, have)
}

func sameSet(a, b []string) bool {
	in := map[string]bool{}
	for _, s := range a {
		in[s] = true
	}
	for _, s := range b {
		if !in[s] {
			return false
		}
	}
	other := map[string]bool{}
	for _, s := range b {
		other[s] = true
	}
	return len(in) == len(other)
}

// graphTensor finds the tensor called "op:index" (or "op") in g.
func graphTensor(g *tf.Graph, name string) (tf.Output, error) {
	opName, index := name, 0
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		n, err := strconv.Atoi(name[i+1:])
		if err != nil {
			return tf.Output{}, fmt.Errorf("bad tensor name %q", name)
		}
		opName, index = name[:i], n
	}
	o := g.Operation(opName)
	if o == nil || index < 0 || index >= o.NumOutputs() {
		return tf.Output{}, fmt.Errorf("the signature names tensor %q, which the graph lacks", name)
	}
	return o.Output(index), nil
}

// Dir is the directory the model was loaded from.
func (m *Model) Dir() string { return m.dir }

// MetaGraph is the MetaGraphDef loaded, with all its SignatureDefs; callers
// must not modify it.
func (m *Model) MetaGraph() *corepb.MetaGraphDef { return m.meta }

// Signatures returns the signatures the model runs, sorted by key.
func (m *Model) Signatures() []SignatureSpec {
	out := make([]SignatureSpec, 0, len(m.specs))
	for _, k := range sortedKeys(m.specs) {
		out = append(out, m.specs[k])
	}
	return out
}

// Signature returns the signature key (e.g. DefaultSignature), if the model
// runs it.
func (m *Model) Signature(key string) (SignatureSpec, bool) {
	spec, ok := m.specs[key]
	return spec, ok
}

// Close releases the session, after runs in progress end. Predict and Run
// fail with ErrClosed after it; closing again does nothing.
func (m *Model) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.saved == nil {
		return nil
	}
	err := m.saved.Session.Close()
	m.saved = nil
	if err != nil {
		return fmt.Errorf("savedmodel: close %s: %w", m.dir, err)
	}
	return nil
}

// sessionOptions is the session configuration opts asks for: by default
// TensorFlow runs a signature's ops in the calling thread (a negative
// inter_op_parallelism_threads), see LoadOptions.InterOpPool.
func sessionOptions(opts LoadOptions) (*tf.SessionOptions, error) {
	if opts.InterOpPool {
		return nil, nil // TensorFlow's defaults
	}
	config, err := proto.Marshal(&corepb.ConfigProto{InterOpParallelismThreads: -1})
	if err != nil {
		return nil, fmt.Errorf("session config: %w", err)
	}
	return &tf.SessionOptions{Config: config}, nil
}
