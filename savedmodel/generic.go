package savedmodel

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	corepb "github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"
)

// TensorSpec describes one named input or output of a signature, as its
// SignatureDef declares it.
type TensorSpec struct {
	// Name is the alias users see, e.g. "images".
	Name string
	// Tensor is the graph tensor it maps to, "op:index".
	Tensor string
	// DType is the declared element type.
	DType tf.DataType
	// Shape holds the declared dimensions, -1 for unknown ones; nil with
	// UnknownRank when not even the rank is declared.
	Shape       []int64
	UnknownRank bool
}

// SignatureSpec is one SignatureDef of a loaded SavedModel that a Session can
// run: dense inputs and outputs, sorted by name.
type SignatureSpec struct {
	Key        string
	MethodName string
	Inputs     []TensorSpec
	Outputs    []TensorSpec
}

// Input returns the input called name.
func (s SignatureSpec) Input(name string) (TensorSpec, bool) { return findSpec(s.Inputs, name) }

// Output returns the output called name.
func (s SignatureSpec) Output(name string) (TensorSpec, bool) { return findSpec(s.Outputs, name) }

func findSpec(specs []TensorSpec, name string) (TensorSpec, bool) {
	for _, t := range specs {
		if t.Name == name {
			return t, true
		}
	}
	return TensorSpec{}, false
}

// Session is a SavedModel loaded for serving every signature it has, whatever
// its inputs and outputs: the generic counterpart of Model. Its methods may
// be called from several goroutines; Close waits for runs in progress.
type Session struct {
	dir  string
	meta *corepb.MetaGraphDef

	specs map[string]SignatureSpec
	feeds map[string]map[string]tf.Output // signature -> input -> tensor
	fetch map[string]map[string]tf.Output // signature -> output -> tensor

	mu    sync.RWMutex
	saved *tf.SavedModel // nil once closed
}

// initSignature is the SignatureDef key TensorFlow 2 uses for the init op:
// not a function to serve.
const initSignature = initOpSignature

