"""Python side of tfmodel's .keras test.

    keras_file.py load GO.keras IMAGES.npy LABELS.npy OUT_DIR
        load_model the file Go wrote, predict IMAGES, continue training
        one epoch on them, save OUT_DIR/py.keras and its predictions
        OUT_DIR/py_probs.npy.
    keras_file.py compare A.keras B.keras
        whether the two files' weights are bit for bit equal.

Prints one JSON object; the Go test asserts on it.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import keras


def weights(model):
    return [np.asarray(w) for w in model.get_weights()]


def load(path, images_path, labels_path, out_dir):
    images = np.load(images_path)
    labels = np.load(labels_path)
    model = keras.models.load_model(path)
    probs = model.predict(images, batch_size=len(images), verbose=0)
    before = model.evaluate(images, labels, batch_size=32, verbose=0, return_dict=True)
    history = model.fit(images, labels, epochs=1, batch_size=32, verbose=0, shuffle=False)
    after = model.evaluate(images, labels, batch_size=32, verbose=0, return_dict=True)
    model.save(os.path.join(out_dir, "py.keras"))
    np.save(os.path.join(out_dir, "py_probs.npy"), model.predict(images, batch_size=len(images), verbose=0))
    return {
        "class": type(model).__name__,
        "layers": [[type(l).__name__, getattr(l, "units", None), getattr(getattr(l, "activation", None), "__name__", None)]
                   for l in model.layers],
        "params": int(model.count_params()),
        "probs": probs.tolist(),
        "loss_before": before["loss"],
        "loss_after": after["loss"],
        "fit_loss": history.history["loss"],
        "optimizer_iterations": int(model.optimizer.iterations.numpy()),
    }


def compare(a, b):
    wa, wb = weights(keras.models.load_model(a)), weights(keras.models.load_model(b))
    return {"equal": len(wa) == len(wb) and all(np.array_equal(x, y) for x, y in zip(wa, wb)), "count": len(wa)}


if __name__ == "__main__":
    mode = sys.argv[1]
    result = load(*sys.argv[2:6]) if mode == "load" else compare(*sys.argv[2:4])
    print(json.dumps(result))
