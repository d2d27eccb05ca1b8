package serving

import (
	"context"
	"math"
	"time"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	tensorpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/tensor_go_proto"
	shapepb "github.com/galeone/tensorflow/tensorflow/go/core/framework/tensor_shape_go_proto"
	typespb "github.com/galeone/tensorflow/tensorflow/go/core/framework/types_go_proto"
	corepb "github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/gokeras/fashion/serving/apis"
)

// RegisterGRPC attaches TensorFlow Serving's PredictionService (Predict and
// GetModelMetadata; Classify, Regress and MultiInference answer
// Unimplemented) and ModelService (GetModelStatus) for s to g.
func (s *Server) RegisterGRPC(g grpc.ServiceRegistrar) {
	apis.RegisterPredictionServiceServer(g, &predictionService{s: s})
	apis.RegisterModelServiceServer(g, &modelService{s: s})
}

type predictionService struct {
	apis.UnimplementedPredictionServiceServer
	s *Server
}

type modelService struct {
	apis.UnimplementedModelServiceServer
	s *Server
}

// grpcError converts err to a gRPC status error with its canonical code.
func grpcError(err error) error {
	if err == nil {
		return nil
	}
	e := asError(err)
	return status.Error(codes.Code(e.Code), e.Msg)
}

// specFromProto reads a ModelSpec.
func specFromProto(p *apis.ModelSpec) (ModelSpec, error) {
	if p == nil {
		return ModelSpec{}, errorf(InvalidArgument, "Missing ModelSpec")
	}
	spec := ModelSpec{Name: p.GetName(), SignatureName: p.GetSignatureName(), VersionLabel: p.GetVersionLabel()}
	if v, ok := p.GetVersionChoice().(*apis.ModelSpec_Version); ok && v.Version != nil {
		spec.Version, spec.HasVersion = v.Version.GetValue(), true
	}
	return spec, nil
}

func specProto(spec ModelSpec, signature string) *apis.ModelSpec {
	return &apis.ModelSpec{
		Name:          spec.Name,
		SignatureName: signature,
		VersionChoice: &apis.ModelSpec_Version{Version: wrapperspb.Int64(spec.Version)},
	}
}

func (p *predictionService) Predict(ctx context.Context, req *apis.PredictRequest) (*apis.PredictResponse, error) {
	start := time.Now()
	resp, name, err := p.predict(ctx, req)
	p.s.opts.Metrics.Request(name, "Predict", "GRPC", CodeOf(err), time.Since(start))
	return resp, grpcError(err)
}

func (p *predictionService) predict(ctx context.Context, req *apis.PredictRequest) (*apis.PredictResponse, string, error) {
	spec, err := specFromProto(req.GetModelSpec())
	if err != nil {
		return nil, "", err
	}
	inputs := make(map[string]*Tensor, len(req.GetInputs()))
	for name, tp := range req.GetInputs() {
		t, err := tensorFromProto(tp, p.s.limits.MaxElements)
		if err != nil {
			return nil, spec.Name, err
		}
		inputs[name] = t
	}
	resp, err := p.s.Predict(ctx, &PredictRequest{Spec: spec, Inputs: inputs, OutputFilter: req.GetOutputFilter()})
	if err != nil {
		return nil, spec.Name, err
	}
	out := &apis.PredictResponse{
		ModelSpec: specProto(resp.Spec, resp.Spec.SignatureName),
		Outputs:   make(map[string]*tensorpb.TensorProto, len(resp.Outputs)),
	}
	for name, t := range resp.Outputs {
		out.Outputs[name] = tensorProto(t)
	}
	return out, spec.Name, nil
}

// signatureDefField is the one metadata field GetModelMetadata serves.
const signatureDefField = "signature_def"

func (p *predictionService) GetModelMetadata(ctx context.Context, req *apis.GetModelMetadataRequest) (*apis.GetModelMetadataResponse, error) {
	start := time.Now()
	resp, err := p.metadata(req)
	p.s.opts.Metrics.Request(req.GetModelSpec().GetName(), "GetModelMetadata", "GRPC", CodeOf(err), time.Since(start))
	return resp, grpcError(err)
}

func (p *predictionService) metadata(req *apis.GetModelMetadataRequest) (*apis.GetModelMetadataResponse, error) {
	if req.GetModelSpec() == nil {
		return nil, errorf(InvalidArgument, "Missing ModelSpec")
	}
	if len(req.GetMetadataField()) == 0 {
		return nil, errorf(InvalidArgument, "GetModelMetadataRequest must specify at least one metadata_field")
	}
	for _, f := range req.GetMetadataField() {
		if f != signatureDefField {
			return nil, errorf(InvalidArgument, "Metadata field %s is not supported", f)
		}
	}
	spec, err := specFromProto(req.GetModelSpec())
	if err != nil {
		return nil, err
	}
	md, err := p.s.Metadata(spec)
	if err != nil {
		return nil, err
	}
	defs := &apis.SignatureDefMap{SignatureDef: make(map[string]*corepb.SignatureDef, len(md.SignatureDefs))}
	for k, v := range md.SignatureDefs {
		defs.SignatureDef[k] = v
	}
	a, err := anypb.New(defs)
	if err != nil {
		return nil, errorf(Internal, "packing the signature defs: %v", err)
	}
	return &apis.GetModelMetadataResponse{
		ModelSpec: specProto(md.Spec, ""),
		Metadata:  map[string]*anypb.Any{signatureDefField: a},
	}, nil
}

