"""Python side of kerasfile's tests: Keras itself writes and reads .keras files.

    check_keras.py make DIR    writes Python-saved models into DIR
    check_keras.py check DIR   loads the Go-written models in DIR

"make" saves py_NAME.keras for each model of GOOD (compiled with each
optimizer kerasfile knows, fit two steps so that the optimizer has state),
py_uncompiled.keras and py_unfit.keras (compiled, never fit), and models
Go must refuse, bad_NAME.keras. It prints what each py_ file holds, as
dump describes it, and the names of the bad ones.

"check" loads every DIR/go_*.keras and DIR/rt_*.keras (py_*.keras read and
written again by Go) with keras.models.load_model, and prints for each the
warnings load_model gave, what the model holds (dump), its compile config,
and what one step of fit did; for rt_ files, also how their config and
variables differ from the py_ file's.

Either prints one JSON object on stdout; the Go test asserts on it. The script
asserts nothing itself beyond what it needs to go on: Go decides.
"""

import contextlib
import difflib
import glob
import io
import json
import os
import sys
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402
import keras  # noqa: E402

L = keras.layers
O = keras.optimizers


def mixed():
    """Flatten, Dense, Dropout and Reshape, as kerasfile's tests build them
    (models_test.go, mixed)."""
    return keras.Sequential([
        keras.Input((4, 3)), L.Flatten(), L.Dense(5, activation="gelu"), L.Dropout(0.3, seed=7),
        L.Reshape((5, 1)), L.Flatten(), L.Dense(1, activation="sigmoid"),
    ])


def classifier():
    return keras.Sequential([keras.Input((4, 3)), L.Flatten(), L.Dense(6, activation="relu"), L.Dense(3)])


def convnet():
    return keras.Sequential([
        keras.Input((6, 6, 1)), L.Conv2D(2, 3, activation="relu"), L.MaxPooling2D(2), L.Flatten(),
        L.Dense(3, activation="softmax"),
    ])


# name: (model, optimizer, loss, metrics)
GOOD = {
    "sgd": (mixed, lambda: O.SGD(momentum=0.9, nesterov=True), lambda: "binary_crossentropy", lambda: ["accuracy", "mae"]),
    "adam": (classifier, lambda: O.Adam(learning_rate=0.002),
             lambda: keras.losses.SparseCategoricalCrossentropy(from_logits=True), lambda: ["accuracy"]),
    "adamw": (mixed, O.AdamW, lambda: "binary_crossentropy", lambda: ["accuracy"]),
    "rmsprop": (mixed, lambda: O.RMSprop(centered=True, momentum=0.5), lambda: "mse",
                lambda: [keras.metrics.MeanAbsoluteError()]),
    "conv": (convnet, O.Adam, lambda: "sparse_categorical_crossentropy", lambda: ["accuracy"]),
}


def data(model, n=8, seed=0):
    """n random examples for model and targets that suit its loss."""
    rng = np.random.default_rng(seed)
    x = rng.random((n,) + tuple(model.input_shape[1:])).astype("float32")
    loss = model.get_compile_config()["loss"]
    name = (loss if isinstance(loss, str) else loss["class_name"]).lower()
    out = model.output_shape[-1]
    if "sparse" in name:
        y = rng.integers(0, out, n)
    elif "binary" in name:
        y = rng.integers(0, 2, (n, out)).astype("float32")
    else:
        y = rng.random((n, out)).astype("float32")
    return x, y


def plain(x):
    """x as JSON sees it: tuples as lists."""
    return json.loads(json.dumps(x))


def variable(v, name=False):
    a = np.asarray(v.numpy())
    out = {"shape": list(a.shape), "values": [float(x) for x in a.ravel()]}
    if name:
        out["name"] = v.name
    return out


def dump(model):
    """What a .keras file holds for kerasfile: the layers with their
    configs (without name, trainable, dtype), build shapes and variables in
    the order save_own_variables writes them; the optimizer's variables in
    the order it saves them; loss and metrics."""
    out = {"name": model.name, "input_shape": list(model.input_shape[1:]), "layers": [], "optimizer": None}
    for layer in model.layers:
        config = plain(layer.get_config())
        for key in ("name", "trainable", "dtype"):
            config.pop(key, None)
        build = layer.get_build_config()
        out["layers"].append({
            "class": type(layer).__name__,
            "name": layer.name,
            "config": config,
            "build_input_shape": list(build["input_shape"][1:]) if build else None,
            "weights": [variable(v) for v in layer._trainable_variables + layer._non_trainable_variables],
        })
    if getattr(model, "optimizer", None) is not None and model.compiled:
        opt = model.optimizer
        out["optimizer"] = {"class": type(opt).__name__, "variables": [variable(v, name=True) for v in opt.variables]}
        compile_config = plain(model.get_compile_config())
        out["loss"], out["metrics"] = compile_config["loss"], compile_config["metrics"]
    return out


