// Package apis is TensorFlow Serving's gRPC API in Go: the messages and
// services that TF Serving's own clients (tensorflow-serving-api in Python,
// any gRPC stub generated from TF Serving's .proto files) send and expect.
//
// It holds the code generated from TF Serving's .proto files for
//
//   - tensorflow.serving.PredictionService (prediction_service.proto): Predict,
//     GetModelMetadata, Classify, Regress and MultiInference, with their
//     request and response messages (predict.proto, get_model_metadata.proto,
//     classification.proto, regression.proto, inference.proto, input.proto);
//   - tensorflow.serving.ModelService (model_service.proto): GetModelStatus and
//     HandleReloadConfigRequest (get_model_status.proto, model_management.proto
//     and the config protos it imports: model_server_config.proto,
//     file_system_storage_path_source.proto, logging_config.proto,
//     log_collector_config.proto);
//   - ModelSpec (model.proto) and StatusProto (status.proto).
//
// All of them are in one Go package, as they are in one protobuf package,
// tensorflow.serving. PredictionServiceServer and ModelServiceServer are the
// interfaces a server implements; RegisterPredictionServiceServer and
// RegisterModelServiceServer attach them to a *grpc.Server.
//
// # Where the .proto files come from
//
// serving/apis/proto/tensorflow_serving/ holds TF Serving's files verbatim,
// at their original paths, with TF Serving's LICENSE (Apache 2.0): from
// https://github.com/tensorflow/serving at tag 2.20.0 (commit
// bc7e9d2b9a419294c4526e293c2df8727b0d3116); these files are identical on
// master as of commit 9d981c5c2708d23c5407c7c1e30309e6f9798874 (2026-07-30),
// the newest snapshot that could be read. No 2.21.0 tag was readable.
//
// The tests compare every message and service with the descriptors compiled
// into the Python tensorflow-serving-api 2.21.0 client (the one the tests and
// users talk to the server with): they are the same, field for field, except
// one addition in 2.21.0 that these files predate, PredictRequest.RequestOptions
// field 13 (handshake, a message holding an int64 estimated_payload_bytes),
// used only by disaggregated LLM serving. A request carrying it still parses
// here: Go keeps it as an unknown field.
//
// # TensorFlow's own messages
//
// The TensorFlow messages these files use (tensorflow.TensorProto,
// tensorflow.SignatureDef, tensorflow.error.Code) are not generated again:
// the fields are typed with the Go packages of
// github.com/galeone/tensorflow/tensorflow/go, which the rest of this module
// already uses (core/framework/tensor_go_proto for TensorProto,
// core/protobuf/for_core_protos_go_proto for SignatureDef and Code), so a
// TensorProto from package savedmodel goes into a PredictResponse as it is, and
// the protobuf registry holds each TensorFlow file once.
//
// The one exception is tensorflow.Example (input.proto's ExampleList, used by
// Classify and Regress): galeone's module has no Go code for
// tensorflow/core/example/example.proto and feature.proto, so it is generated
// into the subpackage example, from TensorFlow 2.21's own compiled
// descriptors (the tensorflow-cpu 2.21.0 Python package in .venv). Should a
// future galeone version register those files too, the registry would see
// them twice; the tests here import both and would fail first.
//
// # Regenerating
//
// The generated *.pb.go files are committed; building needs no protoc. After
// changing a .proto file or a pinned tool version, run
//
//	scripts/gen-serving-protos.sh
//
// which needs protoc 3.21.12 (Debian 12: apt-get install protobuf-compiler),
// installs protoc-gen-go v1.36.12 and protoc-gen-go-grpc v1.6.2 with go
// install, and reads TensorFlow's descriptors from .venv
// (scripts/libtensorflow-install.sh). scripts/gen-serving-protos.sh --check
// regenerates into a temporary directory and fails if the tree differs.
package apis