func (m *modelService) GetModelStatus(ctx context.Context, req *apis.GetModelStatusRequest) (*apis.GetModelStatusResponse, error) {
	start := time.Now()
	resp, err := m.status(req)
	m.s.opts.Metrics.Request(req.GetModelSpec().GetName(), "GetModelStatus", "GRPC", CodeOf(err), time.Since(start))
	return resp, grpcError(err)
}

func (m *modelService) status(req *apis.GetModelStatusRequest) (*apis.GetModelStatusResponse, error) {
	spec, err := specFromProto(req.GetModelSpec())
	if err != nil {
		return nil, err
	}
	if spec.VersionLabel != "" {
		return nil, errorf(InvalidArgument, "Unrecognized servable version label: %s", spec.VersionLabel)
	}
	sts, err := m.s.Status(spec.Name, spec.Version, spec.HasVersion)
	if err != nil {
		return nil, err
	}
	resp := &apis.GetModelStatusResponse{}
	for _, st := range sts {
		resp.ModelVersionStatus = append(resp.ModelVersionStatus, &apis.ModelVersionStatus{
			Version: st.Version,
			State:   apis.ModelVersionStatus_State(st.State),
			Status:  &apis.StatusProto{ErrorCode: corepb.Code(st.Code), ErrorMessage: st.Message},
		})
	}
	return resp, nil
}

// tensorFromProto decodes a TensorProto as TensorFlow's Tensor::FromProto
// does: tensor_content if set, else the typed value field, the last value
// repeated to fill the shape (zeros if there is none).
func tensorFromProto(p *tensorpb.TensorProto, maxElements int64) (*Tensor, error) {
	dtype := tf.DataType(p.GetDtype())
	if !supported(dtype) {
		return nil, errorf(InvalidArgument, "tensor dtype %s is not supported", typespb.DataType(dtype))
	}
	shp := p.GetTensorShape()
	if shp.GetUnknownRank() {
		return nil, errorf(InvalidArgument, "Cannot parse tensor from proto: the shape has an unknown rank")
	}
	t := &Tensor{DType: dtype, Shape: make([]int64, len(shp.GetDim()))}
	n := int64(1)
	for i, d := range shp.GetDim() {
		if d.GetSize() < 0 {
			return nil, errorf(InvalidArgument, "Cannot parse tensor from proto: dimension %d is %d", i, d.GetSize())
		}
		t.Shape[i] = d.GetSize()
		if d.GetSize() > 0 && n > maxElements/d.GetSize() {
			return nil, errorf(InvalidArgument, "a tensor of shape %s is over this server's limit of %d elements", shapeString(t.Shape[:i+1]), maxElements)
		}
		n *= d.GetSize()
	}
	bad := func() error {
		return errorf(InvalidArgument, "Cannot parse tensor from proto: dtype: %s tensor_shape { %s }", typespb.DataType(dtype), shapeString(t.Shape))
	}
	if dtype == tf.String {
		vals := p.GetStringVal()
		if int64(len(vals)) > n || (len(vals) == 0 && n > 0 && len(p.GetTensorContent()) > 0) {
			return nil, bad()
		}
		t.Strings = make([]string, n)
		for i := range t.Strings {
			switch {
			case i < len(vals):
				t.Strings[i] = string(vals[i])
			case len(vals) > 0:
				t.Strings[i] = string(vals[len(vals)-1])
			}
		}
		return t, nil
	}
	size := int64(ElemSize(dtype))
	if c := p.GetTensorContent(); len(c) > 0 {
		if int64(len(c)) != n*size {
			return nil, bad()
		}
		t.Data = append([]byte(nil), c...)
		return t, nil
	}
	// Typed fields: count the values, then fill.
	var count int
	var at func(i int) []byte // little-endian bytes of value i
	switch dtype {
	case tf.Float:
		v := p.GetFloatVal()
		count, at = len(v), func(i int) []byte { return put32(nil, math.Float32bits(v[i])) }
	case tf.Double:
		v := p.GetDoubleVal()
		count, at = len(v), func(i int) []byte { return put64(nil, math.Float64bits(v[i])) }
	case tf.Int32, tf.Int16, tf.Int8, tf.Uint8, tf.Uint16:
		v := p.GetIntVal()
		count, at = len(v), func(i int) []byte { return put32(nil, uint32(v[i]))[:size] }
	case tf.Int64:
		v := p.GetInt64Val()
		count, at = len(v), func(i int) []byte { return put64(nil, uint64(v[i])) }
	case tf.Uint32:
		v := p.GetUint32Val()
		count, at = len(v), func(i int) []byte { return put32(nil, v[i]) }
	case tf.Uint64:
		v := p.GetUint64Val()
		count, at = len(v), func(i int) []byte { return put64(nil, v[i]) }
	case tf.Bool:
		v := p.GetBoolVal()
		count, at = len(v), func(i int) []byte {
			if v[i] {
				return []byte{1}
			}
			return []byte{0}
		}
	case tf.Half, tf.Bfloat16:
		v := p.GetHalfVal()
		count, at = len(v), func(i int) []byte { return put16(nil, uint16(v[i])) }
	case tf.Complex64:
		v := p.GetScomplexVal()
		count, at = len(v)/2, func(i int) []byte {
			return put32(put32(nil, math.Float32bits(v[2*i])), math.Float32bits(v[2*i+1]))
		}
	case tf.Complex128:
		v := p.GetDcomplexVal()
		count, at = len(v)/2, func(i int) []byte {
			return put64(put64(nil, math.Float64bits(v[2*i])), math.Float64bits(v[2*i+1]))
		}
	default:
		return nil, bad()
	}
	if int64(count) > n {
		return nil, bad()
	}
	t.Data = make([]byte, 0, n*size)
	for i := int64(0); i < n; i++ {
		switch {
		case i < int64(count):
			t.Data = append(t.Data, at(int(i))...)
		case count > 0:
			t.Data = append(t.Data, at(count-1)...)
		default:
			t.Data = append(t.Data, make([]byte, size)...)
		}
	}
	return t, nil
}

