"""Where the XLA-compiled training epoch's time goes: the TF-XLA peer's
program (scripts/bench_peers_tf.py: a whole epoch of the tutorial's MLP in
one tf.function(jit_compile=True), a tf.while_loop over the batches) and
variants of it that each leave one part out or change it, timed in turns,
epoch by epoch, so that the machine's drifting load hits them alike.
BENCHMARKS.md's notes on Go XLA against JAX quote it: Go's compiled epoch
is the same XLA program.

    .venv/bin/python scripts/xla_step_ablation.py [--rounds 5] [variant ...]

Variants (default: all):
  whole       the step as the TF-XLA peer runs it: gather the batch, forward,
              loss, gradients, Adam (Keras 3's update written out), the
              epoch's loss and accuracy sums
  sgd         Adam's update replaced by plain gradient descent: what Adam costs
  no-gather   the batch a fixed slice of the data instead of a gather
  no-metrics  without the loss and accuracy sums
  packed      each kernel's w, m and v carried as one array through the
              loop, so that Adam's update is one output (XLA's CPU compiler
              emits a loop per output array)
  mv-packed   Adam's m and v carried as one array per kernel, the kernel on
              its own: one pass for both moments, one for the kernel
  split2      the first layer's units as two halves of 64 (two kernels, two
              biases, the second layer's kernel split by rows): two
              independent chains XLA could run one per core
  dw-reduce   the first kernel's gradient written as a broadcast multiply
              and a sum over the batch instead of a matrix product, so that
              XLA may fuse it with Adam's update
  preshuffled the epoch's rows put in order on the host before the epoch
              (not timed) and sliced in the loop: the gather's cost, with
              the data still read from memory
  tf-gather   the epoch's rows gathered in order by TensorFlow's own Gather
              kernel before the compiled loop (timed), sliced in the loop:
              what tfmodel's training loop does
  no-sqrt     as tf-gather, Adam's update without its square root (v for
              sqrt(v)): what the square root costs
  no-div      as tf-gather, Adam's update multiplying where it divides
  flat-gather the batch gathered in the loop from a [N, 784] view of the
              data, whole rows of pixels, instead of [N, 28, 28]
  pipelined   as tf-gather, the next step's batch sliced during this step
              (carried through the loop), for XLA to run on the other thread
  halves      as tf-gather, the batch's two halves of 16 through forward and
              backward as two independent chains, their gradients added

XLA options go in XLA_FLAGS as usual, e.g.
XLA_FLAGS=--xla_backend_extra_options=xla_cpu_use_multi_output_fusion. Not
a test and not run by CI: a measurement, printed.
"""
import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

import bench_peers_common as common

VARIANTS = ["whole", "sgd", "no-gather", "no-metrics", "packed", "mv-packed", "split2", "dw-reduce", "preshuffled", "tf-gather",
            "no-sqrt", "no-div", "flat-gather", "pipelined", "halves"]
# Variants that train on the epoch's rows gathered before the compiled loop.
PREGATHERED = ("preshuffled", "tf-gather", "no-sqrt", "no-div", "pipelined", "halves")
LR, B1, B2, EPS = common.LEARNING_RATE, common.BETA_1, common.BETA_2, common.EPSILON


def forward(x, w1, b1, w2, b2):
    h = tf.nn.relu(tf.reshape(x, [-1, common.PIXELS]) @ w1 + b1)
    return h @ w2 + b2


def forward_split(x, w1a, w1b, b1a, b1b, w2a, w2b, b2):
    x = tf.reshape(x, [-1, common.PIXELS])
    return tf.nn.relu(x @ w1a + b1a) @ w2a + tf.nn.relu(x @ w1b + b1b) @ w2b + b2


def split_params(ws):
    w1, b1, w2, b2 = ws
    h = w1.shape[1] // 2
    return [w1[:, :h], w1[:, h:], b1[:h], b1[h:], w2[:h], w2[h:], b2]


