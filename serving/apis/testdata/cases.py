"""The messages of roundtrip_test.go, built with TF Serving's own Python client.

Each is the same message as the Go function of the same name in
roundtrip_test.go builds; the Go and Python sides exchange their encodings.
"""
import struct

from google.protobuf import wrappers_pb2
from tensorflow.core.example import example_pb2, feature_pb2
from tensorflow.core.framework import tensor_pb2, tensor_shape_pb2, types_pb2
from tensorflow.core.protobuf import error_codes_pb2, meta_graph_pb2
from tensorflow_serving.apis import (classification_pb2, get_model_metadata_pb2,
                                     get_model_status_pb2, input_pb2, model_pb2,
                                     predict_pb2, status_pb2)


def shape(*dims):
    return tensor_shape_pb2.TensorShapeProto(
        dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=d) for d in dims])


def spec_version(version):
    return model_pb2.ModelSpec(name="fashion", version=wrappers_pb2.Int64Value(value=version),
                               signature_name="serving_default")


def predict_request():
    r = predict_pb2.PredictRequest(model_spec=spec_version(7), output_filter=["output_0", "probs"])
    r.inputs["keras_tensor"].CopyFrom(tensor_pb2.TensorProto(
        dtype=types_pb2.DT_FLOAT, tensor_shape=shape(1, 2, 3),
        float_val=[0, 0.5, 1, -2.25, 0.1, 255]))
    r.inputs["raw"].CopyFrom(tensor_pb2.TensorProto(
        dtype=types_pb2.DT_FLOAT, tensor_shape=shape(2), tensor_content=struct.pack("<2f", 1.5, -1)))
    return r


def predict_response():
    r = predict_pb2.PredictResponse(model_spec=spec_version(7))
    r.outputs["output_0"].CopyFrom(tensor_pb2.TensorProto(
        dtype=types_pb2.DT_FLOAT, tensor_shape=shape(1, 10),
        float_val=[0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625, 0.0078125, 0.00390625, 0, 0]))
    return r


def get_model_metadata_request():
    return get_model_metadata_pb2.GetModelMetadataRequest(
        model_spec=model_pb2.ModelSpec(name="fashion", version_label="stable"),
        metadata_field=["signature_def"])


def get_model_metadata_response():
    sig = meta_graph_pb2.SignatureDef(method_name="tensorflow/serving/predict")
    sig.inputs["keras_tensor"].CopyFrom(meta_graph_pb2.TensorInfo(
        name="serving_default_keras_tensor:0", dtype=types_pb2.DT_FLOAT, tensor_shape=shape(-1, 28, 28)))
    sig.outputs["output_0"].CopyFrom(meta_graph_pb2.TensorInfo(
        name="StatefulPartitionedCall:0", dtype=types_pb2.DT_FLOAT, tensor_shape=shape(-1, 10)))
    sigs = get_model_metadata_pb2.SignatureDefMap()
    sigs.signature_def["serving_default"].CopyFrom(sig)
    r = get_model_metadata_pb2.GetModelMetadataResponse(
        model_spec=model_pb2.ModelSpec(name="fashion", version=wrappers_pb2.Int64Value(value=7)))
    r.metadata["signature_def"].Pack(sigs)
    return r


def get_model_status_request():
    return get_model_status_pb2.GetModelStatusRequest(
        model_spec=model_pb2.ModelSpec(name="fashion", version=wrappers_pb2.Int64Value(value=7)))


def get_model_status_response():
    S = get_model_status_pb2.ModelVersionStatus
    return get_model_status_pb2.GetModelStatusResponse(model_version_status=[
        S(version=7, state=S.AVAILABLE, status=status_pb2.StatusProto(error_code=error_codes_pb2.OK)),
        S(version=6, state=S.END, status=status_pb2.StatusProto(
            error_code=error_codes_pb2.NOT_FOUND, error_message="gone")),
    ])


def classification_request():
    ex = example_pb2.Example()
    ex.features.feature["x"].float_list.value.extend([1, 2])
    ex.features.feature["id"].int64_list.value.append(3)
    ex.features.feature["name"].bytes_list.value.append(b"shirt")
    return classification_pb2.ClassificationRequest(
        model_spec=model_pb2.ModelSpec(name="fashion", signature_name="classify"),
        input=input_pb2.Input(example_list=input_pb2.ExampleList(examples=[ex])))


CASES = {f.__name__: f for f in (
    predict_request, predict_response, get_model_metadata_request, get_model_metadata_response,
    get_model_status_request, get_model_status_response, classification_request)}
