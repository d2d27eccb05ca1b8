"""Models built in Python, trained from Go with `go run ./cmd/train -init FILE.keras`, checked back in Python.

    keras_suite.py build OUT_DIR
        Writes five compiled, built, untrained models, input shape (28, 28),
        as OUT_DIR/<name>.keras. Each is built in a cleared session
        (keras.backend.clear_session(), so its names are a fresh process's:
        sequential, flatten, dense, dense_1) right after
        keras.utils.set_random_seed(0), so its initial weights do not depend
        on the others (logits_sgd and dropout_rmsprop start from the same
        weights), and saved with model.save. The optimizers are not built:
        the files hold only their iterations (0) and learning_rate
        variables, no slots.
          logits_sgd       Flatten, Dense(64, relu), Dense(10);
                           SparseCategoricalCrossentropy(from_logits=True),
                           SGD(learning_rate=0.01, momentum=0.9), ["accuracy"]
          dropout_rmsprop  Flatten, Dense(64, relu), Dropout(0.2, seed=42),
                           Dense(10, softmax); "sparse_categorical_crossentropy",
                           RMSprop(), ["accuracy"]
          binary_sigmoid   Flatten, Dense(32, relu), Dense(1, sigmoid);
                           "binary_crossentropy", Adam(), ["accuracy"]
          regression_mse   Flatten, Dense(32, relu), Dense(1); "mse", Adam(),
                           ["mae"]
          cnn_batchnorm    Reshape((28, 28, 1)), Conv2D(16, 3, relu),
                           BatchNormalization, MaxPooling2D(2),
                           Conv2D(32, 3, same, relu), GlobalAveragePooling2D,
                           Dropout(0.3, seed=7), Dense(10, softmax);
                           "sparse_categorical_crossentropy", Adam(),
                           ["accuracy"]
        and OUT_DIR/suite.json:
          {"keras": VERSION, "input_shape": [28, 28],
           "models": [{"name", "file" (base name), "loss" (canonical loss
                       function name), "loss_class", "from_logits",
                       "outputs" (width of the last layer), "targets",
                       "optimizer" (class), "metrics"}, ...]}
        Prints OUT_DIR/suite.json's path.

    keras_suite.py check [--data DIR] FILE.keras
        keras.models.load_model(FILE), evaluate on the 10,000 Fashion-MNIST
        test images (batch_size=32, return_dict=True) with the targets its
        compiled loss and output width call for, and print one JSON line:
          {"file": FILE, "evaluate": {"loss": ..., METRIC: ...},
           "loss": canonical loss function name, "loss_class": class of the
           compiled loss (e.g. "SparseCategoricalCrossentropy") or, for a
           loss compiled from a string, that string, "from_logits": bool,
           "targets": kind, "outputs": width,
           "optimizer": {"class": ..., "iterations": ...}}
        DIR (default /usr/share/datasets/fashion-mnist) holds
        t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, gzipped (.gz) or
        not; they are read with gzip + numpy, no Keras dataset download.

Images are scaled as (uint8 / 255.0) cast to float32 (the same bits as
float32(v) / float32(255) for every v in 0..255). Targets ("targets" kinds),
the same rules Go follows:
    labels       sparse categorical crossentropy: class labels, int32 [N]
    one_hot      categorical crossentropy, or MSE/MAE with 10 outputs:
                 one-hot labels, float32 [N, 10]
    footwear     binary crossentropy with 1 output: 1.0 for classes 5
                 (Sandal), 7 (Sneaker), 9 (Ankle boot), else 0.0, float32 [N, 1]
    class_index  MSE/MAE with 1 output: the class index as float32 [N, 1]
Any other loss/width pairing is an error (exit status 2).
TensorFlow's log lines go to stderr; stdout holds only the output above.
"""
import argparse
import gzip
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import keras

DEFAULT_DATA = "/usr/share/datasets/fashion-mnist"
FOOTWEAR = (5, 7, 9)


class SuiteError(Exception):
    """A model or data set this suite has no rule for."""


