package serving

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/gokeras/fashion/savedmodel"
)

// The paths of TensorFlow Serving's REST API (http_rest_api_util.cc), matched
// case-insensitively against the whole path.
var (
	predictPath = regexp.MustCompile(`(?i)^/v1/models/([^/:]+)(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?:(classify|regress|predict)$`)
	statusPath  = regexp.MustCompile(`(?i)^/v1/models(?:/([^/:]+))?(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?(?:/(metadata))?$`)
	apiPath     = regexp.MustCompile(`(?i)^/v1/`)
)

// RESTOptions configure RESTHandler.
type RESTOptions struct {
	// Timeout bounds each request (TensorFlow Serving's
	// --rest_api_timeout_in_ms); 0 for none.
	Timeout time.Duration
}

// RESTHandler answers TensorFlow Serving's REST API for s:
//
//	GET  /v1/models/NAME[/versions/N]            model version status
//	GET  /v1/models/NAME[/versions/N]/metadata   signature defs
//	POST /v1/models/NAME[/versions/N]:predict    row or columnar predict
//
// Errors are {"error": "..."} with TensorFlow Serving's messages and HTTP
// codes. Other paths under /v1/ are malformed requests (400); paths outside
// it are not found (404).
func (s *Server) RESTHandler(opts RESTOptions) http.Handler {
	return &restHandler{s: s, opts: opts}
}

type restHandler struct {
	s    *Server
	opts RESTOptions
}

func (h *restHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.EscapedPath()
	if !apiPath.MatchString(path) {
		http.NotFound(w, r)
		return
	}
	start := time.Now()
	ctx := r.Context()
	if h.opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.opts.Timeout)
		defer cancel()
	}
	w.Header().Set("Content-Type", "application/json")
	model, api, out, err := h.dispatch(ctx, r, path)
	code := CodeOf(err)
	h.s.opts.Metrics.Request(model, api, "REST", code, time.Since(start))
	if err != nil {
		var tooBig *http.MaxBytesError
		status := code.HTTPStatus()
		if errors.As(err, &tooBig) {
			status = http.StatusRequestEntityTooLarge
			err = errorf(ResourceExhausted, "Request body is larger than this server's limit of %d bytes", tooBig.Limit)
		}
		w.WriteHeader(status)
		writeJSONError(w, err)
		return
	}
	w.WriteHeader(http.StatusOK)
	w.Write(out)
}

// writeJSONError writes {"error": message} (MakeJsonFromStatus).
func writeJSONError(w io.Writer, err error) {
	var b []byte
	b = append(b, "{\n    \"error\": "...)
	b = appendJSONString(b, asError(err).Msg)
	b = append(b, "\n}"...)
	w.Write(b)
}

func appendJSONString(b []byte, s string) []byte {
	out, _ := jsonMarshalString(s)
	return append(b, out...)
}

// dispatch routes a request; it returns the model name and API for
// metrics, and the body or the error.
func (h *restHandler) dispatch(ctx context.Context, r *http.Request, path string) (model, api string, out []byte, err error) {
	malformed := errorf(InvalidArgument, "Malformed request: %s %s", r.Method, path)
	switch r.Method {
	case http.MethodPost:
		m := predictPath.FindStringSubmatch(path)
		if m == nil {
			return "", "", nil, malformed
		}
		spec, err := specFromPath(m[1], m[2], m[3])
		if err != nil {
			return m[1], "", nil, err
		}
		method := strings.ToLower(m[4])
		if method != "predict" {
			return spec.Name, method, nil, errorf(Unimplemented, "%s is not supported by this server; use predict", method)
		}
		body, err := readBody(r, h.s.limits.MaxRequestBytes)
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return spec.Name, method, nil, err
			}
			return spec.Name, method, nil, errorf(Canceled, "reading the request body: %v", err)
		}
		out, err := h.predict(ctx, spec, body)
		return spec.Name, method, out, err
	case http.MethodGet:
		m := statusPath.FindStringSubmatch(path)
		if m == nil {
			return "", "", nil, malformed
		}
		spec, err := specFromPath(m[1], m[2], m[3])
		if err != nil {
			return m[1], "", nil, err
		}
		if strings.EqualFold(m[4], "metadata") {
			out, err := h.metadata(spec)
			return spec.Name, "GetModelMetadata", out, err
		}
		out, err := h.status(spec)
		return spec.Name, "GetModelStatus", out, err
	case http.MethodOptions:
		if o := r.Header.Get("Origin"); strings.HasPrefix(o, "http://") || strings.HasPrefix(o, "https://") {
			return "", "", nil, nil
		}
		return "", "", nil, errorf(FailedPrecondition, "Origin header is missing in CORS preflight")
	}
	return "", "", nil, malformed
}

// readBody reads a request body of at most limit bytes (an
// *http.MaxBytesError beyond), into one buffer when its length is declared.
func readBody(r *http.Request, limit int64) ([]byte, error) {
	body := http.MaxBytesReader(nil, r.Body, limit)
	if n := r.ContentLength; n > 0 && n <= limit {
		buf := make([]byte, n)
		if _, err := io.ReadFull(body, buf); err != nil {
			return nil, err
		}
		return buf, nil
	}
	return io.ReadAll(body)
}