// LoadSession loads the SavedModel at dir (the MetaGraph tagged opts.Tags,
// default [ServeTag]) with every dense signature ready to run. It applies
// Load's checks: files are checked before they are opened, and unless
// opts.Trusted, every op that a served signature, the restore op or the init
// op reaches must be on the allow-list (an *OpError otherwise). Signatures
// with sparse or composite inputs or outputs are left out of Signatures (they
// stay in MetaGraph). The caller must Close the session.
func LoadSession(dir string, opts LoadOptions) (*Session, error) {
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
		if key == initSignature {
			continue
		}
		sig := meta.GetSignatureDef()[key]
		spec, ok := signatureSpec(key, sig)
		if !ok {
			continue
		}
		if !opts.Trusted {
			if err := checkOps(meta, key, sig, opts.AllowOps); err != nil {
				return nil, fail(err)
			}
		}
		specs[key] = spec
	}
	if len(specs) == 0 {
		return nil, fail(fmt.Errorf("no signature with dense inputs and outputs to serve (it has %v)", sortedKeys(meta.GetSignatureDef())))
	}
	if err := checkLoaderInputs(dir, limit); err != nil {
		return nil, fail(err)
	}
	if meta.GetSaverDef().GetRestoreOpName() != "" {
		index := filepath.Join(variablesDir, variablesPrefix+".index")
		if _, err := os.Stat(filepath.Join(dir, index)); errors.Is(err, fs.ErrNotExist) {
			return nil, fail(notExist(index + " is missing, but the graph has variables to restore"))
		} else if err != nil {
			return nil, fail(err)
		}
	}

	saved, err := tf.LoadSavedModel(dir, tags, nil)
	if err != nil {
		return nil, fail(fmt.Errorf("TensorFlow could not load it: %w", err))
	}
	s := &Session{
		dir: dir, meta: meta, saved: saved, specs: specs,
		feeds: map[string]map[string]tf.Output{}, fetch: map[string]map[string]tf.Output{},
	}
	for key, spec := range specs {
		s.feeds[key], s.fetch[key] = map[string]tf.Output{}, map[string]tf.Output{}
		for _, side := range []struct {
			specs []TensorSpec
			into  map[string]tf.Output
		}{{spec.Inputs, s.feeds[key]}, {spec.Outputs, s.fetch[key]}} {
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
	return s, nil
}

// signatureSpec describes sig, or reports false if one of its tensors is not
// dense (sparse and composite tensors cannot be fed by name).
func signatureSpec(key string, sig *corepb.SignatureDef) (SignatureSpec, bool) {
	spec := SignatureSpec{Key: key, MethodName: sig.GetMethodName()}
	for _, side := range []struct {
		infos map[string]*corepb.TensorInfo
		into  *[]TensorSpec
	}{{sig.GetInputs(), &spec.Inputs}, {sig.GetOutputs(), &spec.Outputs}} {
		for _, name := range sortedKeys(side.infos) {
			info := side.infos[name]
			if info.GetName() == "" {
				return SignatureSpec{}, false
			}
			dims, known := shapeDims(info.GetTensorShape())
			*side.into = append(*side.into, TensorSpec{
				Name: name, Tensor: info.GetName(), DType: tf.DataType(info.GetDtype()),
				Shape: dims, UnknownRank: !known,
			})
		}
	}
	if len(spec.Outputs) == 0 {
		return SignatureSpec{}, false
	}
	return spec, true
}

// Dir is the directory the session was loaded from.
func (s *Session) Dir() string { return s.dir }

// MetaGraph is the MetaGraphDef loaded, with all its SignatureDefs; callers
// must not modify it.
func (s *Session) MetaGraph() *corepb.MetaGraphDef { return s.meta }

// Signatures returns the signatures the session runs, sorted by key.
func (s *Session) Signatures() []SignatureSpec {
	out := make([]SignatureSpec, 0, len(s.specs))
	for _, k := range sortedKeys(s.specs) {
		out = append(out, s.specs[k])
	}
	return out
}

// Signature returns the signature key, if the session runs it.
func (s *Session) Signature(key string) (SignatureSpec, bool) {
	spec, ok := s.specs[key]
	return spec, ok
}

// Run runs signature key: it feeds feeds (by input name) and returns the
// outputs named in fetch, in that order. The caller checks names, dtypes and
// shapes; TensorFlow's own errors are returned wrapped (see ErrorCode).
func (s *Session) Run(key string, feeds map[string]*tf.Tensor, fetch []string) ([]*tf.Tensor, error) {
	in, ok := s.feeds[key]
	if !ok {
		return nil, fmt.Errorf("savedmodel: run: no signature %q", key)
	}
	feedMap := make(map[tf.Output]*tf.Tensor, len(feeds))
	for name, t := range feeds {
		o, ok := in[name]
		if !ok {
			return nil, fmt.Errorf("savedmodel: run: signature %q has no input %q", key, name)
		}
		feedMap[o] = t
	}
	outs := make([]tf.Output, len(fetch))
	for i, name := range fetch {
		o, ok := s.fetch[key][name]
		if !ok {
			return nil, fmt.Errorf("savedmodel: run: signature %q has no output %q", key, name)
		}
		outs[i] = o
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.saved == nil {
		return nil, ErrClosed
	}
	res, err := s.saved.Session.Run(feedMap, outs, nil)
	if err != nil {
		return nil, &RunError{err: err}
	}
	return res, nil
}

// RunError is an error TensorFlow returned from a run; Code tells its kind.
type RunError struct{ err error }

func (e *RunError) Error() string { return e.err.Error() }
func (e *RunError) Unwrap() error { return e.err }

// Code is TensorFlow's status code of the error (TF_Code: 3 is
// INVALID_ARGUMENT, 13 INTERNAL...), 2 (UNKNOWN) if it cannot be read.
func (e *RunError) Code() int {
	if c, ok := statusCode(e.err); ok {
		return c
	}
	return 2
}

// Close releases the session, after runs in progress end.
func (s *Session) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.saved == nil {
		return nil
	}
	err := s.saved.Session.Close()
	s.saved = nil
	if err != nil {
		return fmt.Errorf("savedmodel: close %s: %w", s.dir, err)
	}
	return nil
}

// SortedSignatureKeys returns the keys of m sorted, for callers that render
// SignatureDef maps deterministically.
func SortedSignatureKeys(m map[string]*corepb.SignatureDef) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
