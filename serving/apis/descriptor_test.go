package apis_test

import (
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	tf "github.com/galeone/tensorflow/tensorflow/go"
	tensorpb "github.com/galeone/tensorflow/tensorflow/go/core/framework/tensor_go_proto"
	corepb "github.com/galeone/tensorflow/tensorflow/go/core/protobuf/for_core_protos_go_proto"

	_ "github.com/gokeras/fashion/savedmodel" // linked in, with all it imports
	"github.com/gokeras/fashion/serving/apis"
	"github.com/gokeras/fashion/serving/apis/example"
)

// vendoredProtos lists the .proto files under proto/, by their import path.
func vendoredProtos(t *testing.T) []string {
	var paths []string
	require.NoError(t, filepath.WalkDir("proto", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".proto") {
			paths = append(paths, filepath.ToSlash(strings.TrimPrefix(p, "proto"+string(filepath.Separator))))
		}
		return err
	}))
	sort.Strings(paths)
	require.NotEmpty(t, paths)
	return paths
}

// TestRegistry runs in a binary that links this package with galeone's
// TensorFlow bindings and this module's savedmodel package: the protobuf
// registry would have panicked at start-up on a file or name registered twice.
// TF Serving's messages must refer to galeone's TensorFlow messages, not to
// copies of their own.
func TestRegistry(t *testing.T) {
	assert.NotEmpty(t, tf.Version())

	for _, p := range append(vendoredProtos(t), "tensorflow/core/example/example.proto", "tensorflow/core/example/feature.proto") {
		_, err := protoregistry.GlobalFiles.FindFileByPath(p)
		assert.NoError(t, err, p)
	}

	inputs := (&apis.PredictRequest{}).ProtoReflect().Descriptor().Fields().ByName("inputs").MapValue().Message()
	assert.Same(t, (&tensorpb.TensorProto{}).ProtoReflect().Descriptor(), inputs)
	sig := (&apis.SignatureDefMap{}).ProtoReflect().Descriptor().Fields().ByName("signature_def").MapValue().Message()
	assert.Same(t, (&corepb.SignatureDef{}).ProtoReflect().Descriptor(), sig)
	code := (&apis.StatusProto{}).ProtoReflect().Descriptor().Fields().ByName("error_code").Enum()
	assert.Same(t, corepb.Code_OK.Descriptor(), code)
	examples := (&apis.ExampleList{}).ProtoReflect().Descriptor().Fields().ByName("examples").Message()
	assert.Same(t, (&example.Example{}).ProtoReflect().Descriptor(), examples)
}

// TestServiceMethods checks the gRPC method names TF Serving's clients call.
func TestServiceMethods(t *testing.T) {
	assert.Equal(t, "/tensorflow.serving.PredictionService/Predict", apis.PredictionService_Predict_FullMethodName)
	assert.Equal(t, "/tensorflow.serving.PredictionService/GetModelMetadata", apis.PredictionService_GetModelMetadata_FullMethodName)
	assert.Equal(t, "/tensorflow.serving.PredictionService/Classify", apis.PredictionService_Classify_FullMethodName)
	assert.Equal(t, "/tensorflow.serving.PredictionService/Regress", apis.PredictionService_Regress_FullMethodName)
	assert.Equal(t, "/tensorflow.serving.PredictionService/MultiInference", apis.PredictionService_MultiInference_FullMethodName)
	assert.Equal(t, "/tensorflow.serving.ModelService/GetModelStatus", apis.ModelService_GetModelStatus_FullMethodName)
	assert.Equal(t, "/tensorflow.serving.ModelService/HandleReloadConfigRequest", apis.ModelService_HandleReloadConfigRequest_FullMethodName)

	assert.ElementsMatch(t, []string{
		"/tensorflow.serving.PredictionService/Classify", "/tensorflow.serving.PredictionService/Regress",
		"/tensorflow.serving.PredictionService/Predict", "/tensorflow.serving.PredictionService/MultiInference",
		"/tensorflow.serving.PredictionService/GetModelMetadata",
	}, methodNames(apis.PredictionService_ServiceDesc))
	assert.ElementsMatch(t, []string{
		"/tensorflow.serving.ModelService/GetModelStatus", "/tensorflow.serving.ModelService/HandleReloadConfigRequest",
	}, methodNames(apis.ModelService_ServiceDesc))

	// The descriptors agree with the gRPC code.
	for _, sd := range []grpc.ServiceDesc{apis.PredictionService_ServiceDesc, apis.ModelService_ServiceDesc} {
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(sd.ServiceName))
		require.NoError(t, err)
		svc := d.(protoreflect.ServiceDescriptor)
		var names []string
		for i := 0; i < svc.Methods().Len(); i++ {
			names = append(names, "/"+sd.ServiceName+"/"+string(svc.Methods().Get(i).Name()))
		}
		assert.ElementsMatch(t, names, methodNames(sd))
	}
}

