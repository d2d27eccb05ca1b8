"""Writes copies of a TensorFlow checkpoint with some values replaced.

    python rewrite_checkpoint.py SPEC.json

SPEC is {"src": PREFIX, "copies": [{"dir": DIR, "name": NAME, "set": {KEY: VALUE}}]}.
Each copy is written as DIR/NAME (.index, .data-*) with every tensor of
SRC, those named in "set" replaced by VALUE in the tensor's own dtype, and
DIR/checkpoint names it, as BackupAndRestore's state file does. cmd/train's
tests make damaged and hostile checkpoints this way, with TensorFlow's own
writer, as an attacker or a bit flip could.
"""
import json
import os
import sys

import tensorflow as tf


def decode(value):
    """JSON has no NaN: the strings "nan", "inf", "-inf" stand for them."""
    if isinstance(value, str):
        return float(value)
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def main(spec_path):
    with open(spec_path) as f:
        spec = json.load(f)
    reader = tf.train.load_checkpoint(spec["src"])
    dtypes = reader.get_variable_to_dtype_map()
    for copy in spec["copies"]:
        names, tensors = [], []
        for key, dtype in sorted(dtypes.items()):
            value = reader.get_tensor(key)
            if key in copy["set"]:
                value = tf.constant(decode(copy["set"][key]), dtype=dtype)
            names.append(key)
            tensors.append(tf.convert_to_tensor(value, dtype=dtype))
        unknown = set(copy["set"]) - set(dtypes)
        if unknown:
            sys.exit(f"no such keys in {spec['src']}: {sorted(unknown)}")
        os.makedirs(copy["dir"], exist_ok=True)
        prefix = os.path.join(copy["dir"], copy["name"])
        tf.raw_ops.SaveV2(prefix=prefix, tensor_names=names, shape_and_slices=[""] * len(names), tensors=tensors)
        with open(os.path.join(copy["dir"], "checkpoint"), "w") as f:
            f.write(f'model_checkpoint_path: "{copy["name"]}"\n')


if __name__ == "__main__":
    main(sys.argv[1])