def make(d):
    made = {}
    for name, (build, optimizer, loss, metrics) in GOOD.items():
        # A fresh session for each, so that layers get the names they have
        # in a script of their own: dense, dense_1.
        keras.backend.clear_session()
        keras.utils.set_random_seed(7)
        model = build()
        model.compile(optimizer=optimizer(), loss=loss(), metrics=metrics())
        x, y = data(model, 16)
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)  # 2 steps: the optimizer has state
        model.save(f"{d}/py_{name}.keras")
        made[name] = dump(model)
    keras.backend.clear_session()
    uncompiled = mixed()
    uncompiled.save(f"{d}/py_uncompiled.keras")
    made["uncompiled"] = dump(uncompiled)
    keras.backend.clear_session()
    unfit = mixed()
    unfit.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    unfit.save(f"{d}/py_unfit.keras")  # the optimizer never built: no slots
    made["unfit"] = dump(unfit)

    @keras.saving.register_keras_serializable(package="Custom")
    class Scale(L.Layer):
        def call(self, x):
            return 2 * x

    def seq(*layers):
        return lambda: keras.Sequential([keras.Input((4, 3)), L.Flatten()] + [f() for f in layers])

    def functional():
        inputs = keras.Input((4, 3))
        return keras.Model(inputs, L.Dense(1)(L.Flatten()(inputs)))

    def frozen():
        model = seq(lambda: L.Dense(5), lambda: L.Dense(1))()
        model.layers[1].trainable = False
        return model

    def nadam():
        model = seq(lambda: L.Dense(1))()
        model.compile(optimizer="nadam", loss="mse")
        return model

    bad = {
        "functional": functional,
        "nested": seq(lambda: keras.Sequential([L.Dense(2)]), lambda: L.Dense(1)),
        "mixed_precision": seq(lambda: L.Dense(2, dtype="mixed_float16")),
        "frozen": frozen,
        "nadam": nadam,
        "lstm": lambda: keras.Sequential([keras.Input((3, 2)), L.LSTM(2), L.Dense(1)]),
        "custom": seq(Scale, lambda: L.Dense(1)),
    }
    for name, build in bad.items():
        keras.backend.clear_session()
        build().save(f"{d}/bad_{name}.keras")
    return {"keras_version": keras.__version__, "made": made, "bad": sorted(bad)}


def load(path):
    """load_model, with the warnings it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = keras.models.load_model(path)
    return model, [str(w.message) for w in caught]


def strip(config):
    """A config without the ids Keras gives shared objects."""
    if isinstance(config, dict):
        return {k: strip(v) for k, v in config.items() if k != "shared_object_id"}
    if isinstance(config, list):
        return [strip(v) for v in config]
    return config


def config_diff(a, b):
    """A unified diff of two configs after strip, empty when they are equal."""
    a, b = (json.dumps(strip(plain(c)), indent=1, sort_keys=True).splitlines() for c in (a, b))
    return "\n".join(difflib.unified_diff(a, b, "python", "go", lineterm=""))


def check(d):
    out = {"keras_version": keras.__version__, "files": {}}
    for path in sorted(glob.glob(f"{d}/go_*.keras") + glob.glob(f"{d}/rt_*.keras")):
        keras.backend.clear_session()
        name = os.path.basename(path)[:-len(".keras")]
        model, warns = load(path)
        r = {"class": type(model).__name__, "warnings": warns, "dump": dump(model)}
        if name.startswith("rt_"):
            py, _ = load(f"{d}/py_{name[3:]}.keras")
            r["config_diff"] = config_diff(py.get_config(), model.get_config())
            if py.compiled:
                r["compile_config_diff"] = config_diff(py.get_compile_config(), model.get_compile_config())
        if model.compiled:
            x, y = data(model)
            before = int(model.optimizer.iterations.numpy())
            history = model.fit(x, y, batch_size=len(x), epochs=1, verbose=0)
            r["fit"] = {
                "iterations_before": before,
                "iterations_after": int(model.optimizer.iterations.numpy()),
                "loss": float(history.history["loss"][-1]),
            }
        out["files"][name] = r
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
