package serving

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	corepb "github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"

	"github.com/gokeras/fashion/internal/tfrelease"
	"github.com/gokeras/fashion/savedmodel"
)

// ModelSpec names what a request asks for, as TensorFlow Serving's
// ModelSpec does.
type ModelSpec struct {
	Name string
	// Version, if HasVersion; otherwise the served (latest) version.
	Version    int64
	HasVersion bool
	// VersionLabel is not supported (no label is ever assigned).
	VersionLabel string
	// SignatureName defaults to "serving_default".
	SignatureName string
}

// PredictRequest is TensorFlow Serving's PredictRequest, tensors decoded.
type PredictRequest struct {
	Spec         ModelSpec
	Inputs       map[string]*Tensor
	OutputFilter []string
}

// PredictResponse is TensorFlow Serving's PredictResponse.
type PredictResponse struct {
	// Spec names the model, the version that answered and the signature.
	Spec    ModelSpec
	Outputs map[string]*Tensor
}

// Predict runs a request on the version it names.
func (s *Server) Predict(ctx context.Context, req *PredictRequest) (*PredictResponse, error) {
	sv, err := s.acquire(req.Spec.Name, req.Spec.Version, req.Spec.HasVersion, req.Spec.VersionLabel)
	if err != nil {
		return nil, err
	}
	defer s.release(sv)
	return s.predict(ctx, sv, req)
}

func signatureKey(name string) string {
	if name == "" {
		return savedmodel.DefaultSignature
	}
	return name
}

// predict validates req against sv's signature (PreProcessPrediction),
// runs it, directly or batched, and returns the outputs.
func (s *Server) predict(ctx context.Context, sv *servable, req *PredictRequest) (*PredictResponse, error) {
	key := signatureKey(req.Spec.SignatureName)
	sig, ok := sv.sess.Signature(key)
	if !ok {
		return nil, errorf(FailedPrecondition, "Serving signature key \"%s\" not found.", key)
	}
	if err := s.checkInputs(sig, req.Inputs); err != nil {
		return nil, err
	}
	fetch, err := outputsToFetch(sig, req.OutputFilter)
	if err != nil {
		return nil, err
	}
	var outs []*Tensor
	if sv.batcher != nil && batchable(req.Inputs) {
		outs, err = sv.batcher.submit(ctx, key, req.Inputs, fetch)
	} else {
		outs, err = s.runDirect(ctx, sv, key, req.Inputs, fetch)
	}
	if err != nil {
		return nil, err
	}
	resp := &PredictResponse{
		Spec:    ModelSpec{Name: sv.name, Version: sv.version, HasVersion: true, SignatureName: key},
		Outputs: make(map[string]*Tensor, len(fetch)),
	}
	for i, name := range fetch {
		resp.Outputs[name] = outs[i]
	}
	return resp, nil
}

// checkInputs verifies the request feeds exactly the signature's inputs,
// with its dtypes and the dimensions it declares, and within the element
// limit.
func (s *Server) checkInputs(sig savedmodel.SignatureSpec, inputs map[string]*Tensor) error {
	want := map[string]bool{}
	for _, in := range sig.Inputs {
		want[in.Name] = true
	}
	var extra, missing []string
	for name := range inputs {
		if !want[name] {
			extra = append(extra, name)
		}
	}
	for _, in := range sig.Inputs {
		if _, ok := inputs[in.Name]; !ok {
			missing = append(missing, in.Name)
		}
	}
	if len(extra) > 0 || len(missing) > 0 {
		sent := make([]string, 0, len(inputs))
		for name := range inputs {
			sent = append(sent, name)
		}
		names := make([]string, len(sig.Inputs))
		for i, in := range sig.Inputs {
			names[i] = in.Name
		}
		sort.Strings(sent)
		sort.Strings(extra)
		return errorf(InvalidArgument, "input size does not match signature: %d!=%d len({%s}) != len({%s}). Sent extra: {%s}. Missing but required: {%s}.",
			len(inputs), len(sig.Inputs), strings.Join(sent, ","), strings.Join(names, ","), strings.Join(extra, ","), strings.Join(missing, ","))
	}
	var total int64
	for i, in := range sig.Inputs {
		t := inputs[in.Name]
		if t == nil {
			return errorf(InvalidArgument, "input %s is null", in.Name)
		}
		if t.DType != in.DType {
			return errorf(InvalidArgument, "Expects arg[%d] to be %s but %s is provided", i, DTypeName(in.DType), DTypeName(t.DType))
		}
		if !in.UnknownRank && !shapeFits(in.Shape, t.Shape) {
			return errorf(InvalidArgument, "input %s has shape %s, but the signature declares %s", in.Name, shapeString(t.Shape), shapeString(in.Shape))
		}
		if err := t.check(); err != nil {
			return errorf(InvalidArgument, "input %s: %v", in.Name, err)
		}
		total += t.NumElements()
	}
	if total > s.limits.MaxElements {
		return errorf(InvalidArgument, "the request has %d tensor elements, over this server's limit of %d", total, s.limits.MaxElements)
	}
	return nil
}

