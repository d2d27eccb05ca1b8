package apis_test

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	tensorpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/tensor_go_proto"
	shapepb "github.com/galeone/tensorflow/tensorflow/go/core/framework/tensor_shape_go_proto"
	typespb "github.com/galeone/tensorflow/tensorflow/go/core/framework/types_go_proto"
	corepb "github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"

	"github.com/gokeras/fashion/internal/pyenv"
	"github.com/gokeras/fashion/serving/apis"
	"github.com/gokeras/fashion/serving/apis/example"
)

// The messages below are the ones testdata/cases.py builds with TF Serving's
// Python client, function for function.

func shape(dims ...int64) *shapepb.TensorShapeProto {
	s := &shapepb.TensorShapeProto{}
	for _, d := range dims {
		s.Dim = append(s.Dim, &shapepb.TensorShapeProto_Dim{Size: d})
	}
	return s
}

func specVersion(v int64) *apis.ModelSpec {
	return &apis.ModelSpec{
		Name:          "fashion",
		VersionChoice: &apis.ModelSpec_Version{Version: wrapperspb.Int64(v)},
		SignatureName: "serving_default",
	}
}

func float32LE(vs ...float32) []byte {
	b := make([]byte, 0, 4*len(vs))
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

func predictRequest() *apis.PredictRequest {
	return &apis.PredictRequest{
		ModelSpec: specVersion(7),
		Inputs: map[string]*tensorpb.TensorProto{
			"keras_tensor": {
				Dtype:       typespb.DataType_DT_FLOAT,
				TensorShape: shape(1, 2, 3),
				FloatVal:    []float32{0, 0.5, 1, -2.25, 0.1, 255},
			},
			"raw": {
				Dtype:         typespb.DataType_DT_FLOAT,
				TensorShape:   shape(2),
				TensorContent: float32LE(1.5, -1),
			},
		},
		OutputFilter: []string{"output_0", "probs"},
	}
}

func predictResponse() *apis.PredictResponse {
	return &apis.PredictResponse{
		ModelSpec: specVersion(7),
		Outputs: map[string]*tensorpb.TensorProto{
			"output_0": {
				Dtype:       typespb.DataType_DT_FLOAT,
				TensorShape: shape(1, 10),
				FloatVal:    []float32{0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625, 0.0078125, 0.00390625, 0, 0},
			},
		},
	}
}

func getModelMetadataRequest() *apis.GetModelMetadataRequest {
	return &apis.GetModelMetadataRequest{
		ModelSpec:     &apis.ModelSpec{Name: "fashion", VersionChoice: &apis.ModelSpec_VersionLabel{VersionLabel: "stable"}},
		MetadataField: []string{"signature_def"},
	}
}

func signatureDefMap() *apis.SignatureDefMap {
	return &apis.SignatureDefMap{SignatureDef: map[string]*corepb.SignatureDef{
		"serving_default": {
			Inputs: map[string]*corepb.TensorInfo{"keras_tensor": {
				Encoding:    &corepb.TensorInfo_Name{Name: "serving_default_keras_tensor:0"},
				Dtype:       typespb.DataType_DT_FLOAT,
				TensorShape: shape(-1, 28, 28),
			}},
			Outputs: map[string]*corepb.TensorInfo{"output_0": {
				Encoding:    &corepb.TensorInfo_Name{Name: "StatefulPartitionedCall:0"},
				Dtype:       typespb.DataType_DT_FLOAT,
				TensorShape: shape(-1, 10),
			}},
			MethodName: "tensorflow/serving/predict",
		},
	}}
}

func getModelMetadataResponse(t *testing.T) *apis.GetModelMetadataResponse {
	sigs, err := anypb.New(signatureDefMap())
	require.NoError(t, err)
	return &apis.GetModelMetadataResponse{
		ModelSpec: &apis.ModelSpec{Name: "fashion", VersionChoice: &apis.ModelSpec_Version{Version: wrapperspb.Int64(7)}},
		Metadata:  map[string]*anypb.Any{"signature_def": sigs},
	}
}

func getModelStatusRequest() *apis.GetModelStatusRequest {
	return &apis.GetModelStatusRequest{
		ModelSpec: &apis.ModelSpec{Name: "fashion", VersionChoice: &apis.ModelSpec_Version{Version: wrapperspb.Int64(7)}},
	}
}

func getModelStatusResponse() *apis.GetModelStatusResponse {
	return &apis.GetModelStatusResponse{ModelVersionStatus: []*apis.ModelVersionStatus{
		{Version: 7, State: apis.ModelVersionStatus_AVAILABLE, Status: &apis.StatusProto{ErrorCode: corepb.Code_OK}},
		{Version: 6, State: apis.ModelVersionStatus_END, Status: &apis.StatusProto{ErrorCode: corepb.Code_NOT_FOUND, ErrorMessage: "gone"}},
	}}
}

func classificationRequest() *apis.ClassificationRequest {
	ex := &example.Example{Features: &example.Features{Feature: map[string]*example.Feature{
		"x":    {Kind: &example.Feature_FloatList{FloatList: &example.FloatList{Value: []float32{1, 2}}}},
		"id":   {Kind: &example.Feature_Int64List{Int64List: &example.Int64List{Value: []int64{3}}}},
		"name": {Kind: &example.Feature_BytesList{BytesList: &example.BytesList{Value: [][]byte{[]byte("shirt")}}}},
	}}}
	return &apis.ClassificationRequest{
		ModelSpec: &apis.ModelSpec{Name: "fashion", SignatureName: "classify"},
		Input:     &apis.Input{Kind: &apis.Input_ExampleList{ExampleList: &apis.ExampleList{Examples: []*example.Example{ex}}}},
	}
}

func cases(t *testing.T) map[string]proto.Message {
	return map[string]proto.Message{
		"predict_request":             predictRequest(),
		"predict_response":            predictResponse(),
		"get_model_metadata_request":  getModelMetadataRequest(),
		"get_model_metadata_response": getModelMetadataResponse(t),
		"get_model_status_request":    getModelStatusRequest(),
		"get_model_status_response":   getModelStatusResponse(),
		"classification_request":      classificationRequest(),
	}
}

func runPython(t *testing.T, args ...string) []byte {
	t.Helper()
	if testing.Short() {
		t.Skip("runs Python TensorFlow Serving's client; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := pyenv.Run(ctx, args...)
	require.NoError(t, err)
	return out
}

// TestRoundTripWithPython sends every case, encoded by Go, to TF Serving's
// Python classes, which must parse it as the same message they build (and
// encode it to the same bytes), and parses Python's encodings in Go.
func TestRoundTripWithPython(t *testing.T) {
	want := cases(t)
	goEncoded := map[string]string{}
	for name, m := range want {
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
		require.NoError(t, err, name)
		goEncoded[name] = base64.StdEncoding.EncodeToString(b)
	}
	in := filepath.Join(t.TempDir(), "go.json")
	j, err := json.Marshal(goEncoded)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(in, j, 0o644))

	var res struct {
		Python map[string]string `json:"python"`
		Errors []string          `json:"errors"`
	}
	require.NoError(t, json.Unmarshal(runPython(t, filepath.Join("testdata", "roundtrip.py"), in), &res))

	// Go → Python. Equal messages, not equal bytes: Go writes a oneof field
	// after the others (ModelSpec.version after signature_name), Python in
	// field-number order, and both are valid encodings of the same message.
	assert.Empty(t, res.Errors, "Python parsed Go's encodings differently")

	// Python → Go.
	require.Len(t, res.Python, len(want))
	for name, w := range want {
		b, err := base64.StdEncoding.DecodeString(res.Python[name])
		require.NoError(t, err, name)
		got := w.ProtoReflect().Type().New().Interface()
		require.NoError(t, proto.Unmarshal(b, got), name)
		// protocmp compares unknown fields too (a field Python wrote under a
		// number Go does not know), and an Any by what it holds.
		assert.Empty(t, cmp.Diff(w, got, protocmp.Transform()), "%s: Python's encoding parses differently in Go", name)
	}

	// The PredictRequest, field by field.
	b, err := base64.StdEncoding.DecodeString(res.Python["predict_request"])
	require.NoError(t, err)
	var req apis.PredictRequest
	require.NoError(t, proto.Unmarshal(b, &req))
	assert.Empty(t, req.ProtoReflect().GetUnknown())
	assert.Equal(t, "fashion", req.GetModelSpec().GetName())
	assert.Equal(t, int64(7), req.GetModelSpec().GetVersion().GetValue())
	assert.Equal(t, "serving_default", req.GetModelSpec().GetSignatureName())
	assert.Equal(t, []string{"output_0", "probs"}, req.GetOutputFilter())
	keys := make([]string, 0, len(req.GetInputs()))
	for k := range req.GetInputs() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	assert.Equal(t, []string{"keras_tensor", "raw"}, keys)
	x := req.GetInputs()["keras_tensor"]
	assert.Equal(t, typespb.DataType_DT_FLOAT, x.GetDtype())
	require.Len(t, x.GetTensorShape().GetDim(), 3)
	for i, d := range []int64{1, 2, 3} {
		assert.Equal(t, d, x.GetTensorShape().GetDim()[i].GetSize())
	}
	assert.Equal(t, []float32{0, 0.5, 1, -2.25, 0.1, 255}, x.GetFloatVal())
	assert.Empty(t, x.GetTensorContent())
	raw := req.GetInputs()["raw"]
	assert.Equal(t, typespb.DataType_DT_FLOAT, raw.GetDtype())
	assert.Equal(t, float32LE(1.5, -1), raw.GetTensorContent())
	assert.Empty(t, raw.GetFloatVal())

	// The Any in GetModelMetadataResponse unpacks to the SignatureDefMap.
	b, err = base64.StdEncoding.DecodeString(res.Python["get_model_metadata_response"])
	require.NoError(t, err)
	var meta apis.GetModelMetadataResponse
	require.NoError(t, proto.Unmarshal(b, &meta))
	assert.Equal(t, "type.googleapis.com/tensorflow.serving.SignatureDefMap", meta.GetMetadata()["signature_def"].GetTypeUrl())
	var sigs apis.SignatureDefMap
	require.NoError(t, meta.GetMetadata()["signature_def"].UnmarshalTo(&sigs))
	assert.True(t, proto.Equal(signatureDefMap(), &sigs))
}
