"""Prints (JSON: path -> base64 FileDescriptorProto) the descriptors compiled into
the Python packages for the .proto paths in argv[1:]: tensorflow-serving-api's
for tensorflow_serving/..., TensorFlow's for tensorflow/...."""
import base64, importlib, json, sys

from google.protobuf import descriptor_pb2

out = {}
for path in sys.argv[1:]:
    mod = importlib.import_module(path[: -len(".proto")].replace("/", ".") + "_pb2")
    fd = descriptor_pb2.FileDescriptorProto()
    mod.DESCRIPTOR.CopyToProto(fd)
    out[path] = base64.b64encode(fd.SerializeToString(deterministic=True)).decode()
print(json.dumps(out))
