"""Parses the Go encodings named in argv[1] (JSON: case -> base64) with TF Serving's
Python classes, checks each equals the message cases.py builds, and prints (JSON) the
Python encodings of every case, for the Go side to parse.

Equal messages, not equal bytes: Go writes a oneof field after the other fields
(ModelSpec.version after signature_name), Python in field-number order; both are
valid encodings of the same message. For the same reason an Any is compared by
what it holds, not by its bytes."""
import base64, json, os, sys

from google.protobuf import any_pb2, descriptor_pool, message_factory

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cases import CASES  # noqa: E402

go = json.load(open(sys.argv[1]))
assert sorted(go) == sorted(CASES), (sorted(go), sorted(CASES))


def same(a, b):
    """a == b, comparing each Any by type and unpacked contents."""
    if type(a) is not type(b):
        return False
    if isinstance(a, any_pb2.Any):
        if a.type_url != b.type_url:
            return False
        cls = message_factory.GetMessageClass(
            descriptor_pool.Default().FindMessageTypeByName(a.type_url.split("/")[-1]))
        ua, ub = cls(), cls()
        return a.Unpack(ua) and b.Unpack(ub) and same(ua, ub)
    fa, fb = a.ListFields(), b.ListFields()
    if [f.name for f, _ in fa] != [f.name for f, _ in fb]:
        return False
    for (f, va), (_, vb) in zip(fa, fb):
        if f.message_type is None:
            if va != vb:
                return False
        elif f.message_type.GetOptions().map_entry:
            if sorted(va) != sorted(vb):
                return False
            val = f.message_type.fields_by_name["value"]
            for k in va:
                if not (same(va[k], vb[k]) if val.message_type else va[k] == vb[k]):
                    return False
        elif f.is_repeated:
            if len(va) != len(vb) or not all(same(x, y) for x, y in zip(va, vb)):
                return False
        elif not same(va, vb):
            return False
    return True


result = {"python": {}, "errors": []}
for name, build in sorted(CASES.items()):
    want = build()
    data = base64.b64decode(go[name])
    got = type(want)()
    got.ParseFromString(data)
    # A field Go wrote under a number Python does not know would be missing here.
    if not same(got, want):
        result["errors"].append(f"{name}: Go's encoding parses as\n{got}\nwant\n{want}")
    result["python"][name] = base64.b64encode(want.SerializeToString(deterministic=True)).decode()
print(json.dumps(result))
