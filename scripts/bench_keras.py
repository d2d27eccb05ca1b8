"""The Python Keras side of the Go-vs-Keras benchmark (go run ./cmd/bench).

cmd/bench runs this script as a child process, once per mode and seed, with
the .venv's Python (the same TensorFlow build as the C library Go links), and
reads the JSON it writes to --json. Two modes:

  train    the model --model names (build_model: the same layers as Go's
           internal/tutorial), trained with model.fit(batch_size=32,
           verbose=0) while a callback timestamps every epoch's end; then
           model.evaluate on the test split (timed again --predict-repeats
           times), model.predict throughput on the 10,000 test images (after
           a warm-up call), the peak RSS reached by
           the end of training, and optionally the trained model saved as a
           .keras file and exported as a SavedModel (model.export).
  latency  single-image prediction latency (any model: the saved files say
           which): model.predict on a (1, 28, 28)
           array with the .keras model loaded back, and the serving_default
           signature of SavedModels loaded with tf.saved_model.load (the one
           Go wrote and the one Keras exported), and a direct model(x) call,
           each timed call by call after a warm-up, the methods taking turns;
           plus the floor of one call into a trivial tf.function (what any
           Python-to-graph call costs).

Every timing is a raw list of seconds: cmd/bench computes medians and
percentiles in Go, with the same code for both sides.

Thread pools are set with tf.config.threading before TensorFlow creates its
context, from --intra/--inter (0: TensorFlow's defaults), as the Go side sets
ConfigProto's intra_op/inter_op_parallelism_threads.
"""
import argparse
import gzip
import json
import os
import platform
import resource
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf


def set_threads(intra, inter):
    # Must run before the first op creates TensorFlow's context.
    tf.config.threading.set_intra_op_parallelism_threads(intra)
    tf.config.threading.set_inter_op_parallelism_threads(inter)


def find(data_dir, name):
    # cmd/bench's loader reads an uncompressed file in preference to a .gz.
    for candidate in (name, name + ".gz"):
        path = os.path.join(data_dir, candidate)
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(f"{name}[.gz] not found in {data_dir}")


def read_idx(data_dir, name, offset):
    path = find(data_dir, name)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


# float32(p / 255.0) for every byte p: the tutorial's `images / 255.0`
# rounded to the float32 Keras trains in, bit for bit what Go's
# loader.Split.Scaled gives. A lookup keeps NumPy from materialising the
# float64 array (376 MB for the training images) and so keeps the RSS
# comparison about the frameworks, not about the tutorial's float64 copy.
SCALE = (np.arange(256, dtype=np.float64) / 255.0).astype(np.float32)


def load_split(data_dir, kind):
    images = read_idx(data_dir, f"{kind}-images-idx3-ubyte", 16).reshape(-1, 28, 28)
    labels = read_idx(data_dir, f"{kind}-labels-idx1-ubyte", 8)
    return SCALE[images], labels.astype(np.int64)


def versions():
    import keras

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
    }


def max_rss_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def parse_jit(value):
    return {"auto": "auto", "true": True, "false": False}[value]


# The models of Go's internal/tutorial, layer for layer. Both take
# (28, 28) images, so the data, the latency image and the SavedModels'
# signatures are the same for every model.
MODELS = ("mlp", "cnn", "convnet")


def build_model(keras, name):
    layers = keras.layers
    if name == "mlp":
        # The tutorial's Flatten(input_shape=(28, 28)), in Keras 3's spelling
        # (keras.Input first).
        stack = [
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    elif name == "cnn":
        stack = [
            layers.Reshape((28, 28, 1)),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ]
    elif name == "convnet":
        # keras.io/examples/vision/mnist_convnet, on (28, 28) input.
        stack = [
            layers.Reshape((28, 28, 1)),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ]
    else:
        raise ValueError(f"--model {name!r}: want one of {MODELS}")
    return keras.Sequential([keras.Input(shape=(28, 28))] + stack)


def train(args):
    import keras

    x_train, y_train = load_split(args.data, "train")
    x_test, y_test = load_split(args.data, "t10k")
    keras.utils.set_random_seed(args.seed)
    model = build_model(keras, args.model)
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=parse_jit(args.jit_compile),
    )
    # The seed has drawn the initial weights; now clear TensorFlow's global
    # seed. With it set, Keras 3's array adapter re-seeds its
    # tf.random.shuffle for every epoch's iterator and so visits the data in
    # the same order every epoch (checked with Keras 3.15.1), which is not
    # the tutorial's training: the tutorial sets no seed and reshuffles.
    import tensorflow as tf

    tf.random.set_seed(None)

    ends = []

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            ends.append(time.perf_counter())

    start = time.perf_counter()
    history = model.fit(
        x_train, y_train, epochs=args.epochs, batch_size=args.batch_size, verbose=0, callbacks=[EpochTimer()]
    )
    rss_after_training = max_rss_kb()
    epoch_seconds = [b - a for a, b in zip([start] + ends[:-1], ends)]

    test_loss, test_acc = model.evaluate(x_test, y_test, batch_size=args.batch_size, verbose=0)

    # The first evaluate was the warm-up: it traced test_function.
    evaluate_seconds = []
    for _ in range(args.predict_repeats):
        t = time.perf_counter()
        model.evaluate(x_test, y_test, batch_size=args.batch_size, verbose=0)
        evaluate_seconds.append(time.perf_counter() - t)

    model.predict(x_test, batch_size=args.batch_size, verbose=0)  # warm-up: traces predict_function
    predict_seconds = []
    for _ in range(args.predict_repeats):
        t = time.perf_counter()
        model.predict(x_test, batch_size=args.batch_size, verbose=0)
        predict_seconds.append(time.perf_counter() - t)

    if args.save_keras:
        os.makedirs(os.path.dirname(os.path.abspath(args.save_keras)), exist_ok=True)
        model.save(args.save_keras)
    if args.export:
        model.export(args.export, verbose=False)

    return {
        "seed": args.seed,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "train_examples": int(len(y_train)),
        "epoch_seconds": epoch_seconds,
        "train_loss": float(history.history["loss"][-1]),
        "train_accuracy": float(history.history["accuracy"][-1]),
        "test_loss": float(test_loss),
        "test_accuracy": float(test_acc),
        "predict_images": int(len(y_test)),
        "predict_seconds": predict_seconds,
        "evaluate_seconds": evaluate_seconds,
        "peak_rss_kb_after_training": rss_after_training,
        "jit_compile": bool(model.jit_compile),
        "versions": versions(),
    }