def adam(w, m, v, g, alpha, variant=""):
    m = m + (g - m) * (1 - B1)
    v = v + (tf.square(g) - v) * (1 - B2)
    if variant == "no-sqrt":
        return w - (m * alpha) / (v + EPS), m, v
    if variant == "no-div":
        return w - (m * alpha) * (tf.sqrt(v) + EPS), m, v
    return w - (m * alpha) / (tf.sqrt(v) + EPS), m, v


def adam_mv(w, mv, g, alpha):
    rate = tf.reshape(tf.constant([1 - B1, 1 - B2]), [2] + [1] * len(g.shape))
    mv = mv + (tf.stack([g, tf.square(g)]) - mv) * rate
    return w - (mv[0] * alpha) / (tf.sqrt(mv[1]) + EPS), mv


def epoch_fn(variant):
    """One epoch as a compiled function of (data, batches, state) -> (loss sum,
    correct, state); the state is the weights and Adam's moments as values
    carried through the loop (so that the packed variant can carry them
    differently)."""

    @tf.function(jit_compile=True)
    def epoch(xs, ys, batches, t0, state):
        n = tf.shape(batches)[0]

        def pipelined_body(i, t, loss_sum, correct, state, x, y):
            j = tf.minimum(i + 1, n - 1)
            following = (tf.slice(xs, [j * 32, 0, 0], [32, 28, 28]), tf.slice(ys, [j * 32], [32]))
            return body(i, t, loss_sum, correct, state, (x, y)) + following

        def body(i, t, loss_sum, correct, state, batch=None):
            t = t + 1.0
            alpha = LR * tf.sqrt(1 - tf.pow(B2, t)) / (1 - tf.pow(B1, t))
            if variant == "packed":
                ws = [p[0] for p in state]
            elif variant == "mv-packed":
                ws, mvs = state
            else:
                ws, ms, vs = state
            if variant == "no-gather":
                x, y = xs[:32], ys[:32]
            elif variant == "pipelined":
                x, y = batch
            elif variant in PREGATHERED:
                x = tf.slice(xs, [i * 32, 0, 0], [32, 28, 28])
                y = tf.slice(ys, [i * 32], [32])
            elif variant == "flat-gather":
                x, y = tf.gather(tf.reshape(xs, [-1, common.PIXELS]), batches[i]), tf.gather(ys, batches[i])
            else:
                x, y = tf.gather(xs, batches[i]), tf.gather(ys, batches[i])
            with tf.GradientTape() as tape:
                tape.watch(ws)
                if variant == "halves":
                    halves = [forward(x[h * 16:(h + 1) * 16], *ws) for h in (0, 1)]
                    loss = tf.add_n([tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(
                        labels=y[h * 16:(h + 1) * 16], logits=halves[h])) for h in (0, 1)]) / 32.0
                    logits = tf.concat(halves, 0)
                else:
                    logits = forward_split(x, *ws) if variant == "split2" else forward(x, *ws)
                    loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
            grads = tape.gradient(loss, ws)
            if variant == "dw-reduce":
                xf = tf.reshape(x, [-1, common.PIXELS])
                z1 = xf @ ws[0] + ws[1]
                h = tf.nn.relu(z1)
                dl = (tf.nn.softmax(h @ ws[2] + ws[3]) - tf.one_hot(y, 10)) / 32.0
                dz1 = (dl @ tf.transpose(ws[2])) * tf.cast(z1 > 0, tf.float32)
                dw1 = tf.reduce_sum(xf[:, :, None] * dz1[:, None, :], axis=0)
                grads = [dw1] + list(grads[1:])
            if variant == "sgd":
                state = ([w - LR * g for w, g in zip(ws, grads)], ms, vs)
            elif variant == "packed":
                state = [tf.stack(adam(p[0], p[1], p[2], g, alpha)) for p, g in zip(state, grads)]
            elif variant == "mv-packed":
                new = [adam_mv(w, mv, g, alpha) for w, mv, g in zip(ws, mvs, grads)]
                state = tuple(list(z) for z in zip(*new))
            else:
                new = [adam(w, m, v, g, alpha, variant) for w, m, v, g in zip(ws, ms, vs, grads)]
                state = tuple(list(z) for z in zip(*new))
            if variant != "no-metrics":
                loss_sum += loss * 32.0
                correct += tf.reduce_sum(tf.cast(tf.equal(tf.argmax(logits, axis=1, output_type=tf.int32), y), tf.int32))
            return i + 1, t, loss_sum, correct, state

        if variant == "pipelined":
            first = (tf.slice(xs, [0, 0, 0], [32, 28, 28]), tf.slice(ys, [0], [32]))
            _, t, loss_sum, correct, state, _, _ = tf.while_loop(lambda i, *_: i < n, pipelined_body, (0, t0, 0.0, 0, state) + first)
        else:
            _, t, loss_sum, correct, state = tf.while_loop(lambda i, *_: i < n, body, (0, t0, 0.0, 0, state))
        return loss_sum, correct, t, state

    return epoch


