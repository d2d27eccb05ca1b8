"""Replays a Go training run in Python Keras and reports how far apart they end.

Go hands over, through files: the initial weights (a TF checkpoint written by
SaveV2), the order of the examples in each epoch, and its final weights. This
script builds the tutorial's model in Keras, sets the initial weights, runs
train_on_batch over exactly the same batches, and prints JSON with the largest
absolute difference per weight and the per-epoch mean losses. The Go test
asserts on those figures.

It replays twice, with two spellings of Adam's betas:
- "float32": beta_1 and beta_2 are the float32 values 0.9f and 0.999f that Go
  (and TensorFlow's ResourceApplyAdam) computes with, given to Keras as the
  Python floats they equal exactly;
- "keras_default": Adam()'s Python floats 0.9 and 0.999. Keras then computes
  1 - beta in float64 before casting to float32 (0.001f), while the fused
  kernel computes it in float32 (1 - 0.999f = 0.00099998713): a 1.3e-5
  relative difference in the velocity's decay.
"""
import argparse
import gzip
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf
import keras


def read_idx(path, offset):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def find(data_dir, name):
    for candidate in (name + ".gz", name):
        path = os.path.join(data_dir, candidate)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(os.path.join(data_dir, name))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--init", required=True)
    p.add_argument("--final", required=True)
    p.add_argument("--orders", required=True)
    p.add_argument("--batch-size", type=int, default=32)
    args = p.parse_args()

    with open(args.orders) as f:
        orders = [np.asarray(o, dtype=np.int64) for o in json.load(f)]
    n = len(orders[0])
    images = read_idx(find(args.data, "train-images-idx3-ubyte"), 16).reshape(-1, 28, 28)[:n]
    labels = read_idx(find(args.data, "train-labels-idx1-ubyte"), 8)[:n]
    images = images / 255.0  # the tutorial's scaling, float64 then float32 in Keras

    results = {}
    for variant, betas in (("float32", (float(np.float32(0.9)), float(np.float32(0.999)))),
                           ("keras_default", (0.9, 0.999))):
        results[variant] = replay(args, images, labels, orders, n, *betas)
    results["keras_version"] = keras.__version__
    print(json.dumps(results))


def replay(args, images, labels, orders, n, beta_1, beta_2):
    model = keras.Sequential([
        keras.Input((28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(beta_1=beta_1, beta_2=beta_2), loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    names = ["dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"]
    init = tf.train.load_checkpoint(args.init)
    model.set_weights([init.get_tensor(k) for k in names])

    epoch_loss, epoch_acc = [], []
    for order in orders:
        losses, accs = [], []
        for lo in range(0, n, args.batch_size):
            idx = order[lo:lo + args.batch_size]
            loss, acc = model.train_on_batch(images[idx].astype(np.float32), labels[idx])
            losses.append(float(loss))
            accs.append(float(acc))
        epoch_loss.append(float(np.mean(losses)))
        epoch_acc.append(float(np.mean(accs)))

    final = tf.train.load_checkpoint(args.final)
    diffs, scale = {}, {}
    for k, w in zip(names, model.get_weights()):
        g = final.get_tensor(k)
        if g.shape != w.shape:
            raise SystemExit(f"{k}: Go shape {g.shape}, Keras shape {w.shape}")
        diffs[k] = float(np.max(np.abs(g - w)))
        scale[k] = float(np.max(np.abs(w)))
    return {
        "steps": int(model.optimizer.iterations.numpy()),
        "go_steps": int(final.get_tensor("adam/iteration")),
        "max_abs_diff": diffs,
        "max_abs_weight": scale,
        "epoch_loss": epoch_loss,
        "epoch_accuracy": epoch_acc,
    }


if __name__ == "__main__":
    main()
