"""What the peer sides of the benchmark share (scripts/bench_peers_jax.py,
bench_peers_torch.py, bench_peers_tf.py): the command line cmd/bench passes,
the data, the initial weights, the shuffling, the timing helpers and the
result file.

NumPy only: the JAX and PyTorch scripts run with .venv.peers's Python, which
has no TensorFlow, the TensorFlow one with the main .venv's.

Every peer trains the tutorial's MLP (Flatten(28, 28) -> Dense(128, relu) ->
Dense(10, softmax)) from the same initial weights for a given seed
(Glorot-uniform kernels, zero biases, drawn here with NumPy) on the same
batches (the training images permuted afresh every epoch, from the seed and
the epoch), with Adam(1e-3, 0.9, 0.999, 1e-7) and sparse categorical
cross-entropy, batch 32, the whole data set resident in the framework's
memory; so the peers differ only in how each framework runs the step.
"""
import argparse
import gzip
import json
import os
import platform
import resource
import time

import numpy as np

LEARNING_RATE, BETA_1, BETA_2, EPSILON = 1e-3, 0.9, 0.999, 1e-7
HIDDEN, CLASSES, PIXELS = 128, 10, 28 * 28


def parse_args(description, modes, extra=None):
    """The command line; extra(parser) adds a script's own arguments."""
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=modes)
    p.add_argument("--data", required=True, help="directory with the four Fashion-MNIST IDX files")
    p.add_argument("--json", required=True, help="where to write the results")
    p.add_argument("--seed", type=int, default=1, help="initial weights and shuffling")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--predict-repeats", type=int, default=3, help="timed batch predictions of the test set, after one warm-up")
    p.add_argument("--intra", type=int, default=0, help="intra-op threads (0: the framework's default, every core)")
    p.add_argument("--inter", type=int, default=0, help="inter-op threads (0: the framework's default)")
    p.add_argument("--latency-n", type=int, default=0, help="timed single-image predictions per method after training (0: none)")
    p.add_argument("--latency-warmup", type=int, default=100)
    p.add_argument("--image", type=int, default=0, help="index of the test image the latency calls predict")
    p.add_argument("--side", default="", help="the side's name in the result (default: the script's and the mode's, such as jax-scan)")
    if extra:
        extra(p)
    return p.parse_args()


# --- data: the same as scripts/bench_keras.py's (which imports TensorFlow,
# so this environment cannot import it), float32(p / 255) bit for bit as
# Go's loader.Split.Scaled.

def _find(data_dir, name):
    for candidate in (name, name + ".gz"):
        path = os.path.join(data_dir, candidate)
        if os.path.isfile(path):
            return path
    raise FileNotFoundError(f"{name}[.gz] not found in {data_dir}")


def _read_idx(data_dir, name, offset):
    path = _find(data_dir, name)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


SCALE = (np.arange(256, dtype=np.float64) / 255.0).astype(np.float32)


def load_split(data_dir, kind):
    """Images as float32 (n, 28, 28) in [0, 1], labels as int32."""
    images = _read_idx(data_dir, f"{kind}-images-idx3-ubyte", 16).reshape(-1, 28, 28)
    labels = _read_idx(data_dir, f"{kind}-labels-idx1-ubyte", 8)
    return SCALE[images], labels.astype(np.int32)


# --- the model's starting point and the order of the batches

def glorot_params(seed):
    """Keras's defaults: Glorot-uniform kernels (limit sqrt(6 / (fan_in +
    fan_out))), zero biases; kernels shaped (in, out) as Keras's."""
    rng = np.random.default_rng(seed)

    def kernel(fan_in, fan_out):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32)

    return {
        "w1": kernel(PIXELS, HIDDEN),
        "b1": np.zeros(HIDDEN, np.float32),
        "w2": kernel(HIDDEN, CLASSES),
        "b2": np.zeros(CLASSES, np.float32),
    }


def epoch_batches(seed, epoch, n, batch_size):
    """The epoch's order of the training examples, reshuffled every epoch:
    (full, batch_size) int32 indices of the whole batches and the indices of
    the last, partial batch (empty when batch_size divides n, as 32 does
    60,000)."""
    order = np.random.default_rng([seed, epoch]).permutation(n).astype(np.int32)
    full = n // batch_size
    return order[: full * batch_size].reshape(full, batch_size), order[full * batch_size :]


def batches_of(x, batch_size):
    return [x[i : i + batch_size] for i in range(0, len(x), batch_size)]


def evaluate_batches(evaluate_batch, x, y, batch_size):
    """Keras's model.evaluate of (x, y) at batch_size, with evaluate_batch(x,
    y) -> (the batch's summed loss, its count of correct predictions) in the
    framework: NumPy batches in, every batch's figures summed, the mean loss
    and the accuracy out. Returns the function that evaluates once."""
    pairs = list(zip(batches_of(x, batch_size), batches_of(y, batch_size)))

    def evaluate():
        sums = [evaluate_batch(xb, yb) for xb, yb in pairs]
        return sum(float(l) for l, _ in sums) / len(y), sum(int(c) for _, c in sums) / len(y)

    return evaluate


# --- timing

class EpochClock:
    """Seconds of each epoch, from the end of the one before (or the start)
    to the end of this one, as cmd/bench times Go's and Keras's epochs: the
    shuffling is included."""

    def __init__(self):
        self.last = time.perf_counter()
        self.seconds = []

    def tick(self):
        now = time.perf_counter()
        self.seconds.append(now - self.last)
        self.last = now


def time_repeats(fn, repeats):
    """One untimed warm-up call, then repeats timed calls: their seconds."""
    fn()
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


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


def max_rss_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def cores():
    return len(os.sched_getaffinity(0))


# --- the result file, in the shape of scripts/bench_keras.py's train result

def result(args, side, clock, train_loss, train_accuracy, test_loss, test_accuracy, n_train, n_test, predict_seconds, rss_kb):
    return {
        "side": args.side or side,
        "seed": args.seed,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "train_examples": int(n_train),
        "epoch_seconds": clock.seconds,
        "train_loss": float(train_loss),
        "train_accuracy": float(train_accuracy),
        "test_loss": float(test_loss),
        "test_accuracy": float(test_accuracy),
        "predict_images": int(n_test),
        "predict_seconds": predict_seconds,
        "peak_rss_kb_after_training": int(rss_kb),
    }


def versions(*names):
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for name in names:
        out[name] = md.version(name)
    return out


def write(path, res):
    with open(path, "w") as f:
        json.dump(res, f)
