"""Calls cmd/serve over gRPC with TensorFlow Serving's own Python client.

usage: grpc_client.py HOST:PORT MODEL IMAGES.npy

Sends Predict (the images as a TensorProto made by tf.make_tensor_proto),
GetModelMetadata and GetModelStatus with the tensorflow-serving-api stubs
and grpcio, and prints one line "RESULT {json}".
"""

import json
import sys

import grpc
import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import get_model_metadata_pb2
from tensorflow_serving.apis import get_model_status_pb2
from tensorflow_serving.apis import model_service_pb2_grpc
from tensorflow_serving.apis import predict_pb2
from tensorflow_serving.apis import prediction_service_pb2_grpc


def main():
    target, model, images_path = sys.argv[1:4]
    images = np.load(images_path)
    channel = grpc.insecure_channel(target)
    predictions = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    models = model_service_pb2_grpc.ModelServiceStub(channel)

    request = predict_pb2.PredictRequest()
    request.model_spec.name = model
    request.model_spec.signature_name = "serving_default"
    request.inputs["images"].CopyFrom(tf.make_tensor_proto(images))
    response = predictions.Predict(request, timeout=60)
    probs = tf.make_ndarray(response.outputs["probabilities"])

    meta_request = get_model_metadata_pb2.GetModelMetadataRequest()
    meta_request.model_spec.name = model
    meta_request.metadata_field.append("signature_def")
    meta = predictions.GetModelMetadata(meta_request, timeout=60)
    defs = get_model_metadata_pb2.SignatureDefMap()
    meta.metadata["signature_def"].Unpack(defs)

    status_request = get_model_status_pb2.GetModelStatusRequest()
    status_request.model_spec.name = model
    status = models.GetModelStatus(status_request, timeout=60)

    missing = predict_pb2.PredictRequest()
    missing.model_spec.name = "no_such_model"
    try:
        predictions.Predict(missing, timeout=60)
        error = None
    except grpc.RpcError as e:
        error = {"code": e.code().name, "details": e.details()}

    print("RESULT " + json.dumps({
        "probabilities": probs.tolist(),
        "version": response.model_spec.version.value,
        "signature_name": response.model_spec.signature_name,
        "signatures": sorted(defs.signature_def.keys()),
        "input_dtype": defs.signature_def["serving_default"].inputs["images"].dtype,
        "states": [s.state for s in status.model_version_status],
        "error": error,
    }), flush=True)


if __name__ == "__main__":
    main()
