"""The JAX side of cmd/bench -peers: the tutorial's MLP trained with JAX on the
CPU, run by .venv.peers's Python (scripts/peers-install.sh). Two modes:

  scan   a whole epoch is one compiled program: jax.lax.scan over the epoch's
         batches of indices into the resident training images, one jit call
         per epoch (a last partial batch, none at batch 32, would take one
         jitted step).
  step   one jitted training step per batch, called from Python with the
         batch's 32 indices into the resident images.
  scan-bytes
         scan, the resident training images kept as their bytes and each
         batch divided by 255 in the step, as Go keeps images that are
         bytes over 255 (tfmodel's scaledBytes): what that alone gives JAX.

Both then evaluate on the test set, time batch prediction of the 10,000 test
images at batch 32 (the jitted forward pass, NumPy in, NumPy out, as Keras's
model.predict) and their evaluation at batch 32 (a jitted step per batch
summing its loss and correct predictions, as Keras's model.evaluate), and
with --latency-n, single-image prediction latency.

Adam is Keras 3's, written out (keras/src/optimizers/adam.py): m += (g - m)
(1 - beta1), v += (g^2 - v)(1 - beta2), w -= m lr_t / (sqrt(v) + eps) with
lr_t = lr sqrt(1 - beta2^t) / (1 - beta1^t): epsilon outside the square
root, not bias-corrected, unlike optax.adam. The loss is sparse categorical
cross-entropy of the softmax, computed from the logits (log_softmax), as
Keras computes it from a softmax layer's output.

Threads: XLA's CPU client runs one thread pool over the cores this process
may use; --intra N (N > 0) restricts the process to N cores (there is no
other knob for it), 0 leaves every core.
"""
import os
import sys

import numpy as np

import bench_peers_common as common


def pin_threads(intra):
    # Before JAX starts its thread pools.
    if intra > 0 and intra < common.cores():
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[:intra])


def build(jax, jnp):
    lax = jax.lax
    lr, b1, b2, eps = common.LEARNING_RATE, common.BETA_1, common.BETA_2, common.EPSILON

    def logits_of(params, x):
        h = jax.nn.relu(x.reshape(x.shape[0], -1) @ params["w1"] + params["b1"])
        return h @ params["w2"] + params["b2"]

    def loss_of(params, x, y):
        logits = logits_of(params, x)
        logp = jax.nn.log_softmax(logits)
        loss = -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))
        return loss, logits

    def step(carry, xs, ys, idx):
        # carry: (params, m, v, iterations, loss sum, correct count); the
        # running sums are the epoch's loss and accuracy logs, as Keras's.
        params, m, v, t, loss_sum, correct = carry
        x, y = jnp.take(xs, idx, axis=0), jnp.take(ys, idx, axis=0)
        if x.dtype == jnp.uint8:
            x = x.astype(jnp.float32) / jnp.float32(255)
        (loss, logits), g = jax.value_and_grad(loss_of, has_aux=True)(params, x, y)
        t = t + 1
        tf32 = t.astype(jnp.float32)
        alpha = lr * jnp.sqrt(1 - b2**tf32) / (1 - b1**tf32)
        tree = jax.tree_util.tree_map
        m = tree(lambda m, g: m + (g - m) * (1 - b1), m, g)
        v = tree(lambda v, g: v + (jnp.square(g) - v) * (1 - b2), v, g)
        params = tree(lambda p, m, v: p - (m * alpha) / (jnp.sqrt(v) + eps), params, m, v)
        hits = jnp.sum((jnp.argmax(logits, axis=1) == y).astype(jnp.int32))
        return (params, m, v, t, loss_sum + loss * idx.shape[0], correct + hits)

    def epoch(carry, xs, ys, batches):
        def body(carry, idx):
            return step(carry, xs, ys, idx), None

        carry, _ = lax.scan(body, carry, batches)
        return carry

    def probabilities(params, x):
        return jax.nn.softmax(logits_of(params, x))

    def evaluate(params, x, y):
        loss, logits = loss_of(params, x, y)
        return loss, jnp.mean((jnp.argmax(logits, axis=1) == y).astype(jnp.float32))

    def evaluate_batch(params, x, y):
        # Keras's evaluation step: the batch's summed loss and correct count.
        loss, logits = loss_of(params, x, y)
        return loss * x.shape[0], jnp.sum((jnp.argmax(logits, axis=1) == y).astype(jnp.int32))

    return {
        "step": jax.jit(step, donate_argnums=0),
        "epoch": jax.jit(epoch, donate_argnums=0),
        "probabilities": jax.jit(probabilities),
        "evaluate": jax.jit(evaluate),
        "evaluate_batch": jax.jit(evaluate_batch),
    }


