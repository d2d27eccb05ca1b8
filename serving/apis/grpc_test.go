package apis_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"net"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	tensorpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/tensor_go_proto"
	typespb "github.com/galeone/tensorflow/tensorflow/go/core/framework/types_go_proto"
	corepb "github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"

	"github.com/gokeras/fashion/serving/apis"
)

// fakePrediction doubles the float input keras_tensor into output_0. Classify,
// Regress and MultiInference are left unimplemented.
type fakePrediction struct {
	apis.UnimplementedPredictionServiceServer
}

func (fakePrediction) Predict(_ context.Context, req *apis.PredictRequest) (*apis.PredictResponse, error) {
	in, ok := req.GetInputs()["keras_tensor"]
	if !ok || in.GetDtype() != typespb.DataType_DT_FLOAT {
		return nil, status.Error(codes.InvalidArgument, "want a float input keras_tensor")
	}
	vals := in.GetFloatVal()
	if c := in.GetTensorContent(); len(c) > 0 {
		vals = make([]float32, len(c)/4)
		for i := range vals {
			vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(c[4*i:]))
		}
	}
	out := make([]float32, len(vals))
	for i, v := range vals {
		out[i] = 2 * v
	}
	return &apis.PredictResponse{
		ModelSpec: req.GetModelSpec(),
		Outputs: map[string]*tensorpb.TensorProto{"output_0": {
			Dtype: typespb.DataType_DT_FLOAT, TensorShape: proto.CloneOf(in.GetTensorShape()), FloatVal: out,
		}},
	}, nil
}

func (fakePrediction) GetModelMetadata(_ context.Context, req *apis.GetModelMetadataRequest) (*apis.GetModelMetadataResponse, error) {
	sigs, err := anypb.New(signatureDefMap())
	if err != nil {
		return nil, err
	}
	return &apis.GetModelMetadataResponse{ModelSpec: req.GetModelSpec(), Metadata: map[string]*anypb.Any{"signature_def": sigs}}, nil
}

type fakeModels struct {
	apis.UnimplementedModelServiceServer
}

func (fakeModels) GetModelStatus(_ context.Context, req *apis.GetModelStatusRequest) (*apis.GetModelStatusResponse, error) {
	return &apis.GetModelStatusResponse{ModelVersionStatus: []*apis.ModelVersionStatus{{
		Version: req.GetModelSpec().GetVersion().GetValue(),
		State:   apis.ModelVersionStatus_AVAILABLE,
		Status:  &apis.StatusProto{ErrorCode: corepb.Code_OK},
	}}}, nil
}

// TestPythonClientCallsGoServer serves the generated services from Go and
// calls them with TF Serving's own Python client (tensorflow-serving-api's
// stubs over grpcio, tensors from tf.make_tensor_proto).
func TestPythonClientCallsGoServer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Python TensorFlow Serving's client; skipped with -short")
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer()
	apis.RegisterPredictionServiceServer(srv, fakePrediction{})
	apis.RegisterModelServiceServer(srv, fakeModels{})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	t.Cleanup(func() {
		srv.Stop()
		if err := <-served; err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			t.Errorf("Serve: %v", err)
		}
	})

	out := runPython(t, filepath.Join("testdata", "grpc_client.py"), lis.Addr().String())
	var got struct {
		Predict struct {
			ModelSpec []any `json:"model_spec"`
			Outputs   map[string]struct {
				Shape  []int     `json:"shape"`
				Values []float64 `json:"values"`
			} `json:"outputs"`
		} `json:"predict"`
		Metadata map[string]struct {
			Method  string   `json:"method"`
			Inputs  []string `json:"inputs"`
			Outputs []string `json:"outputs"`
		} `json:"metadata"`
		Classify string  `json:"classify"`
		Status   [][]any `json:"status"`
	}
	require.NoError(t, json.Unmarshal(out, &got), "%s", out)

	assert.Equal(t, []any{"fashion", 3.0, "serving_default"}, got.Predict.ModelSpec)
	require.Contains(t, got.Predict.Outputs, "output_0")
	assert.Equal(t, []int{1, 2, 3}, got.Predict.Outputs["output_0"].Shape)
	assert.Equal(t, []float64{0, 0.5, 1, 1.5, 2, 2.5}, got.Predict.Outputs["output_0"].Values)

	require.Contains(t, got.Metadata, "serving_default")
	assert.Equal(t, "tensorflow/serving/predict", got.Metadata["serving_default"].Method)
	assert.Equal(t, []string{"keras_tensor"}, got.Metadata["serving_default"].Inputs)
	assert.Equal(t, []string{"output_0"}, got.Metadata["serving_default"].Outputs)

	assert.Equal(t, "UNIMPLEMENTED", got.Classify)
	assert.Equal(t, [][]any{{3.0, "AVAILABLE", 0.0, ""}}, got.Status)
}
