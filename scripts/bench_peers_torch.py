"""The PyTorch side of cmd/bench -peers, and ONNX Runtime serving the model it
trained: run by .venv.peers's Python (scripts/peers-install.sh). Two modes:

  eager    the tutorial's MLP as nn.Sequential, one training step per batch
           in eager mode: zero_grad, forward, F.cross_entropy on the logits
           (sparse categorical cross-entropy of the softmax), backward,
           torch.optim.Adam's step.
  compile  the same step function (zero_grad, forward, loss, backward,
           opt.step()) wrapped in torch.compile (Inductor's C++ backend on
           the CPU, built with the system's gcc); compiling happens in
           epoch 1.

The batches are gathered from the resident training images by index. Adam is
torch.optim.Adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-7), PyTorch's own and
its default implementation on a CPU: it adds epsilon to the bias-corrected
sqrt(v / (1 - beta2^t)), Keras to sqrt(v); with epsilon 1e-7 the updates
differ in the last bits only.

Both modes then evaluate on the test set and time batch prediction of the
10,000 test images at batch 32 under torch.inference_mode (NumPy in, NumPy
out, as Keras's model.predict) and their evaluation at batch 32 (per batch
the summed cross-entropy and correct predictions, as Keras's
model.evaluate). With --onnx (eager), the trained weights are
written into an ONNX graph built with onnx.helper (Flatten, Gemm, Relu,
Gemm, Softmax; opset 17) and served by ONNX Runtime's CPU provider: its test
accuracy and batch prediction too. With --latency-n, single-image latency,
PyTorch eager and ONNX Runtime taking turns call by call.

Threads: torch.set_num_threads(--intra) and set_num_interop_threads(--inter)
when given (0: PyTorch's defaults, one thread per core); ONNX Runtime's
intra_op_num_threads and inter_op_num_threads the same (0: its defaults).
OpenMP's wait policy is left as the environment has it: libgomp's default
(spin, then sleep) is PyTorch's fastest on a quiet machine (a step 0.8 ms
here, against 3.5 ms with OMP_WAIT_POLICY=PASSIVE), but with a core taken by
other work a step took 40-340 ms instead (each parallel region waits for a
thread that is not running): a busy machine's PyTorch figures say little.
"""
import os
import sys

import numpy as np

import bench_peers_common as common


def build_model(torch, params):
    nn = torch.nn
    model = nn.Sequential(nn.Flatten(), nn.Linear(common.PIXELS, common.HIDDEN), nn.ReLU(),
                          nn.Linear(common.HIDDEN, common.CLASSES))
    with torch.no_grad():
        # nn.Linear keeps its weight as (out, in): Keras's kernel transposed.
        model[1].weight.copy_(torch.from_numpy(params["w1"].T))
        model[1].bias.copy_(torch.from_numpy(params["b1"]))
        model[3].weight.copy_(torch.from_numpy(params["w2"].T))
        model[3].bias.copy_(torch.from_numpy(params["b2"]))
    return model