def time_interleaved(fns, warmup, n):
    """Calls fns in turn, round after round, so that a change in the
    machine's load hits them all alike; returns each one's timed seconds."""
    out = [[] for _ in fns]
    for r in range(warmup + n):
        for i, fn in enumerate(fns):
            t = time.perf_counter_ns()
            fn()
            if r >= warmup:
                out[i].append((time.perf_counter_ns() - t) / 1e9)
    return out


def signature_caller(saved_dir, x1):
    loaded = tf.saved_model.load(saved_dir)
    fn = loaded.signatures["serving_default"]
    (key,) = fn.structured_input_signature[1].keys()

    def call():
        # The whole round trip, as Go's Predict does it: host array in,
        # host array out.
        out = fn(**{key: tf.constant(x1)})
        return next(iter(out.values())).numpy()

    return loaded, call


def latency(args):
    import keras

    x_test, y_test = load_split(args.data, "t10k")
    x1 = x_test[args.image : args.image + 1]  # (1, 28, 28) float32
    res = {"image": args.image, "n": args.n, "warmup": args.warmup, "versions": versions()}

    methods, keep = {}, []
    if args.keras_model:
        model = keras.saving.load_model(args.keras_model)
        methods["keras_predict_seconds"] = lambda: model.predict(x1, verbose=0)
        methods["keras_call_seconds"] = lambda: model(x1, training=False).numpy()
    for key, saved_dir in (
        ("go_savedmodel_signature_seconds", args.go_savedmodel),
        ("keras_export_signature_seconds", args.keras_export),
    ):
        if saved_dir:
            loaded, call = signature_caller(saved_dir, x1)
            keep.append(loaded)
            methods[key] = call

    # The floor of one Python call into a graph: a tf.function taking the
    # 32 indices of a training batch and returning two scalars, like one
    # training step's interface with nothing inside.
    @tf.function(input_signature=[tf.TensorSpec([None], tf.int32)])
    def trivial(batch):
        return tf.cast(tf.reduce_sum(batch), tf.float32), tf.cast(tf.size(batch), tf.float32)

    idx = np.arange(32, dtype=np.int32)

    def call_trivial():
        a, b = trivial(tf.constant(idx))
        return a.numpy(), b.numpy()

    methods["trivial_call_seconds"] = call_trivial
    times = time_interleaved(list(methods.values()), args.warmup, args.n)
    res.update(zip(methods.keys(), times))
    return res


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["train", "latency"])
    p.add_argument("--model", choices=MODELS, default=MODELS[0], help="the model to train (train; latency reads it from the saved files)")
    p.add_argument("--data", required=True, help="directory with the four Fashion-MNIST IDX files")
    p.add_argument("--json", required=True, help="where to write the results")
    p.add_argument("--intra", type=int, default=0, help="intra-op threads (0: TensorFlow's default)")
    p.add_argument("--inter", type=int, default=0, help="inter-op threads (0: TensorFlow's default)")
    # train
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--predict-repeats", type=int, default=3)
    p.add_argument("--jit-compile", choices=["auto", "true", "false"], default="auto")
    p.add_argument("--save-keras", help="save the trained model to this .keras file")
    p.add_argument("--export", help="model.export the trained model to this SavedModel directory")
    # latency
    p.add_argument("--keras-model", help=".keras file for model.predict latency")
    p.add_argument("--go-savedmodel", help="Go-written SavedModel for signature latency")
    p.add_argument("--keras-export", help="Keras-exported SavedModel for signature latency")
    p.add_argument("--image", type=int, default=0, help="index of the test image to predict")
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--warmup", type=int, default=100)
    args = p.parse_args()

    set_threads(args.intra, args.inter)
    res = train(args) if args.mode == "train" else latency(args)
    res["threads"] = {
        "intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_op": tf.config.threading.get_inter_op_parallelism_threads(),
    }
    with open(args.json, "w") as f:
        json.dump(res, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
