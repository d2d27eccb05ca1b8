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
	typespb "github.com/galeone/tensorflow/tensorflow/go/core/framework/types_go_proto"
	corepb "github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
)

// The shapes Load accepts: Fashion-MNIST's 28×28 grey images in, one
// probability per class out.
const (
	ImageHeight = 28
	ImageWidth  = 28
	NumClasses  = 10
	imageSize   = ImageHeight * ImageWidth
)

// ErrClosed is returned by Predict after Close.
var ErrClosed = errors.New("savedmodel: model is closed")

// Model is a loaded Fashion-MNIST classifier: a TensorFlow session restored
// from a SavedModel and the input and output of its serving signature. Its
// methods may be called from several goroutines.
type Model struct {
	dir string

	mu    sync.RWMutex
	saved *tf.SavedModel // nil once closed

	input, output tf.Output
	inputRank     int // 3 for [-1 28 28], 2 for [-1 784]
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
}

// Load loads the SavedModel at dir, the MetaGraph tagged tags (default
// [ServeTag]), for prediction through its DefaultSignature, which must take
// float32 images of shape [-1 28 28] or [-1 784] and give float32
// probabilities of shape [-1 10]. It works for Write's models and for
// Keras 3's model.export. The caller must Close the model.
//
// Load checks what it can in Go first (the directory, saved_model.pb, the
// signature, the checkpoint files) so the C library never parses garbage;
// errors name dir and the problem. Files are checked before they are opened
// (no FIFOs or devices, at most DefaultMaxFileSize for those read whole).
//
// A SavedModel is a program, and Load runs only the part of it that
// computes: it refuses, with an *OpError, a model whose serving signature,
// restore op or init op reaches an op off AllowedOps (file or network I/O,
// Python calls, Abort, Assert...), before TensorFlow runs any of it. Use
// LoadTrusted for a model you trust, or LoadWithOptions.
func Load(dir string, tags ...string) (*Model, error) {
	return LoadWithOptions(dir, LoadOptions{Tags: tags})
}

// LoadTrusted is Load without the op check, for a model whose author you
// trust: TensorFlow runs whatever its graph holds.
func LoadTrusted(dir string, tags ...string) (*Model, error) {
	return LoadWithOptions(dir, LoadOptions{Tags: tags, Trusted: true})
}

// LoadWithOptions is Load with the options opts.
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
	sig, ok := meta.GetSignatureDef()[DefaultSignature]
	if !ok {
		return nil, fail(fmt.Errorf("no %q signature (it has %v)", DefaultSignature, sortedKeys(meta.GetSignatureDef())))
	}
	in, out, err := checkSignature(sig)
	if err != nil {
		return nil, fail(fmt.Errorf("signature %q: %w", DefaultSignature, err))
	}
	if !opts.Trusted {
		if err := checkOps(meta, DefaultSignature, sig, opts.AllowOps); err != nil {
			return nil, fail(err)
		}
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

	// tfgo's LoadModel wraps this call but panics on error and hides the
	// session and signatures, so call it directly.
	saved, err := tf.LoadSavedModel(dir, tags, nil)
	if err != nil {
		return nil, fail(fmt.Errorf("TensorFlow could not load it: %w", err))
	}
	m := &Model{dir: dir, saved: saved, inputRank: len(in.GetTensorShape().GetDim())}
	if m.input, err = graphTensor(saved.Graph, in.GetName()); err == nil {
		m.output, err = graphTensor(saved.Graph, out.GetName())
	}
	if err != nil {
		saved.Session.Close()
		return nil, fail(err)
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

// checkSignature returns sig's single input and output after checking they
// are float32 images in and class probabilities out.
func checkSignature(sig *corepb.SignatureDef) (in, out *corepb.TensorInfo, err error) {
	if n := len(sig.GetInputs()); n != 1 {
		return nil, nil, fmt.Errorf("has %d inputs %v, want 1", n, sortedKeys(sig.GetInputs()))
	}
	if n := len(sig.GetOutputs()); n != 1 {
		return nil, nil, fmt.Errorf("has %d outputs %v, want 1", n, sortedKeys(sig.GetOutputs()))
	}
	in, out = only(sig.GetInputs()), only(sig.GetOutputs())
	if in.GetName() == "" || out.GetName() == "" {
		return nil, nil, errors.New("input and output must be dense tensors")
	}
	if d := in.GetDtype(); d != typespb.DataType_DT_FLOAT {
		return nil, nil, fmt.Errorf("input dtype %v, want DT_FLOAT", d)
	}
	if d := out.GetDtype(); d != typespb.DataType_DT_FLOAT {
		return nil, nil, fmt.Errorf("output dtype %v, want DT_FLOAT", d)
	}
	dims, known := shapeDims(in.GetTensorShape())
	if !known || !(equalDims(dims, []int64{-1, ImageHeight, ImageWidth}) || equalDims(dims, []int64{-1, imageSize})) {
		return nil, nil, fmt.Errorf("input shape %s, want [-1 %d %d] or [-1 %d]", dimsString(dims, known), ImageHeight, ImageWidth, imageSize)
	}
	dims, known = shapeDims(out.GetTensorShape())
	if !known || !equalDims(dims, []int64{-1, NumClasses}) {
		return nil, nil, fmt.Errorf("output shape %s, want [-1 %d]", dimsString(dims, known), NumClasses)
	}
	return in, out, nil
}

// only returns the value of a map of one entry.
func only(m map[string]*corepb.TensorInfo) *corepb.TensorInfo {
	for _, v := range m {
		return v
	}
	return nil
}

func dimsString(dims []int64, known bool) string {
	if !known {
		return "unknown"
	}
	return fmt.Sprint(dims)
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

// Predict returns the class probabilities of n images, n×10 values, image
// after image. images holds n×28×28 pixels scaled to [0, 1], row by row.
func (m *Model) Predict(images []float32, n int) ([]float32, error) {
	if n < 0 || len(images) != n*imageSize {
		return nil, fmt.Errorf("savedmodel: predict: %d values for %d images of %d×%d pixels", len(images), n, ImageHeight, ImageWidth)
	}
	if n == 0 {
		return []float32{}, nil
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.saved == nil {
		return nil, ErrClosed
	}
	in, err := tf.NewTensor(images)
	if err != nil {
		return nil, fmt.Errorf("savedmodel: predict: %w", err)
	}
	shape := []int64{int64(n), ImageHeight, ImageWidth}
	if m.inputRank == 2 {
		shape = []int64{int64(n), imageSize}
	}
	if err := in.Reshape(shape); err != nil {
		return nil, fmt.Errorf("savedmodel: predict: %w", err)
	}
	res, err := m.saved.Session.Run(map[tf.Output]*tf.Tensor{m.input: in}, []tf.Output{m.output}, nil)
	if err != nil {
		return nil, fmt.Errorf("savedmodel: predict with %s: %w", m.dir, err)
	}
	if got := res[0].Shape(); !equalDims(got, []int64{int64(n), NumClasses}) {
		return nil, fmt.Errorf("savedmodel: predict with %s: output shape %v, want [%d %d]", m.dir, got, n, NumClasses)
	}
	rows, ok := res[0].Value().([][]float32)
	if !ok {
		return nil, fmt.Errorf("savedmodel: predict with %s: output is %T, want [][]float32", m.dir, res[0].Value())
	}
	probs := make([]float32, 0, n*NumClasses)
	for _, r := range rows {
		probs = append(probs, r...)
	}
	return probs, nil
}

// Close releases the session. Predict fails after it.
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
