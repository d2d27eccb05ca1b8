"""Replays Go training runs of graph's optimizers in Keras 3 and writes what Keras ends with.

For each case directory given, Go has written:
- case.json: {"optimizer": {"class_name": ..., "config": ...}, "units": [hidden, classes],
  "batch_size": B, "steps": S}; the optimizer is what the Go Optimizer's
  ClassName() and Config() return, possibly with a Keras spelling of its own;
- init_<i>.npy: the initial weights (kernel, bias, kernel, bias).
The training data, x.npy (float32 [N, features]) and y.npy (int32 [N]), is
shared. Step k trains on rows [k*B mod N, k*B mod N + B).

This script builds Dense(hidden, relu) -> Dense(classes, softmax) with sparse
categorical cross-entropy, sets the initial weights, runs train_on_batch for
each step and writes keras_<i>.npy (final weights), keras_loss.npy (the loss
of each step, float32) and keras_variables.json (the optimizer's variable
paths in order, its get_config and its step count), and, in the data
directory, keras_defaults.json: get_config() of keras.optimizers.get(name)
for each name graph.GetOptimizer accepts.
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import keras


def replay(case_dir, x, y):
    with open(os.path.join(case_dir, "case.json")) as f:
        case = json.load(f)
    hidden, classes = case["units"]
    model = keras.Sequential([
        keras.Input((x.shape[1],)),
        keras.layers.Dense(hidden, activation="relu", name="dense"),
        keras.layers.Dense(classes, activation="softmax", name="dense_1"),
    ])
    optimizer = keras.optimizers.get(case["optimizer"])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    model.set_weights([np.load(os.path.join(case_dir, f"init_{i}.npy")) for i in range(4)])

    b, n = case["batch_size"], len(x)
    losses = []
    for k in range(case["steps"]):
        lo = (k * b) % n
        losses.append(model.train_on_batch(x[lo:lo + b], y[lo:lo + b]))
    np.save(os.path.join(case_dir, "keras_loss.npy"), np.asarray(losses, dtype=np.float32))
    for i, w in enumerate(model.get_weights()):
        np.save(os.path.join(case_dir, f"keras_{i}.npy"), w)
    with open(os.path.join(case_dir, "keras_variables.json"), "w") as f:
        json.dump({
            "class_name": type(optimizer).__name__,
            "paths": [v.path for v in optimizer.variables],
            "config": optimizer.get_config(),
            "iterations": int(optimizer.iterations.numpy()),
        }, f)


def main():
    data_dir, cases = sys.argv[1], sys.argv[2:]
    x = np.load(os.path.join(data_dir, "x.npy"))
    y = np.load(os.path.join(data_dir, "y.npy"))
    for case_dir in cases:
        replay(case_dir, x, y)
    defaults = {name: keras.optimizers.get(name).get_config() for name in ("adam", "adamw", "sgd", "rmsprop")}
    with open(os.path.join(data_dir, "keras_defaults.json"), "w") as f:
        json.dump(defaults, f)


if __name__ == "__main__":
    main()
