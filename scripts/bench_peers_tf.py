"""The Python TensorFlow side of cmd/bench -peers: the tutorial's MLP trained by
one tf.function(jit_compile=True) that runs a whole epoch, a tf.range loop
(AutoGraph makes it a tf.while_loop) over the epoch's batches of indices into
the resident training images, XLA compiling the loop and the step into one
program; one call per epoch. Run by the main .venv's Python (the TensorFlow
build the Go side links), not .venv.peers's.

The step is written with TensorFlow's own ops, as a user of TensorFlow
without Keras would write it: the layers' MatMuls, sparse softmax
cross-entropy on the logits, tf.GradientTape, and Keras 3's Adam written out
(m += (g - m)(1 - beta1), v += (g^2 - v)(1 - beta2), w -= m lr_t /
(sqrt(v) + eps), lr_t = lr sqrt(1 - beta2^t) / (1 - beta1^t)), from the same
initial weights and on the same batches as the JAX and PyTorch sides.

Then: test accuracy, batch prediction of the 10,000 test images at batch 32
with a jit-compiled forward pass (NumPy in, NumPy out), and their evaluation
at batch 32 (a jit-compiled step per batch summing its loss and correct
predictions, as Keras's model.evaluate). Threads as the
Keras side sets them (tf.config.threading from --intra/--inter, 0:
TensorFlow's defaults).
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

import bench_peers_common as common


def main():
    args = common.parse_args(__doc__, ["xla-loop"])
    # Before the first op creates TensorFlow's context.
    tf.config.threading.set_intra_op_parallelism_threads(args.intra)
    tf.config.threading.set_inter_op_parallelism_threads(args.inter)

    x_train, y_train = common.load_split(args.data, "train")
    x_test, y_test = common.load_split(args.data, "t10k")
    xs, ys = tf.constant(x_train), tf.constant(y_train)  # resident for the whole run

    init = common.glorot_params(args.seed)
    weights = [tf.Variable(init[k], name=k) for k in ("w1", "b1", "w2", "b2")]
    ms = [tf.Variable(tf.zeros_like(w)) for w in weights]
    vs = [tf.Variable(tf.zeros_like(w)) for w in weights]
    iterations = tf.Variable(0, dtype=tf.int64)
    lr, b1, b2, eps = common.LEARNING_RATE, common.BETA_1, common.BETA_2, common.EPSILON

    def logits_of(x):
        w1, bias1, w2, bias2 = weights
        h = tf.nn.relu(tf.reshape(x, [-1, common.PIXELS]) @ w1 + bias1)
        return h @ w2 + bias2

    @tf.function(jit_compile=True)
    def epoch(xs, ys, batches):
        # batches: (steps, batch) int32 indices. Returns the epoch's loss
        # sum and count of correct predictions (Keras's logs).
        loss_sum = tf.constant(0.0)
        correct = tf.constant(0, tf.int32)
        for i in tf.range(tf.shape(batches)[0]):
            idx = batches[i]
            x, y = tf.gather(xs, idx), tf.gather(ys, idx)
            with tf.GradientTape() as tape:
                logits = logits_of(x)
                loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
            grads = tape.gradient(loss, weights)
            iterations.assign_add(1)
            t = tf.cast(iterations, tf.float32)
            alpha = lr * tf.sqrt(1 - tf.pow(b2, t)) / (1 - tf.pow(b1, t))
            for w, m, v, g in zip(weights, ms, vs, grads):
                m.assign_add((g - m) * (1 - b1))
                v.assign_add((tf.square(g) - v) * (1 - b2))
                w.assign_sub((m * alpha) / (tf.sqrt(v) + eps))
            n = tf.shape(idx)[0]
            loss_sum += loss * tf.cast(n, tf.float32)
            correct += tf.reduce_sum(tf.cast(tf.equal(tf.argmax(logits, axis=1, output_type=tf.int32), y), tf.int32))
        return loss_sum, correct

    clock = common.EpochClock()
    n = len(y_train)
    for e in range(args.epochs):
        full, rest = common.epoch_batches(args.seed, e, n, args.batch_size)
        loss_sum, correct = epoch(xs, ys, tf.constant(full))
        loss_sum, correct = float(loss_sum), int(correct)
        if len(rest):  # a last partial batch: its own (compiled) call
            l, c = epoch(xs, ys, tf.constant(rest[None, :]))
            loss_sum, correct = loss_sum + float(l), correct + int(c)
        clock.tick()
    rss = common.max_rss_kb()

    logits = logits_of(tf.constant(x_test))
    test_loss = float(tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y_test, logits=logits)))
    test_acc = float(np.mean(np.argmax(logits.numpy(), axis=1) == y_test))

    probabilities = tf.function(lambda x: tf.nn.softmax(logits_of(x)), jit_compile=True)
    test_batches = common.batches_of(x_test, args.batch_size)
    predict_seconds = common.time_repeats(lambda: [probabilities(b).numpy() for b in test_batches], args.predict_repeats)

    @tf.function(jit_compile=True)
    def evaluate_batch(x, y):
        logits = logits_of(x)
        loss = tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        return loss, tf.reduce_sum(tf.cast(tf.equal(tf.argmax(logits, axis=1, output_type=tf.int32), y), tf.int32))

    evaluate = common.evaluate_batches(evaluate_batch, x_test, y_test, args.batch_size)
    evaluate_seconds = common.time_repeats(evaluate, args.predict_repeats)

    res = common.result(args, "tf-xla", clock, loss_sum / n, correct / n, test_loss, test_acc,
                        n, len(y_test), predict_seconds, rss)
    res["evaluate_seconds"] = evaluate_seconds
    res["optimizer"] = "Keras 3's Adam written out in TensorFlow ops"
    res["versions"] = {**common.versions("numpy"), "tensorflow": tf.__version__}
    res["threads"] = {
        "intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_op": tf.config.threading.get_inter_op_parallelism_threads(),
    }
    common.write(args.json, res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
