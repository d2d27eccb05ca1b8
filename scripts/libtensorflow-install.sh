#!/usr/bin/env bash
# Installs TensorFlow's C library (libtensorflow) and its C headers from the
# pinned tensorflow-cpu wheel on PyPI, creates .venv/ with that same
# TensorFlow and its Keras, and makes the Fashion-MNIST data set available.
#
#   scripts/libtensorflow-install.sh               # into /usr/local (root), then ldconfig
#   scripts/libtensorflow-install.sh --prefix DIR  # no root; prints the environment to use
#
# Why the wheel: the official libtensorflow tarball is not reachable from
# every machine, while PyPI is. The wheel carries the same C API in
# libtensorflow_cc.so.2 + libtensorflow_framework.so.2 and the C headers under
# tensorflow/include. Since TF 2.1x the C API is split across those two
# libraries, so lib/libtensorflow.so is a linker script naming both: cgo's
# `-ltensorflow` (what the Go bindings ask for) then links exactly as with
# the official tarball.
#
# Idempotent: a machine already set up finishes in seconds and downloads
# nothing. Never half-installed: every download and check happens in a
# temporary directory; files move into place only once all checks passed.
set -euo pipefail

TF_VERSION=2.21.0
# The C API the Go bindings need; the script refuses a wheel without them.
REQUIRED_SYMBOLS=(TF_Version TF_NewGraph TF_SessionRun TF_AddGradients TF_LoadSessionFromSavedModel
  TF_NewTensor TF_GraphImportGraphDefWithResults TF_NewStatus)
# Public C headers: these and everything they include are installed.
PUBLIC_HEADERS=(tensorflow/c/c_api.h tensorflow/c/c_api_experimental.h tensorflow/c/tf_tensor.h
  tensorflow/c/tf_status.h tensorflow/c/tf_datatype.h tensorflow/c/tf_tstring.h tensorflow/c/tf_buffer.h
  tensorflow/c/tf_attrtype.h tensorflow/c/eager/c_api.h tensorflow/c/tf_file_statistics.h)

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
prefix=/usr/local
with_data=1
venv="$repo/.venv"

usage() {
  cat <<EOF
usage: $0 [--prefix DIR] [--no-data]

Installs libtensorflow $TF_VERSION (C library and headers, from the tensorflow-cpu
wheel) into DIR (default /usr/local), creates $venv with tensorflow-cpu==$TF_VERSION,
and installs Debian's dataset-fashion-mnist when no copy of the data is found.
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || { echo "error: --prefix needs a directory" >&2; exit 2; }
              prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --no-data) with_data=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "error: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done
mkdir -p "$prefix" 2>/dev/null || { echo "error: cannot create --prefix $prefix" >&2; exit 1; }
prefix=$(cd "$prefix" && pwd)

die() { echo "libtensorflow-install: error: $*" >&2; exit 1; }
say() { echo "libtensorflow-install: $*"; }

marker="$prefix/lib/libtensorflow.version"
venv_marker="$venv/.tensorflow-cpu-$TF_VERSION"

lib_ready() { [ -f "$marker" ] && [ "$(cat "$marker")" = "$TF_VERSION" ] && [ -f "$prefix/lib/libtensorflow_cc.so.2" ] && [ -f "$prefix/include/tensorflow/c/c_api.h" ]; }
venv_ready() { [ -f "$venv_marker" ] && [ -x "$venv/bin/python" ]; }