// specFromPath decodes the model name, version and label of a path.
func specFromPath(name, version, label string) (ModelSpec, error) {
	var spec ModelSpec
	var err error
	if spec.Name, err = url.PathUnescape(name); err != nil {
		return spec, errorf(InvalidArgument, "Failed to decode model name:%s", name)
	}
	if version != "" {
		v, err := strconv.ParseInt(version, 10, 64)
		if err != nil {
			return spec, errorf(InvalidArgument, "Failed to convert version: %s to numeric.", version)
		}
		spec.Version, spec.HasVersion = v, true
	}
	if label != "" {
		if spec.VersionLabel, err = url.PathUnescape(label); err != nil {
			return spec, errorf(InvalidArgument, "Failed to decode model version label:%s", label)
		}
	}
	return spec, nil
}

func (h *restHandler) predict(ctx context.Context, spec ModelSpec, body []byte) ([]byte, error) {
	limits := jsonLimits{maxDepth: h.s.limits.MaxJSONDepth, maxValues: int(min(h.s.limits.MaxElements, 1<<31-1))}
	if out, ok, err := h.fastPredict(ctx, spec, body, limits); ok {
		return out, err
	}
	// TensorFlow Serving parses the body before it looks the model up.
	doc, err := parseJSON(body, limits)
	if err != nil {
		return nil, err
	}
	sv, err := h.s.acquire(spec.Name, spec.Version, spec.HasVersion, spec.VersionLabel)
	if err != nil {
		return nil, err
	}
	defer h.s.release(sv)
	req, err := decodePredictJSON(doc, func(sig string) ([]savedmodel.TensorSpec, error) {
		key := signatureKey(sig)
		s, ok := sv.sess.Signature(key)
		if !ok {
			return nil, errorf(InvalidArgument, "Serving signature name: \"%s\" not found in signature def", key)
		}
		return s.Inputs, nil
	})
	if err != nil {
		return nil, err
	}
	spec.SignatureName = req.signature
	resp, err := h.s.predict(ctx, sv, &PredictRequest{Spec: spec, Inputs: req.inputs})
	if err != nil {
		return nil, err
	}
	return encodePredictJSON(resp.Outputs, req.format)
}

// fastPredict answers the common predict body through fastPredictJSON;
// ok is false if it is not of that kind (or the model is not there), for
// predict's general path to answer instead.
func (h *restHandler) fastPredict(ctx context.Context, spec ModelSpec, body []byte, limits jsonLimits) (out []byte, ok bool, err error) {
	sv, err := h.s.acquire(spec.Name, spec.Version, spec.HasVersion, spec.VersionLabel)
	if err != nil {
		return nil, false, nil
	}
	defer h.s.release(sv)
	req, ok := fastPredictJSON(body, limits, func(sig string) ([]savedmodel.TensorSpec, error) {
		s, ok := sv.sess.Signature(signatureKey(sig))
		if !ok {
			return nil, errorf(InvalidArgument, "no signature %q", sig)
		}
		return s.Inputs, nil
	})
	if !ok {
		return nil, false, nil
	}
	spec.SignatureName = req.signature
	resp, err := h.s.predict(ctx, sv, &PredictRequest{Spec: spec, Inputs: req.inputs})
	if err != nil {
		return nil, true, err
	}
	out, err = encodePredictJSON(resp.Outputs, req.format)
	return out, true, err
}

func (h *restHandler) status(spec ModelSpec) ([]byte, error) {
	if spec.VersionLabel != "" {
		return nil, errorf(InvalidArgument, "Unrecognized servable version label: %s", spec.VersionLabel)
	}
	sts, err := h.s.Status(spec.Name, spec.Version, spec.HasVersion)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	b.WriteString("{\n \"model_version_status\": [")
	for i, st := range sts {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "\n  {\n   \"version\": \"%d\",\n   \"state\": \"%s\",\n   \"status\": {\n    \"error_code\": \"%s\",\n    \"error_message\": %s\n   }\n  }",
			st.Version, st.State, st.Code, string(appendJSONString(nil, st.Message)))
	}
	b.WriteString("\n ]\n}\n")
	return []byte(b.String()), nil
}

func (h *restHandler) metadata(spec ModelSpec) ([]byte, error) {
	md, err := h.s.Metadata(spec)
	if err != nil {
		return nil, err
	}
	return metadataJSON(md)
}

// metadataJSON renders GetModelMetadataResponse as TensorFlow Serving's REST
// API does: model_spec, then metadata.signature_def holding the
// SignatureDefMap, proto field names, default values printed.
func metadataJSON(md *ModelMetadata) ([]byte, error) {
	opts := protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true}
	var b strings.Builder
	fmt.Fprintf(&b, "{\n\"model_spec\":{\n \"name\": %s,\n \"signature_name\": \"\",\n \"version\": \"%d\"\n}\n,\n\"metadata\": {\"signature_def\": {\n \"signature_def\": {",
		string(appendJSONString(nil, md.Spec.Name)), md.Spec.Version)
	for i, key := range savedmodel.SortedSignatureKeys(md.SignatureDefs) {
		if i > 0 {
			b.WriteString(",")
		}
		out, err := opts.Marshal(md.SignatureDefs[key])
		if err != nil {
			return nil, errorf(Internal, "Failed to convert signature def proto to json. Error: %v", err)
		}
		fmt.Fprintf(&b, "\n  %s: %s", string(appendJSONString(nil, key)), out)
	}
	b.WriteString("\n }\n}\n}\n}\n")
	return []byte(b.String()), nil
}
