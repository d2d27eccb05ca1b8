"""Python side of tfmodel's test of .keras files of other optimizers.

    keras_optimizer.py MODEL.keras IMAGES.npy LABELS.npy OUT.keras
        load_model the file Go wrote and print its optimizer: class,
        config and variables (path, shape, values), then fit one more
        epoch of IMAGES, LABELS in batches of 16, print the optimizer's
        variables then and save the model to OUT.keras.

Prints one JSON object; the Go test asserts on it.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import keras


def variables(opt):
    return [
        {"path": v.path, "shape": list(v.shape), "dtype": str(v.dtype),
         "values": np.asarray(v).ravel().tolist()}
        for v in opt.variables
    ]


def main(path, images_path, labels_path, out_path):
    model = keras.models.load_model(path)
    opt = model.optimizer
    out = {
        "class": type(opt).__name__,
        "config": opt.get_config(),
        "variables": variables(opt),
    }
    model.fit(np.load(images_path), np.load(labels_path), epochs=1, batch_size=16, verbose=0, shuffle=False)
    out["iterations_after_fit"] = int(opt.iterations.numpy())
    out["variables_after_fit"] = variables(opt)
    model.save(out_path)
    print(json.dumps(out))


if __name__ == "__main__":
    main(*sys.argv[1:5])