def onnx_model(model):
    """The trained MLP as an ONNX graph with its weights as initializers,
    taking (n, 28, 28) images and giving probabilities, like the
    SavedModels' serving signature."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    def weight(name, t):
        return numpy_helper.from_array(t.detach().numpy().copy(), name)

    inits = [weight("w1", model[1].weight), weight("b1", model[1].bias),
             weight("w2", model[3].weight), weight("b2", model[3].bias)]
    nodes = [
        helper.make_node("Flatten", ["images"], ["flat"], axis=1),
        helper.make_node("Gemm", ["flat", "w1", "b1"], ["z1"], transB=1),
        helper.make_node("Relu", ["z1"], ["h"]),
        helper.make_node("Gemm", ["h", "w2", "b2"], ["z2"], transB=1),
        helper.make_node("Softmax", ["z2"], ["probabilities"], axis=1),
    ]
    graph = helper.make_graph(
        nodes, "fashion_mlp",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["n", 28, 28])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["n", common.CLASSES])],
        initializer=inits,
    )
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="bench_peers_torch")
    onnx.checker.check_model(m)
    return m.SerializeToString()


def main():
    def onnx_flag(p):
        p.add_argument("--onnx", action="store_true", help="also serve the trained model with ONNX Runtime")

    args = common.parse_args(__doc__, ["eager", "compile"], onnx_flag)
    import torch
    import torch.nn.functional as F

    if args.intra > 0:
        torch.set_num_threads(args.intra)
    if args.inter > 0:
        torch.set_num_interop_threads(args.inter)
    x_train, y_train = common.load_split(args.data, "train")
    x_test, y_test = common.load_split(args.data, "t10k")
    xs, ys = torch.from_numpy(x_train), torch.from_numpy(y_train).long()  # resident for the whole run

    model = build_model(torch, common.glorot_params(args.seed))
    opt = torch.optim.Adam(model.parameters(), lr=common.LEARNING_RATE,
                           betas=(common.BETA_1, common.BETA_2), eps=common.EPSILON)

    def train_step(x, y):
        opt.zero_grad(set_to_none=True)
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        opt.step()
        return loss.detach(), logits.detach()

    step, net = train_step, model
    if args.mode == "compile":
        # The whole step: Dynamo compiles the forward pass and its backward
        # (AOTAutograd), and the optimizer's update, around the graph
        # breaks it needs (backward(), Optimizer.step's own).
        step, net = torch.compile(train_step), torch.compile(model)

    clock = common.EpochClock()
    n = len(y_train)
    for e in range(args.epochs):
        full, rest = common.epoch_batches(args.seed, e, n, args.batch_size)
        batches = [torch.from_numpy(b).long() for b in list(full) + ([rest] if len(rest) else [])]
        loss_sum = torch.zeros((), dtype=torch.float64)
        correct = torch.zeros((), dtype=torch.int64)
        for idx in batches:
            x, y = xs.index_select(0, idx), ys.index_select(0, idx)
            loss, logits = step(x, y)
            with torch.no_grad():
                loss_sum += loss * len(idx)
                correct += (logits.argmax(1) == y).sum()
        clock.tick()
    rss = common.max_rss_kb()

    model.eval()
    with torch.inference_mode():
        logits = net(torch.from_numpy(x_test))
        yt = torch.from_numpy(y_test).long()
        test_loss = F.cross_entropy(logits, yt).item()
        test_acc = (logits.argmax(1) == yt).double().mean().item()
    test_batches = common.batches_of(x_test, args.batch_size)

    def predict_torch(x):
        with torch.inference_mode():
            return net(torch.from_numpy(x)).softmax(1).numpy()

    predict_seconds = common.time_repeats(lambda: [predict_torch(b) for b in test_batches], args.predict_repeats)

    def evaluate_torch(x, y):
        with torch.inference_mode():
            logits, yt = net(torch.from_numpy(x)), torch.from_numpy(y).long()
            return F.cross_entropy(logits, yt, reduction="sum"), (logits.argmax(1) == yt).sum()

    evaluate = common.evaluate_batches(evaluate_torch, x_test, y_test, args.batch_size)
    evaluate_seconds = common.time_repeats(evaluate, args.predict_repeats)
    res = common.result(args, f"torch-{args.mode}", clock, loss_sum.item() / n, correct.item() / n,
                        test_loss, test_acc, n, len(y_test), predict_seconds, rss)
    res["evaluate_seconds"] = evaluate_seconds
    res["optimizer"] = "torch.optim.Adam (eps added to the bias-corrected sqrt(v))"
    res["versions"] = common.versions("torch", "numpy")
    res["threads"] = {"intra_op": torch.get_num_threads(), "inter_op": torch.get_num_interop_threads()}
    res["threads_note"] = "OMP_WAIT_POLICY=" + os.environ.get("OMP_WAIT_POLICY", "unset (libgomp's default)")

    latency = {f"torch-{args.mode}": lambda x1: predict_torch(x1)}
    if args.onnx:
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads, so.inter_op_num_threads = args.intra, args.inter
        sess = ort.InferenceSession(onnx_model(model), so, providers=["CPUExecutionProvider"])
        predict_ort = lambda x: sess.run(None, {"images": x})[0]
        probs = np.concatenate([predict_ort(b) for b in test_batches])
        res["runtimes"] = [{
            "system": "onnxruntime",
            "test_accuracy": float(np.mean(np.argmax(probs, axis=1) == y_test)),
            "predict_images": len(y_test),
            "predict_seconds": common.time_repeats(lambda: [predict_ort(b) for b in test_batches], args.predict_repeats),
            "versions": common.versions("onnxruntime", "onnx"),
            "threads": {"intra_op": args.intra, "inter_op": args.inter},
        }]
        latency["onnxruntime"] = predict_ort
    if args.latency_n > 0:
        x1 = x_test[args.image : args.image + 1]
        names = list(latency)
        times = common.time_interleaved([lambda f=latency[k]: f(x1) for k in names], args.latency_warmup, args.latency_n)
        res["latency_image"] = args.image
        res["latency_warmup"] = args.latency_warmup
        res["latency_seconds"] = dict(zip(names, times))
    common.write(args.json, res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
