"""Measures a SavedModel written by Go's package savedmodel with Python TensorFlow.

usage: check_savedmodel.py MODEL_DIR IMAGES.npy LABELS.npy GO_PROBS.npy

IMAGES.npy holds float32 [n, 28, 28] images scaled to [0, 1], LABELS.npy
their labels, GO_PROBS.npy the float32 [n, 10] probabilities Go predicted.
Prints one line "RESULT {json}" with what it measured; the Go test
(savedmodel/python_test.go) decides what passes. A section that raises is
reported under "errors" and the others still run.
"""

import json
import os
import subprocess
import sys
import traceback

import numpy as np


def main():
    model_dir, images_path, labels_path, go_probs_path = sys.argv[1:5]
    images = np.load(images_path)
    labels = np.load(labels_path).astype(np.int64)
    go_probs = np.load(go_probs_path)
    go_classes = np.argmax(go_probs, axis=1)
    result = {"n": int(images.shape[0]), "errors": {}}

    import tensorflow as tf  # imported late: it takes seconds

    def section(name, fn):
        try:
            fn()
        except Exception:  # report, do not hide the other figures
            result["errors"][name] = traceback.format_exc()

    loaded = tf.saved_model.load(model_dir)

    def dims(shape):
        # JSON has no None; -1 is how TensorFlow writes an unknown dimension.
        return [-1 if d is None else d for d in shape.as_list()]

    def signature():
        sig = loaded.signatures["serving_default"]
        result["signature_keys"] = sorted(loaded.signatures.keys())
        _, kwargs = sig.structured_input_signature
        result["signature_inputs"] = {
            k: {"dtype": v.dtype.name, "shape": dims(v.shape)} for k, v in kwargs.items()
        }
        result["signature_outputs"] = {
            k: {"dtype": v.dtype.name, "shape": dims(v.shape)}
            for k, v in sig.structured_outputs.items()
        }
        probs = sig(images=tf.constant(images))["probabilities"].numpy()
        result["max_abs_diff"] = float(np.max(np.abs(probs - go_probs)))
        result["python_accuracy"] = float(np.mean(np.argmax(probs, axis=1) == labels))
        result["go_accuracy"] = float(np.mean(go_classes == labels))
        if "serving_uint8" in loaded.signatures:
            pixels = np.rint(images * 255).astype(np.uint8)
            p8 = loaded.signatures["serving_uint8"](pixels=tf.constant(pixels))["probabilities"].numpy()
            result["uint8_max_abs_diff"] = float(np.max(np.abs(p8 - go_probs)))

    def variables():
        result["variables"] = [
            {
                "name": v.name,
                "shape": dims(v.shape),
                "dtype": v.dtype.name,
                "trainable": bool(v.trainable),
            }
            for v in loaded.variables
        ]

    def tfsm_layer():
        import keras

        layer = keras.layers.TFSMLayer(model_dir, call_endpoint="serving_default")
        inputs = keras.Input(shape=(28, 28), dtype="float32")
        model = keras.Model(inputs, layer(inputs)["probabilities"])
        probs = model.predict(images, batch_size=1000, verbose=0)
        result["tfsm_max_abs_diff"] = float(np.max(np.abs(probs - go_probs)))
        result["tfsm_trainable_weights"] = [
            {"name": w.name, "shape": list(w.shape)} for w in model.trainable_weights
        ]
        result["tfsm_non_trainable_weights"] = len(model.non_trainable_weights)

        # A short fine-tuning on the first 2,000 images must lower their loss.
        x, y = images[:2000], labels[:2000]
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1),
                      loss="sparse_categorical_crossentropy")
        result["fit_loss_before"] = float(model.evaluate(x, y, batch_size=500, verbose=0))
        model.fit(x, y, epochs=3, batch_size=100, verbose=0, shuffle=False)
        result["fit_loss_after"] = float(model.evaluate(x, y, batch_size=500, verbose=0))

    def saved_model_cli():
        cli = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
        proc = subprocess.run([cli, "show", "--dir", model_dir, "--all"],
                              capture_output=True, text=True, timeout=300)
        result["saved_model_cli"] = {"returncode": proc.returncode, "stdout": proc.stdout,
                                     "stderr_tail": proc.stderr[-2000:]}

    def tflite():
        converter = tf.lite.TFLiteConverter.from_saved_model(model_dir)
        flat = converter.convert()
        result["tflite_bytes"] = len(flat)
        interpreter = tf.lite.Interpreter(model_content=flat)
        result["tflite_signatures"] = sorted(interpreter.get_signature_list().keys())
        runner = interpreter.get_signature_runner("serving_default")
        probs = runner(images=images)["probabilities"]
        result["tflite_agreement"] = float(np.mean(np.argmax(probs, axis=1) == go_classes))
        result["tflite_max_abs_diff"] = float(np.max(np.abs(probs - go_probs)))

    # TFSMLayer's fine-tuning changes its own copy of the model only: it
    # loads the directory again.
    for name, fn in [("signature", signature), ("variables", variables),
                     ("tfsm_layer", tfsm_layer), ("saved_model_cli", saved_model_cli),
                     ("tflite", tflite)]:
        section(name, fn)

    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
