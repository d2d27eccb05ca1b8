"""Keras's side of "train the same model from the same weights on the same batches".

    parts_equivalence.py CASE_DIR...

Each CASE_DIR is one case, run in order in one process (keras.backend.
clear_session() before each, so layer names restart at dense, dense_1, ...).

Input, written by Go into CASE_DIR:
  case.json   {"input_shape": [d1, ...],
               "layers": [{"class_name": "Dense", "config": {...}}, ...],
               "optimizer": {"class_name": "SGD", "config": {...}},
               "loss": "mse" | {"class_name": "...", "config": {...}},
               "metrics": ["accuracy", "mae", ...],
               "batch_size": B, "epochs": E,
               "seed_states": [[s, c], ...]}          (optional, see below)
      layers: Keras class_name + get_config dicts (keys may be omitted),
      built with keras.saving.deserialize_keras_object(module "keras.layers");
      the model is keras.Sequential([keras.Input(input_shape), *layers]).
      optimizer: keras.optimizers.get({"class_name", "config"}).
      loss: keras.losses.get(loss), a string or a {"class_name", "config"}.
      metrics: handed to compile as given (strings or dicts).
  x.npy       float32 [N, *input_shape]
  y.npy       int32 [N] (sparse labels) or float32 [N, ...] (targets)
  init_<i>.npy  for i in range(len(model.get_weights())): the initial
      weights in model.get_weights() order (kernel, bias per Dense, layer
      by layer). An init_<len>.npy too many, or one missing, is an error.
      Dropout's RNG state is NOT among them: in Keras 3 each Dropout with
      rate > 0 owns a SeedGenerator whose state is an int64[2] variable
      "seed_generator/seed_generator_state", initial value [seed, 0]; it is
      in model.variables and model.non_trainable_variables but not in
      model.weights / get_weights() / set_weights() (nor in .keras files).
  seed_states (optional): one [s, c] per Dropout layer with rate > 0, in
      layer order, assigned to those states after set_weights, e.g. to pin
      a seed=None Dropout (whose seed Keras draws at construction from
      Python's random.randint(1, 10**9)) to a value Go knows.

The script builds and compiles the model (model.compile(optimizer, loss,
metrics)), model.set_weights(init), then
  history = model.fit(x, y, batch_size=B, epochs=E, shuffle=False,
                      verbose=0, callbacks=[records on_train_batch_end logs])

Output, written into CASE_DIR:
  keras_history.json   {"history": history.history,
                        "batches": [logs of each on_train_batch_end, in
                                    order, all epochs]}
      Batch logs are Keras's running values since the start of the epoch
      (what fit's progress bar shows), not per-batch values.
  keras_<i>.npy        final weights, get_weights() order
  keras_evaluate.json  model.evaluate(x, y, batch_size=B, return_dict=True)
  keras_predict.npy    model.predict(x, batch_size=B)
  keras_config.json    {"versions": {keras, tensorflow, numpy},
                        "env": {"TF_ENABLE_ONEDNN_OPTS": value or null},
                        "layers": [{"class_name", "config"}, ...],
                        "optimizer": {"class_name", "config", "iterations"},
                        "loss": keras.losses.serialize(loss),
                        "compiled_loss": [{"name", "class_name", "fn",
                                           "config"}],
                        "compiled_metrics": [{"name", "class_name", "fn",
                                              "config"}],
                        "model_metrics": [{"name", "class_name"}],
                        "seed_generators": [{"layer", "path", "dtype",
                                             "initial", "final"}],
                        "weights": [{"path", "shape", "dtype"}],
                        "variables": [{"path", "shape", "dtype"}]}
      compiled_metrics are the metric objects compile made, after fit:
      "accuracy" shows as class SparseCategoricalAccuracy, BinaryAccuracy
      or CategoricalAccuracy (name still "accuracy"), "mae" as
      MeanAbsoluteError, ...; "fn" is the wrapped function's name.
      compiled_loss is what compile resolved the loss to (a
      LossFunctionWrapper with fn, or a Loss class).
JSON has no NaN or infinity: such floats are written as the strings "nan",
"inf", "-inf". Other floats are Python's shortest repr of a float64; the
logs, history and evaluate values are float32 results widened to float64,
so parsing them as float64 and converting to float32 gives the exact bits.

Prints one line per case, "CASE_DIR ok", on stdout; exits non-zero on the
first error.
"""
import json
import math
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf
import keras


def jsonable(v):
    """Plain JSON values; non-finite floats as strings."""
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, (tf.Tensor, tf.Variable)) or hasattr(v, "numpy"):
        v = np.asarray(v)
    if isinstance(v, np.ndarray):
        return jsonable(v.tolist())
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (np.integer, int)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        f = float(v)
        if math.isnan(f):
            return "nan"
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        return f
    if v is None or isinstance(v, str):
        return v
    return repr(v)


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(jsonable(obj), f, indent=1, allow_nan=False)
        f.write("\n")