@tf.function
def tf_gather_epoch(fn, xs, ys, batches, t0, state):
    """The epoch's rows gathered in order by TensorFlow's own Gather kernel (a
    row-by-row memcpy) before the compiled loop, which slices them."""
    order = tf.reshape(batches, [-1])
    return fn(tf.gather(xs, order), tf.gather(ys, order), batches, t0, state)


def initial_state(variant, seed):
    params = common.glorot_params(seed)
    ws = [tf.constant(params[k]) for k in ("w1", "b1", "w2", "b2")]
    if variant == "split2":
        ws = split_params(ws)
    zeros = [tf.zeros_like(w) for w in ws]
    if variant == "packed":
        return [tf.stack([w, z, z]) for w, z in zip(ws, zeros)]
    if variant == "mv-packed":
        return (ws, [tf.stack([z, z]) for z in zeros])
    return (ws, zeros, list(zeros))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("variants", nargs="*", help=f"any of {', '.join(VARIANTS)} (default: all)")
    p.add_argument("--data", default="", help="directory with the Fashion-MNIST IDX files (default: where loader.Load looks)")
    p.add_argument("--rounds", type=int, default=5, help="timed epochs per variant, after one that compiles")
    args = p.parse_args()
    variants = args.variants or VARIANTS
    for v in variants:
        if v not in VARIANTS:
            p.error(f"unknown variant {v!r}: want any of {', '.join(VARIANTS)}")
    data = args.data or next(d for d in ("/usr/share/datasets/fashion-mnist", os.path.expanduser("~/.keras/datasets/fashion-mnist")) if os.path.isdir(d))
    x, y = common.load_split(data, "train")
    xs, ys = tf.constant(x), tf.constant(y)

    fns = {v: epoch_fn(v) for v in variants}
    state = {v: initial_state(v, 1) for v in variants}
    step = {v: tf.constant(0.0) for v in variants}
    times = {v: [] for v in variants}
    for r in range(args.rounds + 1):
        batches = tf.constant(common.epoch_batches(1, r, len(x), 32)[0])
        for v in variants:
            if v == "preshuffled":  # the epoch's order applied on the host, not timed
                order = batches.numpy().reshape(-1)
                px, py = tf.constant(np.take(x, order, axis=0)), tf.constant(np.take(y, order))
            start = time.perf_counter()
            if v == "preshuffled":
                loss_sum, correct, step[v], state[v] = fns[v](px, py, batches, step[v], state[v])
            elif v in PREGATHERED:
                loss_sum, correct, step[v], state[v] = tf_gather_epoch(fns[v], xs, ys, batches, step[v], state[v])
            else:
                loss_sum, correct, step[v], state[v] = fns[v](xs, ys, batches, step[v], state[v])
            float(loss_sum)  # the epoch is done when its result is on the host
            if r > 0:  # round 0 compiles
                times[v].append(time.perf_counter() - start)
    print(f"{'variant':12s} {'median s/epoch':>15s} {'min':>8s}   (XLA_FLAGS={os.environ.get('XLA_FLAGS', '')!r})")
    for v in variants:
        print(f"{v:12s} {np.median(times[v]):15.4f} {min(times[v]):8.4f}")


if __name__ == "__main__":
    sys.exit(main())