# --- Debian packages: the data set, and libhdf5 for package kerasfile -------
# Fashion-MNIST from dataset-fashion-mnist unless a copy is already there;
# libhdf5-dev and pkg-config because kerasfile writes Keras's HDF5 weights
# through the reference HDF5 library (cgo).
SYSTEM_PACKAGES=(libhdf5-dev pkg-config)
data_found() {
  local d
  for d in "$HOME/.keras/datasets/fashion-mnist" /usr/share/datasets/fashion-mnist; do
    [ -f "$d/train-images-idx3-ubyte.gz" ] || [ -f "$d/train-images-idx3-ubyte" ] && return 0
  done
  return 1
}
install_system_packages() {
  local missing=() p
  for p in "${SYSTEM_PACKAGES[@]}"; do
    # dpkg -s succeeds for a removed package whose config files remain.
    [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] || missing+=("$p")
  done
  if [ "$with_data" = 1 ] && ! data_found; then missing+=(dataset-fashion-mnist); fi
  [ ${#missing[@]} -gt 0 ] || return 0
  if ! command -v apt-get >/dev/null; then
    say "not a Debian system: install ${missing[*]} (or equivalents) yourself; without Fashion-MNIST the loader downloads it into ~/.keras/datasets/fashion-mnist"
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    say "missing Debian packages; as root run: apt-get update && apt-get install -y ${missing[*]}"
    return 0
  fi
  say "installing Debian packages: ${missing[*]}"
  # An old package list may not know a package: update once if needed.
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; } ||
    die "apt-get install ${missing[*]} failed"
}

finish() {
  if [ "$prefix" = /usr/local ] && [ "$(id -u)" = 0 ]; then
    ldconfig
  else
    cat <<EOF
libtensorflow-install: add these lines to your shell (or CI) environment:
export CGO_CFLAGS="-I$prefix/include"
export CGO_LDFLAGS="-L$prefix/lib"
export LD_LIBRARY_PATH="$prefix/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
EOF
  fi
}

# --- Python gRPC client of TensorFlow Serving, for the serving tests -----------
# tensorflow-serving-api (TF Serving's own Python client: the generated
# *_pb2.py and *_pb2_grpc.py stubs) goes into the finished .venv, as a step of
# its own after the venv exists. It declares a dependency on the package named
# `tensorflow`, which .venv has only as tensorflow-cpu, so it is installed with
# --no-deps, together with its other requirements (grpcio; protobuf, which
# TensorFlow already brings), which pip downloads only when missing. (`pip
# check` reports the missing `tensorflow` name; that is expected.) The check is
# a file look-up, so a ready venv costs no TensorFlow import.
SERVING_API_VERSION=2.21.0
SERVING_API_REQUIREMENTS=("tensorflow-serving-api==$SERVING_API_VERSION" "grpcio>=1.24.3,<2" "protobuf>=6.31.1,<8")
serving_api_ready() {
  "$venv/bin/python" - "$SERVING_API_VERSION" 2>/dev/null <<'PY'
import importlib.metadata as md, importlib.util as u, sys
assert md.version("tensorflow-serving-api") == sys.argv[1]
for m in ("grpc", "tensorflow_serving.apis.prediction_service_pb2_grpc", "tensorflow_serving.apis.model_service_pb2_grpc"):
    assert u.find_spec(m) is not None, m
PY
}
install_serving_api() {
  serving_api_ready && return 0
  say "installing tensorflow-serving-api==$SERVING_API_VERSION (TF Serving's Python client) into $venv"
  local log
  log=$(mktemp "${TMPDIR:-/tmp}/serving-api-install.XXXXXX")
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
    "${SERVING_API_REQUIREMENTS[@]}" >"$log" 2>&1 ||
    { tail -n 20 "$log" >&2; rm -f "$log"; die "installing tensorflow-serving-api==$SERVING_API_VERSION into $venv failed; check the network or pip's index settings and rerun"; }
  rm -f "$log"
  TF_CPP_MIN_LOG_LEVEL=3 "$venv/bin/python" -c 'import tensorflow_serving.apis.prediction_service_pb2_grpc, tensorflow_serving.apis.model_service_pb2_grpc' 2>/dev/null ||
    die "$venv cannot import tensorflow_serving.apis after installing tensorflow-serving-api==$SERVING_API_VERSION"
  serving_api_ready || die "tensorflow-serving-api==$SERVING_API_VERSION is not complete in $venv"
}

if lib_ready && venv_ready; then
  install_serving_api
  install_system_packages
  finish
  say "libtensorflow $TF_VERSION already installed in $prefix and $venv is ready; nothing to do"
  exit 0
fi

# --- prerequisites ----------------------------------------------------------
python=${PYTHON:-python3}
command -v "$python" >/dev/null || die "python3 not found: install Python 3.9-3.12 (Debian: apt-get install python3 python3-venv python3-pip)"
"$python" -m pip --version >/dev/null 2>&1 || die "pip for $python not found (Debian: apt-get install python3-pip)"
"$python" -c 'import venv, ensurepip' 2>/dev/null || die "the venv module of $python is missing (Debian: apt-get install python3-venv)"
command -v nm >/dev/null || die "nm not found, needed to check the C API (Debian: apt-get install binutils)"
command -v gcc >/dev/null || die "gcc not found, needed by cgo and to check the headers (Debian: apt-get install gcc)"

work=$(mktemp -d "${TMPDIR:-/tmp}/libtensorflow-install.XXXXXX")
trap 'rm -rf "$work"' EXIT

# --- download: every byte from the network lands in $work ------------------
wheels="$work/wheels"
say "downloading tensorflow-cpu==$TF_VERSION and its dependencies from PyPI"
if ! "$python" -m pip download --quiet --disable-pip-version-check --only-binary=:all: \
    -d "$wheels" "tensorflow-cpu==$TF_VERSION" >"$work/pip-download.log" 2>&1; then
  tail -n 20 "$work/pip-download.log" >&2
  die "downloading tensorflow-cpu==$TF_VERSION from PyPI failed (see above); check the network or pip's index settings and rerun"
fi
wheel=$(ls "$wheels"/tensorflow_cpu-"$TF_VERSION"-*.whl 2>/dev/null | head -n 1)
[ -n "$wheel" ] || die "pip downloaded no tensorflow_cpu-$TF_VERSION wheel for this platform into $wheels"

# --- check the wheel carries the C API ---------------------------------------
unpacked="$work/wheel"
"$python" - "$wheel" "$unpacked" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for n in z.namelist():
        if n.startswith("tensorflow/include/") or n in (
            "tensorflow/libtensorflow_cc.so.2", "tensorflow/libtensorflow_framework.so.2"):
            z.extract(n, sys.argv[2])
PY
tflib="$unpacked/tensorflow"
for f in libtensorflow_cc.so.2 libtensorflow_framework.so.2; do
  [ -f "$tflib/$f" ] || die "the wheel $(basename "$wheel") has no tensorflow/$f"
done
nm -D --defined-only "$tflib/libtensorflow_cc.so.2" "$tflib/libtensorflow_framework.so.2" >"$work/symbols"
for s in "${REQUIRED_SYMBOLS[@]}"; do
  # Symbols are versioned (TF_SessionRun@@tensorflow) in recent wheels.
  grep -qE " T $s(@@?[A-Za-z0-9_.]+)?\$" "$work/symbols" || die "the wheel's libraries do not export $s: pin another TF_VERSION"
done
inc="$tflib/include"
for h in "${PUBLIC_HEADERS[@]}"; do
  [ -f "$inc/$h" ] || die "the wheel ships no header $h: pin another TF_VERSION"
done

# --- stage the install tree ----------------------------------------------
stage="$work/stage"
mkdir -p "$stage/lib" "$stage/include"
printf '#include "%s"\n' "${PUBLIC_HEADERS[@]}" >"$work/all.c"
# The closure of what the public headers include, found by the compiler
# itself, so a reorganised header tree in a future wheel is still complete.
gcc -M -I "$inc" "$work/all.c" | tr ' \\' '\n\n' | grep -F "$inc/" | sed "s|^$inc/||" | sort -u >"$work/headers"
(cd "$inc" && cp --parents $(cat "$work/headers") "$stage/include/")
gcc -fsyntax-only -I "$stage/include" "$work/all.c" || die "the staged C headers do not compile"
cp "$tflib/libtensorflow_cc.so.2" "$tflib/libtensorflow_framework.so.2" "$stage/lib/"
ln -s libtensorflow_cc.so.2 "$stage/lib/libtensorflow_cc.so"
ln -s libtensorflow_framework.so.2 "$stage/lib/libtensorflow_framework.so"
printf '/* GNU ld script: the wheel splits the C API over two libraries. */\nINPUT(%s %s)\n' \
  "$prefix/lib/libtensorflow_cc.so.2" "$prefix/lib/libtensorflow_framework.so.2" >"$stage/lib/libtensorflow.so"
echo "$TF_VERSION" >"$stage/lib/libtensorflow.version"

# --- the Python side: same TensorFlow, from the same downloaded wheels ------
if ! venv_ready; then
  say "creating $venv with tensorflow-cpu==$TF_VERSION"
  newvenv="$repo/.venv.new"
  rm -rf "$newvenv"
  "$python" -m venv "$newvenv"
  "$newvenv/bin/python" -m pip install --quiet --disable-pip-version-check --no-index \
    --find-links "$wheels" "tensorflow-cpu==$TF_VERSION" >"$work/pip-install.log" 2>&1 ||
    { tail -n 20 "$work/pip-install.log" >&2; rm -rf "$newvenv"; die "installing the downloaded wheels into $newvenv failed"; }
  got=$("$newvenv/bin/python" -c 'import tensorflow as tf; print(tf.__version__)' 2>/dev/null) ||
    { rm -rf "$newvenv"; die "the new venv cannot import tensorflow"; }
  [ "$got" = "$TF_VERSION" ] || { rm -rf "$newvenv"; die "the new venv has TensorFlow $got, want $TF_VERSION"; }
  # A venv records its own path in its scripts: rewrite it for the final name.
  grep -rlF "$newvenv" "$newvenv/bin" | xargs -r sed -i "s|$newvenv|$venv|g"
  touch "$newvenv/.tensorflow-cpu-$TF_VERSION"
  rm -rf "$venv.old"
  [ -e "$venv" ] && mv "$venv" "$venv.old"
  mv "$newvenv" "$venv"
  rm -rf "$venv.old"
fi

# --- move the C library in: headers first, the linker script and marker last
# (each file staged under a name of this process's own, so two installs
# running at once, say a checkout's and a CI clone's, cannot take each
# other's half-copied file)
if ! lib_ready; then
  mkdir -p "$prefix/lib" "$prefix/include" || die "cannot write to $prefix (use --prefix DIR or run as root)"
  cp -a "$stage/include/." "$prefix/include/"
  for f in libtensorflow_cc.so.2 libtensorflow_framework.so.2; do
    cp "$stage/lib/$f" "$prefix/lib/.$f.$$.tmp" && mv -f "$prefix/lib/.$f.$$.tmp" "$prefix/lib/$f"
  done
  for f in libtensorflow_cc.so libtensorflow_framework.so libtensorflow.so libtensorflow.version; do
    cp -a "$stage/lib/$f" "$prefix/lib/.$f.$$.tmp" && mv -f "$prefix/lib/.$f.$$.tmp" "$prefix/lib/$f"
  done
  say "installed libtensorflow $TF_VERSION into $prefix/lib and its headers into $prefix/include"
fi

install_serving_api
install_system_packages
finish
say "done: libtensorflow $TF_VERSION in $prefix, Python TensorFlow in $venv"