class BatchLogs(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batches = []

    def on_train_batch_end(self, batch, logs=None):
        self.batches.append({k: float(np.asarray(v)) for k, v in (logs or {}).items()})


def make_layer(spec):
    return keras.saving.deserialize_keras_object({
        "module": "keras.layers",
        "class_name": spec["class_name"],
        "config": dict(spec.get("config") or {}),
        "registered_name": None,
    })


def describe_metric(m):
    fn = getattr(m, "_fn", None)
    try:
        config = m.get_config()
    except Exception as e:  # noqa: BLE001 - reported, not fatal
        config = f"get_config failed: {e}"
    return {
        "name": m.name,
        "class_name": type(m).__name__,
        "fn": getattr(fn, "__name__", None) if fn is not None else None,
        "config": config,
    }


def describe_loss(name, loss):
    fn = getattr(loss, "fn", None)
    try:
        config = loss.get_config()
    except Exception as e:  # noqa: BLE001
        config = f"get_config failed: {e}"
    return {
        "name": name,
        "class_name": type(loss).__name__,
        "fn": getattr(fn, "__name__", None),
        "fn_kwargs": getattr(loss, "_fn_kwargs", None),
        "config": config,
    }


def seed_generators(model):
    out = []
    for layer in model.layers:
        gen = getattr(layer, "seed_generator", None)
        if gen is not None:
            out.append((layer, gen))
    return out


def run_case(case_dir):
    keras.backend.clear_session()
    with open(os.path.join(case_dir, "case.json")) as f:
        case = json.load(f)
    x = np.load(os.path.join(case_dir, "x.npy"))
    y = np.load(os.path.join(case_dir, "y.npy"))
    if x.dtype != np.float32:
        raise SystemExit(f"{case_dir}: x.npy is {x.dtype}, want float32")

    model = keras.Sequential([keras.Input(tuple(case["input_shape"]))] +
                             [make_layer(s) for s in case["layers"]])
    optimizer = keras.optimizers.get({"class_name": case["optimizer"]["class_name"],
                                      "config": dict(case["optimizer"].get("config") or {})})
    loss = keras.losses.get(case["loss"])
    model.compile(optimizer=optimizer, loss=loss, metrics=case.get("metrics") or None)

    n = len(model.get_weights())
    init = []
    for i in range(n):
        path = os.path.join(case_dir, f"init_{i}.npy")
        if not os.path.exists(path):
            raise SystemExit(f"{case_dir}: missing {path}; the model has {n} weights")
        init.append(np.load(path))
    if os.path.exists(os.path.join(case_dir, f"init_{n}.npy")):
        raise SystemExit(f"{case_dir}: init_{n}.npy given, but the model has only {n} weights")
    for i, (w, v) in enumerate(zip(init, model.weights)):
        if tuple(w.shape) != tuple(v.shape) or w.dtype != np.dtype(v.dtype):
            raise SystemExit(f"{case_dir}: init_{i}.npy is {w.dtype}{list(w.shape)}, "
                             f"{v.path} is {v.dtype}{list(v.shape)}")
    model.set_weights(init)

    gens = seed_generators(model)
    if "seed_states" in case:
        states = case["seed_states"]
        if len(states) != len(gens):
            raise SystemExit(f"{case_dir}: {len(states)} seed_states for {len(gens)} seed generators")
        for (_, gen), s in zip(gens, states):
            gen.state.assign(np.asarray(s, dtype=gen.state.dtype))
    initial_states = [np.asarray(gen.state.numpy()).tolist() for _, gen in gens]

    batch_logs = BatchLogs()
    b, epochs = int(case["batch_size"]), int(case["epochs"])
    history = model.fit(x, y, batch_size=b, epochs=epochs, shuffle=False, verbose=0,
                        callbacks=[batch_logs])
    final_states = [np.asarray(gen.state.numpy()).tolist() for _, gen in gens]

    write_json(os.path.join(case_dir, "keras_history.json"),
               {"history": history.history, "batches": batch_logs.batches})
    for i, w in enumerate(model.get_weights()):
        np.save(os.path.join(case_dir, f"keras_{i}.npy"), w)
    evaluation = model.evaluate(x, y, batch_size=b, return_dict=True, verbose=0)
    write_json(os.path.join(case_dir, "keras_evaluate.json"), evaluation)
    np.save(os.path.join(case_dir, "keras_predict.npy"),
            model.predict(x, batch_size=b, verbose=0))

    compile_metrics = model._compile_metrics
    compile_loss = model._compile_loss
    config = {
        "versions": {"keras": keras.__version__, "tensorflow": tf.__version__, "numpy": np.__version__},
        "env": {"TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS")},
        "layers": [{"class_name": type(l).__name__, "config": l.get_config()} for l in model.layers],
        "optimizer": {"class_name": type(model.optimizer).__name__,
                      "config": model.optimizer.get_config(),
                      "iterations": int(model.optimizer.iterations.numpy())},
        "loss": keras.losses.serialize(loss),
        "compiled_loss": [describe_loss(name, l) for _, l, _, name in (compile_loss._flat_losses or [])],
        "compiled_metrics": [describe_metric(m) for m in (compile_metrics.metrics if compile_metrics else [])],
        "model_metrics": [{"name": m.name, "class_name": type(m).__name__} for m in model.metrics],
        "seed_generators": [{"layer": layer.name, "path": gen.state.path, "dtype": str(gen.state.dtype),
                             "initial": s0, "final": s1}
                            for (layer, gen), s0, s1 in zip(gens, initial_states, final_states)],
        "weights": [{"path": v.path, "shape": list(v.shape), "dtype": str(v.dtype)} for v in model.weights],
        "variables": [{"path": v.path, "shape": list(v.shape), "dtype": str(v.dtype)} for v in model.variables],
    }
    write_json(os.path.join(case_dir, "keras_config.json"), config)


def main(argv):
    if not argv:
        raise SystemExit(__doc__)
    for case_dir in argv:
        run_case(case_dir)
        print(f"{case_dir} ok", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
