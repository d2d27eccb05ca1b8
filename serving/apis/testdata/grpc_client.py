"""A TF Serving client, as users write it: tensorflow-serving-api's stubs over grpcio,
tensors from tf.make_tensor_proto. Calls the Go test server at argv[1] and prints
what it got (JSON)."""
import json, sys

import grpc
import numpy as np
import tensorflow as tf
from tensorflow_serving.apis import (classification_pb2, get_model_metadata_pb2,
                                     get_model_status_pb2, model_service_pb2_grpc,
                                     predict_pb2, prediction_service_pb2_grpc)

out = {}
with grpc.insecure_channel(sys.argv[1]) as channel:
    predict = prediction_service_pb2_grpc.PredictionServiceStub(channel)
    req = predict_pb2.PredictRequest()
    req.model_spec.name = "fashion"
    req.model_spec.signature_name = "serving_default"
    req.model_spec.version.value = 3
    req.inputs["keras_tensor"].CopyFrom(
        tf.make_tensor_proto(np.arange(6, dtype=np.float32).reshape(1, 2, 3) / 4))
    req.output_filter.append("output_0")
    resp = predict.Predict(req, timeout=30)
    out["predict"] = {
        "model_spec": [resp.model_spec.name, resp.model_spec.version.value, resp.model_spec.signature_name],
        "outputs": {k: {"shape": list(tf.make_ndarray(v).shape), "values": tf.make_ndarray(v).ravel().tolist()}
                    for k, v in resp.outputs.items()},
    }
    meta = predict.GetModelMetadata(get_model_metadata_pb2.GetModelMetadataRequest(
        model_spec=req.model_spec, metadata_field=["signature_def"]), timeout=30)
    sigs = get_model_metadata_pb2.SignatureDefMap()
    assert meta.metadata["signature_def"].Unpack(sigs)
    out["metadata"] = {k: {"method": v.method_name, "inputs": sorted(v.inputs), "outputs": sorted(v.outputs)}
                       for k, v in sigs.signature_def.items()}
    try:
        predict.Classify(classification_pb2.ClassificationRequest(model_spec=req.model_spec), timeout=30)
        out["classify"] = "ok"
    except grpc.RpcError as e:
        out["classify"] = e.code().name

    models = model_service_pb2_grpc.ModelServiceStub(channel)
    st = models.GetModelStatus(get_model_status_pb2.GetModelStatusRequest(model_spec=req.model_spec), timeout=30)
    out["status"] = [[s.version, get_model_status_pb2.ModelVersionStatus.State.Name(s.state),
                      s.status.error_code, s.status.error_message] for s in st.model_version_status]
print(json.dumps(out))