// shapeFits reports whether shape matches the declared dims (-1 matching
// any size).
func shapeFits(declared, shape []int64) bool {
	if len(declared) != len(shape) {
		return false
	}
	for i, d := range declared {
		if d >= 0 && d != shape[i] {
			return false
		}
	}
	return true
}

// outputsToFetch applies a request's output filter to the signature.
func outputsToFetch(sig savedmodel.SignatureSpec, filter []string) ([]string, error) {
	if len(filter) == 0 {
		out := make([]string, len(sig.Outputs))
		for i, o := range sig.Outputs {
			out[i] = o.Name
		}
		return out, nil
	}
	seen := map[string]bool{}
	for _, alias := range filter {
		if _, ok := sig.Output(alias); !ok {
			names := make([]string, len(sig.Outputs))
			for i, o := range sig.Outputs {
				names[i] = o.Name
			}
			return nil, errorf(InvalidArgument, "output tensor alias not found in signature: %s Outputs expected to be in the set {%s}.", alias, strings.Join(names, ","))
		}
		if seen[alias] {
			return nil, errorf(InvalidArgument, "duplicate output tensor alias: %s", alias)
		}
		seen[alias] = true
	}
	return append([]string(nil), filter...), nil
}

// runDirect runs one signature on sv's session, waiting for a run slot and
// for the run within ctx. A run that outlives ctx finishes in the
// background, holding its slot (and sv) until then.
func (s *Server) runDirect(ctx context.Context, sv *servable, sig string, feeds map[string]*Tensor, fetch []string) ([]*Tensor, error) {
	if ctx.Err() != nil {
		return nil, contextError(ctx)
	}
	select {
	case s.runs <- struct{}{}:
	case <-ctx.Done():
		return nil, contextError(ctx)
	}
	s.mu.Lock()
	sv.refs++ // the run may outlive the request
	s.mu.Unlock()
	type result struct {
		outs []*Tensor
		err  error
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			<-s.runs
			s.release(sv)
		}()
		start := time.Now()
		outs, err := runSession(sv.sess, sig, feeds, fetch)
		s.opts.Metrics.runtimeLatency(sv.name, time.Since(start))
		done <- result{outs, err}
	}()
	select {
	case r := <-done:
		return r.outs, r.err
	case <-ctx.Done():
		return nil, contextError(ctx)
	}
}

// runSession converts, runs and converts back.
func runSession(sess *savedmodel.Model, sig string, feeds map[string]*Tensor, fetch []string) ([]*Tensor, error) {
	// The C memory of the feeds and results goes back as soon as the
	// values are copied, not when the garbage collector finalizes them:
	// under load a server would otherwise hold many requests' worth.
	tfFeeds := make(map[string]*tf.Tensor, len(feeds))
	var res map[string]*tf.Tensor
	defer func() {
		for _, t := range tfFeeds {
			tfrelease.Release(t)
		}
		for _, t := range res {
			tfrelease.Release(t)
		}
	}()
	for name, t := range feeds {
		tt, err := t.toTF()
		if err != nil {
			return nil, errorf(InvalidArgument, "input %s: %v", name, err)
		}
		tfFeeds[name] = tt
	}
	res, err := sess.Run(sig, tfFeeds, fetch...)
	if err != nil {
		var re *savedmodel.RunError
		if errors.As(err, &re) {
			return nil, &Error{Code: Code(re.Code()), Msg: re.Error()}
		}
		if errors.Is(err, savedmodel.ErrClosed) {
			return nil, errorf(Unavailable, "%v", err)
		}
		return nil, errorf(Internal, "%v", err)
	}
	outs := make([]*Tensor, len(fetch))
	for i, name := range fetch {
		if outs[i], err = fromTF(res[name]); err != nil {
			return nil, errorf(Internal, "output %s: %v", fetch[i], err)
		}
	}
	return outs, nil
}

// ModelMetadata is GetModelMetadata's answer: the model, the version that
// answered, and the MetaGraph's SignatureDefs.
type ModelMetadata struct {
	Spec          ModelSpec
	SignatureDefs map[string]*corepb.SignatureDef
}

// Metadata answers GetModelMetadata for the signature_def field.
func (s *Server) Metadata(spec ModelSpec) (*ModelMetadata, error) {
	if spec.Name == "" {
		return nil, errorf(InvalidArgument, "Missing model name in request.")
	}
	sv, err := s.acquire(spec.Name, spec.Version, spec.HasVersion, spec.VersionLabel)
	if err != nil {
		return nil, err
	}
	defer s.release(sv)
	return &ModelMetadata{
		Spec:          ModelSpec{Name: sv.name, Version: sv.version, HasVersion: true},
		SignatureDefs: sv.sess.MetaGraph().GetSignatureDef(),
	}, nil
}

// batchable reports whether a request can join a batch: every input has a
// batch dimension, all the same, of at least one row.
func batchable(inputs map[string]*Tensor) bool {
	n := int64(-1)
	for _, t := range inputs {
		if len(t.Shape) == 0 || t.Shape[0] == 0 {
			return false
		}
		if n >= 0 && t.Shape[0] != n {
			return false
		}
		n = t.Shape[0]
	}
	return n > 0
}

func (s *Server) String() string {
	return fmt.Sprintf("serving.Server(%s at %s)", s.opts.ModelName, s.opts.BasePath)
}