// tensorProto encodes t as TensorFlow Serving's Predict does by default
// (Tensor::AsProtoField): dtype, shape and the typed value field.
func tensorProto(t *Tensor) *tensorpb.TensorProto {
	p := &tensorpb.TensorProto{Dtype: typespb.DataType(t.DType), TensorShape: &shapepb.TensorShapeProto{}}
	for _, d := range t.Shape {
		p.TensorShape.Dim = append(p.TensorShape.Dim, &shapepb.TensorShapeProto_Dim{Size: d})
	}
	n := int(t.NumElements())
	d := t.Data
	switch t.DType {
	case tf.Float:
		p.FloatVal = make([]float32, n)
		for i := range p.FloatVal {
			p.FloatVal[i] = t.float32At(i)
		}
	case tf.Double:
		p.DoubleVal = make([]float64, n)
		for i := range p.DoubleVal {
			p.DoubleVal[i] = t.float64At(i)
		}
	case tf.Int32:
		p.IntVal = make([]int32, n)
		for i := range p.IntVal {
			p.IntVal[i] = int32(le32(d[4*i:]))
		}
	case tf.Int16:
		p.IntVal = make([]int32, n)
		for i := range p.IntVal {
			p.IntVal[i] = int32(int16(le16(d[2*i:])))
		}
	case tf.Uint16:
		p.IntVal = make([]int32, n)
		for i := range p.IntVal {
			p.IntVal[i] = int32(le16(d[2*i:]))
		}
	case tf.Int8:
		p.IntVal = make([]int32, n)
		for i := range p.IntVal {
			p.IntVal[i] = int32(int8(d[i]))
		}
	case tf.Uint8:
		p.IntVal = make([]int32, n)
		for i := range p.IntVal {
			p.IntVal[i] = int32(d[i])
		}
	case tf.Int64:
		p.Int64Val = make([]int64, n)
		for i := range p.Int64Val {
			p.Int64Val[i] = int64(le64(d[8*i:]))
		}
	case tf.Uint32:
		p.Uint32Val = make([]uint32, n)
		for i := range p.Uint32Val {
			p.Uint32Val[i] = le32(d[4*i:])
		}
	case tf.Uint64:
		p.Uint64Val = make([]uint64, n)
		for i := range p.Uint64Val {
			p.Uint64Val[i] = le64(d[8*i:])
		}
	case tf.Bool:
		p.BoolVal = make([]bool, n)
		for i := range p.BoolVal {
			p.BoolVal[i] = d[i] != 0
		}
	case tf.Half, tf.Bfloat16:
		p.HalfVal = make([]int32, n)
		for i := range p.HalfVal {
			p.HalfVal[i] = int32(le16(d[2*i:]))
		}
	case tf.String:
		p.StringVal = make([][]byte, n)
		for i, s := range t.Strings {
			p.StringVal[i] = []byte(s)
		}
	default: // complex: raw content
		p.TensorContent = append([]byte(nil), d...)
	}
	return p
}
