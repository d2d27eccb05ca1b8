"""Exports the tutorial's Keras model as a SavedModel for Go to load.

usage: keras_export.py MODEL_DIR IMAGES.npy PROBS.npy

Builds Flatten(28x28) -> Dense(128, relu) -> Dense(10, softmax) with seeded
random weights (training is not the point: equality of predictions is),
writes it with Keras 3's model.export(MODEL_DIR), and saves Keras's
predictions on IMAGES.npy (float32 [n, 28, 28]) to PROBS.npy. Prints one line
"RESULT {json}" with the weights' shapes.
"""

import json
import sys

import numpy as np


def main():
    model_dir, images_path, probs_path = sys.argv[1:4]
    images = np.load(images_path)

    import keras

    keras.utils.set_random_seed(7)
    model = keras.Sequential([
        keras.Input(shape=(28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.export(model_dir, verbose=False)
    probs = model.predict(images, batch_size=len(images), verbose=0).astype(np.float32)
    np.save(probs_path, probs)
    print("RESULT " + json.dumps({"weights": [list(w.shape) for w in model.weights]}), flush=True)


if __name__ == "__main__":
    main()
