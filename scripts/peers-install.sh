#!/usr/bin/env bash
# Installs the benchmark's peer frameworks, JAX (CPU), PyTorch and ONNX
# Runtime, into a virtual environment of their own, .venv.peers/ at the
# repository root, for `go run ./cmd/bench -peers ...` (scripts/bench_peers_*.py).
#
#   scripts/peers-install.sh            # create or complete .venv.peers
#   PYTHON=python3.12 scripts/peers-install.sh
#
# Optional and separate on purpose: nothing else (not .ci/run, not
# scripts/libtensorflow-install.sh, not the tests) runs it or needs what it
# installs. It takes about 5 GB and a few minutes; the project's own .venv
# (TensorFlow, Keras) is left alone: JAX, PyTorch and TensorFlow pull in
# conflicting protobuf and NumPy versions in one environment.
#
# Every version is pinned (printed at the end). Idempotent: a complete
# .venv.peers finishes in seconds.
#
# PyTorch without CUDA from PyPI only: PyPI's Linux x86_64 torch wheel is
# the CUDA build, and its libraries (libtorch_cpu.so itself among them) are
# linked against CUDA's: libcudart, libcupti, cuBLAS, cuDNN, cuFFT, cuSPARSE,
# cuSPARSELt, cuFile, NCCL, NVSHMEM, NVRTC. Installed with --no-deps alone,
# `import torch` fails ("libcublasLt.so.*[0-9] not found"). The CPU-only
# wheels live on PyTorch's own index, which this project's machines cannot
# reach. So: torch itself with --no-deps, its pure-Python dependencies, and
# exactly the NVIDIA library packages its shared libraries need to load, at
# the versions torch's metadata pins; not triton (a GPU kernel compiler:
# torch.compile on a CPU generates C++ with the system's gcc instead) nor
# cuda-bindings (Python bindings for a GPU). They load and never run: no GPU
# here, torch.cuda.is_available() is False.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$repo/.venv.peers"
python=${PYTHON:-python3}

TORCH_VERSION=2.15.0
# Everything but torch, with every transitive dependency pinned: what pip
# resolved for these on 2026-12-02, torch's own pins for the CUDA libraries.
PINNED=(
  # JAX on the CPU, ONNX (graph building) and ONNX Runtime, NumPy (the
  # main .venv's version, so data loading rounds alike)
  "jax[cpu]==0.10.2" jaxlib==0.10.2 ml_dtypes==0.7.0 opt_einsum==3.4.0 scipy==1.17.1
  onnx==1.23.2 onnxruntime==1.32.0 flatbuffers==25.12.19 protobuf==7.36.2 packaging==26.4
  numpy==2.4.6 typing_extensions==4.16.0
  # torch's pure-Python dependencies
  filelock==4.3.1 fsspec==2026.9.0 Jinja2==3.1.6 MarkupSafe==3.0.4 mpmath==1.3.0
  networkx==3.6.1 sympy==1.14.0 setuptools==84.2.1
  # the CUDA libraries torch's shared libraries are linked against
  "cuda-toolkit[cublas,cudart,cufft,cufile,cupti,cusparse,nvjitlink,nvrtc]==13.2.2"
  nvidia-cublas==13.4.1.3 nvidia-cuda-cccl==13.3.5.0.6 nvidia-cuda-cupti==13.2.86
  nvidia-cuda-nvrtc==13.2.86 nvidia-cuda-runtime==13.2.86 nvidia-cufft==12.2.0.57
  nvidia-cufile==1.17.1.22 nvidia-cusparse==12.7.10.12 nvidia-nvjitlink==13.5.37
  nvidia-cudnn-cu13==9.26.0.51 nvidia-cusparselt-cu13==0.8.1 nvidia-nccl-cu13==2.30.7
  nvidia-nvshmem-cu13==3.7.2
)

die() { echo "peers-install: error: $*" >&2; exit 1; }
say() { echo "peers-install: $*"; }

command -v "$python" >/dev/null || die "$python not found: install Python 3.11+ (Debian: apt-get install python3 python3-venv)"
"$python" -c 'import venv, ensurepip' 2>/dev/null || die "the venv module of $python is missing (Debian: apt-get install python3-venv)"

if [ ! -x "$venv/bin/python" ]; then
  say "creating $venv with $("$python" --version 2>&1)"
  "$python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip --disable-pip-version-check)

log=$(mktemp)
trap 'rm -f "$log"' EXIT
install() {
  # pip's own output only when it fails: a fresh install prints pages.
  "${pip[@]}" install --quiet "$@" >"$log" 2>&1 || { tail -n 30 "$log" >&2; die "pip install $* failed (see above); check the network or pip's index settings and rerun"; }
}
say "installing JAX, ONNX Runtime, NumPy and PyTorch's dependencies (pinned) into $venv"
install "${PINNED[@]}"
say "installing torch==$TORCH_VERSION without its dependencies (see the comment at the top)"
install --no-deps "torch==$TORCH_VERSION"

say "checking: a training step in PyTorch and in JAX, a model in ONNX Runtime"
"$venv/bin/python" - <<'PY' || die "$venv is not usable (see the traceback above)"
import numpy as np
import torch

m = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 8), torch.nn.ReLU(), torch.nn.Linear(8, 10))
opt = torch.optim.Adam(m.parameters(), lr=1e-3)
x, y = torch.rand(4, 28, 28), torch.tensor([0, 1, 2, 3])
before = m[1].weight.detach().clone()
loss = torch.nn.functional.cross_entropy(m(x), y)
loss.backward()
opt.step()
assert not torch.equal(before, m[1].weight), "torch: Adam did not change the weights"
assert not torch.cuda.is_available()

import jax
import jax.numpy as jnp

w = jnp.ones((3,))
g = jax.jit(jax.grad(lambda w: jnp.sum(w * w)))(w)
assert np.allclose(np.asarray(g), 2.0), g
assert jax.devices()[0].platform == "cpu"

import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

graph = helper.make_graph(
    [helper.make_node("Relu", ["x"], ["y"])], "check",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
onnx.checker.check_model(model)
sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
(out,) = sess.run(None, {"x": np.array([-1.0, 2.0], np.float32)})
assert out.tolist() == [0.0, 2.0], out
PY

say "ready: $venv"
"$venv/bin/python" - <<'PY'
import importlib.metadata as md
import platform

print(f"  python {platform.python_version()}")
for name in ("jax", "jaxlib", "torch", "onnxruntime", "onnx", "numpy"):
    print(f"  {name} {md.version(name)}")
PY
