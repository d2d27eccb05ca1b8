"""Python side of kerasfile's tests: Keras itself writes and reads .keras files.

    check_keras.py make DIR    writes Python-saved models into DIR
    check_keras.py check DIR   loads the Go-written models in DIR

"make" saves, with the tutorial's Keras code: py.keras (the tutorial's model,
compiled and fit for a few steps on real Fashion-MNIST samples), its variables
as raw little-endian files in DIR/py/, py_uncompiled.keras, py_unfit.keras
(compiled, never fit), and models of other architectures (bad_*.keras) that
Go must refuse.

"check" expects from Go: seeded.keras (known weights, raw copies in
DIR/seeded/, inputs in DIR/inputs.f32) and roundtrip.keras (py.keras read and
written again by Go). It loads both with keras.models.load_model, compares
them with the tutorial's model and with the raw copies, fits seeded.keras
and saves it again as resaved.keras (variables in DIR/resaved/).

Either prints one JSON object on stdout; the Go test asserts on it. The script
asserts nothing itself beyond what it needs to go on: Go decides.
"""

import contextlib
import difflib
import gzip
import io
import json
import os
import sys
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import keras  # noqa: E402

DATA = "/usr/share/datasets/fashion-mnist"


def samples(n, split="train"):
    """The first n Fashion-MNIST samples, read from the gzip IDX files
    (keras.datasets would download them)."""
    with gzip.open(f"{DATA}/{split}-images-idx3-ubyte.gz") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)[:n]
    with gzip.open(f"{DATA}/{split}-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)[:n]
    return (x / 255.0).astype("float32"), y.astype("int64")


def tutorial(compiled=True):
    """The tutorial's model, as the tutorial writes it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # input_shape on a layer is deprecated
        model = keras.Sequential([
            keras.layers.Flatten(input_shape=(28, 28)),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ])
    if compiled:
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def dump(model, d):
    """Writes the model's and its optimizer's variables to d as raw
    little-endian files: kernel0.f32, bias0.f32, ..., iterations.i64,
    learning_rate.f32, m0_kernel.f32, v0_kernel.f32, m0_bias.f32, ..."""
    os.makedirs(d, exist_ok=True)
    dense = [l for l in model.layers if isinstance(l, keras.layers.Dense)]
    for i, l in enumerate(dense):
        l.kernel.numpy().astype("<f4").tofile(f"{d}/kernel{i}.f32")
        l.bias.numpy().astype("<f4").tofile(f"{d}/bias{i}.f32")
    opt = model.optimizer
    if opt is None or not opt.built:
        return
    np.asarray(opt.iterations.numpy(), "<i8").tofile(f"{d}/iterations.i64")
    np.asarray(opt.learning_rate.numpy(), "<f4").tofile(f"{d}/learning_rate.f32")
    for i, l in enumerate(dense):
        for what, var in (("kernel", l.kernel), ("bias", l.bias)):
            k = opt._get_variable_index(var)
            opt._momentums[k].numpy().astype("<f4").tofile(f"{d}/m{i}_{what}.f32")
            opt._velocities[k].numpy().astype("<f4").tofile(f"{d}/v{i}_{what}.f32")


def load_raw(d):
    out = {}
    for name in os.listdir(d):
        stem, ext = os.path.splitext(name)
        out[stem] = np.fromfile(f"{d}/{name}", "<f4" if ext == ".f32" else "<i8")
    return out


def variables(model):
    """The same variables as dump, flattened, by the same names."""
    out = {}
    dense = [l for l in model.layers if isinstance(l, keras.layers.Dense)]
    for i, l in enumerate(dense):
        out[f"kernel{i}"] = l.kernel.numpy().ravel()
        out[f"bias{i}"] = l.bias.numpy().ravel()
    opt = model.optimizer
    if opt is not None and opt.built:
        out["iterations"] = np.asarray(opt.iterations.numpy()).ravel()
        out["learning_rate"] = np.asarray(opt.learning_rate.numpy()).ravel()
        for i, l in enumerate(dense):
            for what, var in (("kernel", l.kernel), ("bias", l.bias)):
                k = opt._get_variable_index(var)
                out[f"m{i}_{what}"] = opt._momentums[k].numpy().ravel()
                out[f"v{i}_{what}"] = opt._velocities[k].numpy().ravel()
    return out


def load(path):
    """load_model, with the warnings it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = keras.models.load_model(path)
    return model, [str(w.message) for w in caught]


def strip(config):
    """A config without what differs between two equal models: names and
    the ids Keras gives shared objects."""
    if isinstance(config, dict):
        return {k: strip(v) for k, v in config.items() if k not in ("name", "shared_object_id")}
    if isinstance(config, list):
        return [strip(v) for v in config]
    return config


def config_diff(a, b):
    """A unified diff of two configs after strip, empty when they are equal."""
    a, b = (json.dumps(strip(c), indent=1, sort_keys=True).splitlines() for c in (a, b))
    return "\n".join(difflib.unified_diff(a, b, "python", "go", lineterm=""))


def summary(model):
    lines = []
    model.summary(print_fn=lambda s, **kw: lines.append(s))
    return "\n".join(lines)


def make(d):
    keras.utils.set_random_seed(7)
    x, y = samples(256)
    model = tutorial()
    model.fit(x, y, epochs=1, batch_size=64, verbose=0)  # 4 steps: Adam has state
    model.save(f"{d}/py.keras")
    dump(model, f"{d}/py")
    tutorial(compiled=False).save(f"{d}/py_uncompiled.keras")
    tutorial().save(f"{d}/py_unfit.keras")  # compiled, optimizer never built

    L = keras.layers

    def seq(*layers):
        def build():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return keras.Sequential([make() for make in layers])
        return build

    def flatten(shape=(28, 28)):
        return lambda: L.Flatten(input_shape=shape)

    def dense(units, activation, **kw):
        return lambda: L.Dense(units, activation=activation, **kw)

    def functional():
        inputs = keras.Input((28, 28))
        h = L.Dense(128, activation="relu")(L.Flatten()(inputs))
        return keras.Model(inputs, L.Dense(10, activation="softmax")(h))

    def nadam():
        model = tutorial(compiled=False)
        model.compile(optimizer="nadam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    bad = {
        "dense64": seq(flatten(), dense(128, "relu"), dense(64, "softmax")),
        "three_dense": seq(flatten(), dense(128, "relu"), dense(64, "relu"), dense(10, "softmax")),
        "tanh": seq(flatten(), dense(128, "tanh"), dense(10, "softmax")),
        "input32": seq(flatten((32, 32)), dense(128, "relu"), dense(10, "softmax")),
        "dropout": seq(flatten(), dense(128, "relu"), lambda: L.Dropout(0.2), dense(10, "softmax")),
        "conv": seq(lambda: L.Input((28, 28, 1)), lambda: L.Conv2D(4, 3, activation="relu"), lambda: L.Flatten(),
                    dense(10, "softmax")),
        "no_bias": seq(flatten(), dense(128, "relu", use_bias=False), dense(10, "softmax")),
        "functional": functional,
        "nadam": nadam,
    }
    for name, build in bad.items():
        # A fresh session for each, so that layers get the names they have
        # in a script of their own: dense, dense_1.
        keras.backend.clear_session()
        build().save(f"{d}/bad_{name}.keras")
    return {"keras_version": keras.__version__, "bad": sorted(bad)}


def check(d):
    # Built first, so that it gets Keras's default names (sequential, dense,
    # dense_1) and its summary compares as text with the loaded models'.
    ref = tutorial()
    ref.optimizer.build(ref.trainable_variables)
    out = {"keras_version": keras.__version__}

    # Go wrote seeded.keras with known weights.
    model, warns = load(f"{d}/seeded.keras")
    raw = load_raw(f"{d}/seeded")
    got = variables(model)
    inputs = np.fromfile(f"{d}/inputs.f32", "<f4").reshape(-1, 28, 28)
    h = np.maximum(inputs.reshape(len(inputs), -1).astype("float64") @ raw["kernel0"].reshape(784, 128) + raw["bias0"], 0)
    logits = h @ raw["kernel1"].reshape(128, 10) + raw["bias1"]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    numpy_pred = e / e.sum(axis=1, keepdims=True)
    keras_pred = model.predict(inputs, verbose=0)
    x, y = samples(512)
    before = float(model.evaluate(x, y, verbose=0)[0])
    model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    after = float(model.evaluate(x, y, verbose=0)[0])
    model.save(f"{d}/resaved.keras")
    dump(model, f"{d}/resaved")
    out["seeded"] = {
        "class": type(model).__name__,
        "warnings": warns,
        "config_diff": config_diff(ref.get_config(), model.get_config()),
        "compile_config_diff": config_diff(ref.get_compile_config(), model.get_compile_config()),
        "summary_equal": summary(model) == summary(ref),
        "summary": summary(model),
        "layer_params": [l.count_params() for l in model.layers],
        "params": model.count_params(),
        "input_shape": list(model.input_shape),
        "weights_equal": {k: bool(np.array_equal(got[k], raw[k])) for k in ("kernel0", "bias0", "kernel1", "bias1")},
        "iterations_loaded": int(got["iterations"][0]),
        "numpy_max_diff": float(np.abs(keras_pred - numpy_pred).max()),
        "predictions": keras_pred.astype("float64").tolist(),
        "loss_before": before,
        "loss_after": after,
        "iterations_after": int(model.optimizer.iterations.numpy()),
    }

    # Go read py.keras and wrote it again as roundtrip.keras.
    model, warns = load(f"{d}/roundtrip.keras")
    raw = load_raw(f"{d}/py")
    got = variables(model)
    py, _ = load(f"{d}/py.keras")
    out["roundtrip"] = {
        "class": type(model).__name__,
        "warnings": warns,
        "config_diff": config_diff(py.get_config(), model.get_config()),
        "compile_config_diff": config_diff(py.get_compile_config(), model.get_compile_config()),
        "equal": {k: bool(np.array_equal(got.get(k), raw[k])) for k in sorted(raw)},
    }
    return out


def main():
    cmd, d = sys.argv[1], sys.argv[2]
    # Keras and TensorFlow print progress and notices on stdout; only the
    # JSON goes there.
    with contextlib.redirect_stdout(io.StringIO()) as noise:
        out = {"make": make, "check": check}[cmd](d)
    sys.stderr.write(noise.getvalue())
    print(json.dumps(out))


if __name__ == "__main__":
    main()