def main():
    args = common.parse_args(__doc__, ["scan", "step", "scan-bytes"])
    pin_threads(args.intra)
    import jax
    import jax.numpy as jnp

    if jax.devices()[0].platform != "cpu":
        sys.exit(f"JAX runs on {jax.devices()[0]}, not the CPU")
    fns = build(jax, jnp)
    x_train, y_train = common.load_split(args.data, "train")
    x_test, y_test = common.load_split(args.data, "t10k")
    resident = x_train
    if args.mode == "scan-bytes":
        resident = np.rint(x_train * 255).astype(np.uint8)
        assert np.array_equal(common.SCALE[resident], x_train)
    xs, ys = jax.device_put(resident), jax.device_put(y_train)  # resident for the whole run

    params = {k: jnp.asarray(v) for k, v in common.glorot_params(args.seed).items()}
    zeros = lambda: {k: jnp.zeros_like(v) for k, v in params.items()}
    carry = (params, zeros(), zeros(), jnp.int32(0), jnp.float32(0), jnp.int32(0))

    clock = common.EpochClock()
    n = len(y_train)
    for e in range(args.epochs):
        full, rest = common.epoch_batches(args.seed, e, n, args.batch_size)
        params, m, v, t = carry[:4]
        carry = (params, m, v, t, jnp.float32(0), jnp.int32(0))
        if args.mode in ("scan", "scan-bytes"):
            carry = fns["epoch"](carry, xs, ys, full)
        else:
            for idx in full:
                carry = fns["step"](carry, xs, ys, idx)
        if len(rest):
            carry = fns["step"](carry, xs, ys, rest)
        jax.block_until_ready(carry)
        clock.tick()
    rss = common.max_rss_kb()
    params, loss_sum, correct = carry[0], float(carry[4]), int(carry[5])

    test_loss, test_acc = fns["evaluate"](params, jnp.asarray(x_test), jnp.asarray(y_test))
    probs = fns["probabilities"]
    test_batches = common.batches_of(x_test, args.batch_size)
    predict = lambda: [np.asarray(probs(params, b)) for b in test_batches]
    predict_seconds = common.time_repeats(predict, args.predict_repeats)
    evaluate_batch = lambda x, y: fns["evaluate_batch"](params, x, y)
    evaluate = common.evaluate_batches(evaluate_batch, x_test, y_test, args.batch_size)
    evaluate_seconds = common.time_repeats(evaluate, args.predict_repeats)

    res = common.result(args, f"jax-{args.mode}", clock, loss_sum / n, correct / n, test_loss, test_acc,
                        n, len(y_test), predict_seconds, rss)
    res["evaluate_seconds"] = evaluate_seconds
    res["optimizer"] = "Keras 3's Adam written out in jax.numpy"
    res["versions"] = common.versions("jax", "jaxlib", "numpy")
    res["threads"] = {"intra_op": common.cores(), "inter_op": 0}
    res["threads_note"] = f"XLA's CPU client, one thread pool over the {common.cores()} cores this process may use"
    if args.latency_n > 0:
        x1 = x_test[args.image : args.image + 1]
        (times,) = common.time_interleaved([lambda: np.asarray(probs(params, x1))], args.latency_warmup, args.latency_n)
        res["latency_image"] = args.image
        res["latency_warmup"] = args.latency_warmup
        res["latency_seconds"] = {"jax-jit": times}
    common.write(args.json, res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