func methodNames(sd grpc.ServiceDesc) []string {
	var names []string
	for _, m := range sd.Methods {
		names = append(names, "/"+sd.ServiceName+"/"+m.MethodName)
	}
	for _, s := range sd.Streams {
		names = append(names, "/"+sd.ServiceName+"/"+s.StreamName)
	}
	return names
}

// TestDescriptorsMatchPythonClient compares every vendored file, as compiled
// into this package, with the same file compiled into the Python
// tensorflow-serving-api 2.21.0 client (and the example protos with
// TensorFlow 2.21's): messages, field numbers and types, enums, services and
// options must be the same. The one difference allowed is named below.
func TestDescriptorsMatchPythonClient(t *testing.T) {
	paths := append(vendoredProtos(t), "tensorflow/core/example/example.proto", "tensorflow/core/example/feature.proto")
	out := runPython(t, append([]string{filepath.Join("testdata", "descriptors.py")}, paths...)...)
	var py map[string]string
	require.NoError(t, json.Unmarshal(out, &py))

	for _, p := range paths {
		b, err := base64.StdEncoding.DecodeString(py[p])
		require.NoError(t, err, p)
		want := &descriptorpb.FileDescriptorProto{}
		require.NoError(t, proto.Unmarshal(b, want), p)

		fd, err := protoregistry.GlobalFiles.FindFileByPath(p)
		require.NoError(t, err, p)
		got := protodesc.ToFileDescriptorProto(fd)
		got.SourceCodeInfo = nil
		// json_name is derived from the field name unless set; Python's copy
		// carries only explicit ones, Go's all of them.
		clearJSONNames(got.MessageType)
		clearJSONNames(want.MessageType)

		if p == "tensorflow_serving/apis/predict.proto" {
			dropHandshake(t, want)
		}
		assert.True(t, proto.Equal(want, got), "%s differs from the Python client's:\nPython: %v\nGo:     %v", p, want, got)
	}
}

func clearJSONNames(ms []*descriptorpb.DescriptorProto) {
	for _, m := range ms {
		for _, f := range m.Field {
			f.JsonName = nil
		}
		clearJSONNames(m.NestedType)
	}
}

// dropHandshake removes from tensorflow-serving-api 2.21.0's predict.proto the
// one thing the vendored predict.proto (TF Serving 2.20.0, the newest source
// that could be read) lacks: PredictRequest.RequestOptions.handshake = 13, a
// proto3 optional Handshake message used only by disaggregated LLM serving. It
// fails if that field is no longer there or has changed, so that this
// exception is revisited with newer sources.
func dropHandshake(t *testing.T, fd *descriptorpb.FileDescriptorProto) {
	t.Helper()
	var opts *descriptorpb.DescriptorProto
	for _, m := range fd.MessageType {
		if m.GetName() == "PredictRequest" {
			for _, n := range m.NestedType {
				if n.GetName() == "RequestOptions" {
					opts = n
				}
			}
		}
	}
	require.NotNil(t, opts, "no PredictRequest.RequestOptions")
	i := slices.IndexFunc(opts.Field, func(f *descriptorpb.FieldDescriptorProto) bool { return f.GetName() == "handshake" })
	require.GreaterOrEqual(t, i, 0, "PredictRequest.RequestOptions.handshake is gone: vendor the newer predict.proto")
	f := opts.Field[i]
	require.Equal(t, int32(13), f.GetNumber())
	require.Equal(t, ".tensorflow.serving.PredictRequest.RequestOptions.Handshake", f.GetTypeName())
	require.True(t, f.GetProto3Optional())
	oneof := f.GetOneofIndex()
	require.Equal(t, int(oneof), len(opts.OneofDecl)-1, "handshake's synthetic oneof is not the last")
	opts.Field = slices.Delete(opts.Field, i, i+1)
	opts.OneofDecl = opts.OneofDecl[:oneof]
	j := slices.IndexFunc(opts.NestedType, func(m *descriptorpb.DescriptorProto) bool { return m.GetName() == "Handshake" })
	require.GreaterOrEqual(t, j, 0)
	require.Len(t, opts.NestedType[j].Field, 1)
	require.Equal(t, "estimated_payload_bytes", opts.NestedType[j].Field[0].GetName())
	opts.NestedType = slices.Delete(opts.NestedType, j, j+1)
}
