package serving

import (
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	tensorpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/tensor_go_proto"
	shapepb "github.com/galeone/tensorflow/tensorflow/go/core/framework/tensor_shape_go_proto"
	typespb "github.com/galeone/tensorflow/tensorflow/go/core/framework/types_go_proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/gokeras/fashion/internal/npy"
	"github.com/gokeras/fashion/serving/apis"
)

// startGRPC serves s over gRPC on a loopback port and returns clients.
func startGRPC(t *testing.T, s *Server) (apis.PredictionServiceClient, apis.ModelServiceClient) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	g := grpc.NewServer()
	s.RegisterGRPC(g)
	go g.Serve(lis)
	t.Cleanup(g.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	return apis.NewPredictionServiceClient(conn), apis.NewModelServiceClient(conn)
}

func shapeProto(dims ...int64) *shapepb.TensorShapeProto {
	p := &shapepb.TensorShapeProto{}
	for _, d := range dims {
		p.Dim = append(p.Dim, &shapepb.TensorShapeProto_Dim{Size: d})
	}
	return p
}

func TestGRPC(t *testing.T) {
	ctx := waitCtx(t)
	dir := fashionModel(t, 1)
	s, _ := startServer(t, baseWith(t, map[int64]string{1: dir}), nil)
	pc, mc := startGRPC(t, s)
	images := testImages(t, 2)
	want := directPredict(t, dir, images, 2)
	var content []byte
	for _, f := range images {
		content = put32(content, math.Float32bits(f))
	}
	spec := &apis.ModelSpec{Name: "fashion"}

	for name, in := range map[string]*tensorpb.TensorProto{
		"float_val":      {Dtype: typespb.DataType_DT_FLOAT, TensorShape: shapeProto(2, 28, 28), FloatVal: images},
		"tensor_content": {Dtype: typespb.DataType_DT_FLOAT, TensorShape: shapeProto(2, 28, 28), TensorContent: content},
	} {
		t.Run(name, func(t *testing.T) {
			resp, err := pc.Predict(ctx, &apis.PredictRequest{ModelSpec: spec, Inputs: map[string]*tensorpb.TensorProto{"images": in}})
			require.NoError(t, err)
			assert.Equal(t, "fashion", resp.GetModelSpec().GetName())
			assert.Equal(t, int64(1), resp.GetModelSpec().GetVersion().GetValue())
			assert.Equal(t, "serving_default", resp.GetModelSpec().GetSignatureName())
			out := resp.GetOutputs()["probabilities"]
			require.NotNil(t, out)
			assert.Equal(t, typespb.DataType_DT_FLOAT, out.GetDtype())
			assert.Equal(t, shapeProto(2, 10).String(), out.GetTensorShape().String())
			assert.Equal(t, append(append([]float32{}, want[0]...), want[1]...), out.GetFloatVal())
		})
	}

	md, err := pc.GetModelMetadata(ctx, &apis.GetModelMetadataRequest{ModelSpec: spec, MetadataField: []string{"signature_def"}})
	require.NoError(t, err)
	assert.Equal(t, int64(1), md.GetModelSpec().GetVersion().GetValue())
	var defs apis.SignatureDefMap
	require.NoError(t, md.GetMetadata()["signature_def"].UnmarshalTo(&defs))
	assert.Contains(t, defs.GetSignatureDef(), "serving_default")
	assert.Contains(t, defs.GetSignatureDef(), "serving_uint8")

	st, err := mc.GetModelStatus(ctx, &apis.GetModelStatusRequest{ModelSpec: spec})
	require.NoError(t, err)
	require.Len(t, st.GetModelVersionStatus(), 1)
	assert.Equal(t, apis.ModelVersionStatus_AVAILABLE, st.GetModelVersionStatus()[0].GetState())

	for _, tc := range []struct {
		name string
		call func() error
		code codes.Code
		msg  string
	}{
		{"unknown model", func() error {
			_, err := pc.Predict(ctx, &apis.PredictRequest{ModelSpec: &apis.ModelSpec{Name: "nope"}})
			return err
		}, codes.NotFound, "Servable not found for request: Latest(nope)"},
		{"unknown version", func() error {
			_, err := pc.Predict(ctx, &apis.PredictRequest{ModelSpec: &apis.ModelSpec{Name: "fashion", VersionChoice: &apis.ModelSpec_Version{Version: wrapperspb.Int64(9)}}})
			return err
		}, codes.NotFound, "Servable not found for request: Specific(fashion, 9)"},
		{"no model spec", func() error {
			_, err := pc.Predict(ctx, &apis.PredictRequest{})
			return err
		}, codes.InvalidArgument, "Missing ModelSpec"},
		{"unknown signature", func() error {
			_, err := pc.Predict(ctx, &apis.PredictRequest{ModelSpec: &apis.ModelSpec{Name: "fashion", SignatureName: "nope"}})
			return err
		}, codes.FailedPrecondition, `Serving signature key "nope" not found.`},
		{"missing input", func() error {
			_, err := pc.Predict(ctx, &apis.PredictRequest{ModelSpec: spec, Inputs: map[string]*tensorpb.TensorProto{"pixels": {Dtype: typespb.DataType_DT_FLOAT}}})
			return err
		}, codes.InvalidArgument, "input size does not match signature: 1!=1 len({pixels}) != len({images}). Sent extra: {pixels}. Missing but required: {images}."},
		{"wrong dtype", func() error {
			_, err := pc.Predict(ctx, &apis.PredictRequest{ModelSpec: spec, Inputs: map[string]*tensorpb.TensorProto{"images": {Dtype: typespb.DataType_DT_DOUBLE, TensorShape: shapeProto(1, 28, 28)}}})
			return err
		}, codes.InvalidArgument, "Expects arg[0] to be float but double is provided"},
		{"wrong shape", func() error {
			_, err := pc.Predict(ctx, &apis.PredictRequest{ModelSpec: spec, Inputs: map[string]*tensorpb.TensorProto{"images": {Dtype: typespb.DataType_DT_FLOAT, TensorShape: shapeProto(1, 784)}}})
			return err
		}, codes.InvalidArgument, "input images has shape [1,784], but the signature declares [-1,28,28]"},
		{"content of the wrong size", func() error {
			_, err := pc.Predict(ctx, &apis.PredictRequest{ModelSpec: spec, Inputs: map[string]*tensorpb.TensorProto{"images": {Dtype: typespb.DataType_DT_FLOAT, TensorShape: shapeProto(1, 28, 28), TensorContent: []byte{1, 2, 3}}}})
			return err
		}, codes.InvalidArgument, "Cannot parse tensor from proto: dtype: DT_FLOAT tensor_shape { [1,28,28] }"},
		{"huge shape", func() error {
			_, err := pc.Predict(ctx, &apis.PredictRequest{ModelSpec: spec, Inputs: map[string]*tensorpb.TensorProto{"images": {Dtype: typespb.DataType_DT_FLOAT, TensorShape: shapeProto(1<<40, 28, 28)}}})
			return err
		}, codes.InvalidArgument, "a tensor of shape [1099511627776] is over this server's limit of 16777216 elements"},
		{"bad output filter", func() error {
			_, err := pc.Predict(ctx, &apis.PredictRequest{ModelSpec: spec, OutputFilter: []string{"logits"}, Inputs: map[string]*tensorpb.TensorProto{"images": {Dtype: typespb.DataType_DT_FLOAT, TensorShape: shapeProto(1, 28, 28)}}})
			return err
		}, codes.InvalidArgument, "output tensor alias not found in signature: logits Outputs expected to be in the set {probabilities}."},
		{"metadata without a field", func() error {
			_, err := pc.GetModelMetadata(ctx, &apis.GetModelMetadataRequest{ModelSpec: spec})
			return err
		}, codes.InvalidArgument, "GetModelMetadataRequest must specify at least one metadata_field"},
		{"status of an unknown version", func() error {
			_, err := mc.GetModelStatus(ctx, &apis.GetModelStatusRequest{ModelSpec: &apis.ModelSpec{Name: "fashion", VersionChoice: &apis.ModelSpec_Version{Version: wrapperspb.Int64(4)}}})
			return err
		}, codes.NotFound, "Could not find version 4 of model fashion"},
		{"classify", func() error {
			_, err := pc.Classify(ctx, &apis.ClassificationRequest{})
			return err
		}, codes.Unimplemented, "…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			st, ok := status.FromError(err)
			require.True(t, ok, "%v", err)
			assert.Equal(t, tc.code, st.Code(), st.Message())
			assertMessage(t, tc.msg, st.Message())
		})
	}
	// A zero-filled tensor from an empty value list, as TensorFlow reads it.
	resp, err := pc.Predict(ctx, &apis.PredictRequest{ModelSpec: spec, Inputs: map[string]*tensorpb.TensorProto{"images": {Dtype: typespb.DataType_DT_FLOAT, TensorShape: shapeProto(1, 28, 28)}}})
	require.NoError(t, err)
	assert.Len(t, resp.GetOutputs()["probabilities"].GetFloatVal(), 10)
}