def models():
    """name -> function building the compiled model."""
    layers = keras.layers

    def logits_sgd():
        m = keras.Sequential([
            keras.Input((28, 28)),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dense(10),
        ])
        m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
        return m

    def dropout_rmsprop():
        m = keras.Sequential([
            keras.Input((28, 28)),
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dropout(0.2, seed=42),
            layers.Dense(10, activation="softmax"),
        ])
        m.compile(optimizer=keras.optimizers.RMSprop(),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return m

    def binary_sigmoid():
        m = keras.Sequential([
            keras.Input((28, 28)),
            layers.Flatten(),
            layers.Dense(32, activation="relu"),
            layers.Dense(1, activation="sigmoid"),
        ])
        m.compile(optimizer=keras.optimizers.Adam(), loss="binary_crossentropy", metrics=["accuracy"])
        return m

    def regression_mse():
        m = keras.Sequential([
            keras.Input((28, 28)),
            layers.Flatten(),
            layers.Dense(32, activation="relu"),
            layers.Dense(1),
        ])
        m.compile(optimizer=keras.optimizers.Adam(), loss="mse", metrics=["mae"])
        return m

    def cnn_batchnorm():
        m = keras.Sequential([
            keras.Input((28, 28)),
            layers.Reshape((28, 28, 1)),
            layers.Conv2D(16, 3, activation="relu"),
            layers.BatchNormalization(),
            layers.MaxPooling2D(2),
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.GlobalAveragePooling2D(),
            layers.Dropout(0.3, seed=7),
            layers.Dense(10, activation="softmax"),
        ])
        m.compile(optimizer=keras.optimizers.Adam(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return m

    return {f.__name__: f for f in (logits_sgd, dropout_rmsprop, binary_sigmoid, regression_mse, cnn_batchnorm)}


def describe_loss(loss):
    """(canonical function name, loss_class, from_logits) of a compiled loss."""
    if isinstance(loss, str):
        fn = keras.losses.get(loss)
        return getattr(fn, "__name__", loss), loss, False
    if isinstance(loss, keras.losses.Loss):
        fn = getattr(loss, "fn", None)
        kwargs = getattr(loss, "_fn_kwargs", {}) or {}
        return getattr(fn, "__name__", type(loss).__name__), type(loss).__name__, bool(kwargs.get("from_logits", False))
    if callable(loss):
        return loss.__name__, loss.__name__, False
    raise SuiteError(f"cannot tell the loss of {loss!r}")


def targets_kind(loss_fn, outputs):
    if loss_fn == "sparse_categorical_crossentropy":
        return "labels"
    if loss_fn == "categorical_crossentropy":
        return "one_hot"
    if loss_fn == "binary_crossentropy" and outputs == 1:
        return "footwear"
    if loss_fn in ("mean_squared_error", "mean_absolute_error"):
        if outputs == 1:
            return "class_index"
        if outputs == 10:
            return "one_hot"
    raise SuiteError(f"no targets for loss {loss_fn} with {outputs} outputs")


def make_targets(kind, labels):
    labels = labels.astype(np.int32)
    if kind == "labels":
        return labels
    if kind == "one_hot":
        return np.eye(10, dtype=np.float32)[labels]
    if kind == "footwear":
        return np.isin(labels, FOOTWEAR).astype(np.float32)[:, None]
    if kind == "class_index":
        return labels.astype(np.float32)[:, None]
    raise SuiteError(kind)


def output_width(model):
    return int(model.outputs[0].shape[-1])


def build(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    entries = []
    for name, make in models().items():
        keras.backend.clear_session()  # layer names as in a fresh process
        keras.utils.set_random_seed(0)
        model = make()
        path = os.path.join(out_dir, name + ".keras")
        model.save(path)
        loss_fn, loss_class, from_logits = describe_loss(model.loss)
        outputs = output_width(model)
        entries.append({
            "name": name,
            "file": name + ".keras",
            "loss": loss_fn,
            "loss_class": loss_class,
            "from_logits": from_logits,
            "outputs": outputs,
            "targets": targets_kind(loss_fn, outputs),
            "optimizer": type(model.optimizer).__name__,
            "metrics": model.get_compile_config()["metrics"],
        })
    suite = os.path.join(out_dir, "suite.json")
    with open(suite, "w") as f:
        json.dump({"keras": keras.__version__, "input_shape": [28, 28], "models": entries}, f, indent=1)
        f.write("\n")
    print(suite)


def find(data_dir, name):
    for candidate in (name + ".gz", name):
        path = os.path.join(data_dir, candidate)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(f"{name}(.gz) not in {data_dir}")


def read_idx(path, magic, ndim):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    got = int.from_bytes(data[:4], "big")
    if got != magic:
        raise SuiteError(f"{path}: magic {got}, want {magic}")
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    count = int(np.prod(dims))
    if len(data) - offset != count:
        raise SuiteError(f"{path}: {len(data) - offset} bytes of data, header says {dims}")
    return np.frombuffer(data, np.uint8, offset=offset).reshape(dims)


def load_test(data_dir):
    images = read_idx(find(data_dir, "t10k-images-idx3-ubyte"), 2051, 3)
    labels = read_idx(find(data_dir, "t10k-labels-idx1-ubyte"), 2049, 1)
    if len(images) != len(labels):
        raise SuiteError(f"{len(images)} images, {len(labels)} labels")
    return (images / 255.0).astype(np.float32), labels


def check(path, data_dir):
    model = keras.models.load_model(path)
    loss_fn, loss_class, from_logits = describe_loss(model.loss)
    outputs = output_width(model)
    kind = targets_kind(loss_fn, outputs)
    images, labels = load_test(data_dir)
    result = model.evaluate(images, make_targets(kind, labels), batch_size=32, return_dict=True, verbose=0)
    opt = model.optimizer
    print(json.dumps({
        "file": path,
        "evaluate": {k: float(v) for k, v in result.items()},
        "loss": loss_fn,
        "loss_class": loss_class,
        "from_logits": from_logits,
        "targets": kind,
        "outputs": outputs,
        "optimizer": {"class": type(opt).__name__, "iterations": int(np.asarray(opt.iterations))},
    }), flush=True)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("out_dir")
    c = sub.add_parser("check")
    c.add_argument("--data", default=DEFAULT_DATA)
    c.add_argument("file")
    args = p.parse_args(argv)
    try:
        if args.cmd == "build":
            build(args.out_dir)
        else:
            check(args.file, args.data)
    except (SuiteError, FileNotFoundError) as e:
        print(f"keras_suite.py: {e}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv[1:])