// TestKerasExportOverRESTAndCurl serves Keras 3's model.export and asks
// it with curl, as the README does; the answers are Keras's own.
func TestKerasExportOverRESTAndCurl(t *testing.T) {
	dir, err := kerasModel()
	require.NoError(t, err, "needs the .venv: run scripts/libtensorflow-install.sh")
	want, shape, err := npy.ReadFile[float32](filepath.Join(testRoot, "keras-probs.npy"))
	require.NoError(t, err)
	require.Equal(t, []int{kerasImages, 10}, shape)
	_, hs := startServer(t, baseWith(t, map[int64]string{1: dir}), nil)

	body := filepath.Join(t.TempDir(), "body.json")
	require.NoError(t, os.WriteFile(body, []byte(`{"instances": `+imagesJSON(testImages(t, kerasImages), kerasImages)+`}`), 0o644))
	curl, err := exec.LookPath("curl")
	require.NoError(t, err, "curl is needed")
	out, err := exec.Command(curl, "-sS", "-X", "POST", "-H", "Content-Type: application/json", "--data-binary", "@"+body,
		hs.URL+"/v1/models/fashion:predict").Output()
	require.NoError(t, err)
	var resp struct{ Predictions [][]float32 }
	require.NoError(t, jsonUnmarshal(out, &resp), "%s", out)
	require.Len(t, resp.Predictions, kerasImages)
	for i, row := range resp.Predictions {
		for j, p := range row {
			assert.InDelta(t, want[i*10+j], p, 1e-6)
		}
	}
	out, err = exec.Command(curl, "-sS", hs.URL+"/v1/models/fashion/metadata").Output()
	require.NoError(t, err)
	assert.True(t, strings.Contains(string(out), `"serving_default"`), "%s", out)
}
