#!/usr/bin/env bash
# Regenerates the Go code of package serving/apis (TensorFlow Serving's gRPC
# API) from the .proto files vendored under serving/apis/proto.
#
#   scripts/gen-serving-protos.sh          # regenerate serving/apis/**/*.pb.go
#   scripts/gen-serving-protos.sh --check  # regenerate into a temporary directory
#                                          # and fail if it differs from the tree
#
# The generated files are committed: building and testing the module needs
# neither protoc nor this script. Run it after changing a vendored .proto or a
# pinned version below. Same inputs and versions give byte-identical output.
#
# Inputs:
#   serving/apis/proto/tensorflow_serving/...  TF Serving's .proto files, verbatim
#                                              (see serving/apis/doc.go for the commit)
#   .venv (scripts/libtensorflow-install.sh)   TensorFlow 2.21's own compiled
#       descriptors of the TensorFlow core protos those files import (tensor.proto,
#       meta_graph.proto, error_codes.proto, example.proto and their imports),
#       handed to protoc with --descriptor_set_in. They are not regenerated: the Go
#       code refers to the Go packages that github.com/galeone/tensorflow already
#       provides (the M options below). The one exception is
#       tensorflow/core/example/{feature,example}.proto, which galeone does not
#       provide: their Go code is generated from TF 2.21's descriptors into
#       serving/apis/example.
#
# Tools (pinned; the versions are named in every generated file's header):
#   protoc              3.21.12 (Debian 12's protobuf-compiler; apt-get install protobuf-compiler)
#   protoc-gen-go       google.golang.org/protobuf     v1.36.12 (go install, into a cache dir)
#   protoc-gen-go-grpc  google.golang.org/grpc/cmd/... v1.6.2   (go install, into a cache dir)
set -euo pipefail

PROTOC_VERSION=3.21.12
PROTOC_GEN_GO_VERSION=v1.36.12
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2
TF_VERSION=2.21.0

MODULE=github.com/gokeras/fashion
APIS_PKG=$MODULE/serving/apis
EXAMPLE_PKG=$MODULE/serving/apis/example
GALEONE=github.com/galeone/tensorflow/tensorflow/go

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  -h|--help) sed -n '2,30p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

die() { echo "gen-serving-protos: error: $*" >&2; exit 1; }
say() { echo "gen-serving-protos: $*" >&2; }

# --- tools -------------------------------------------------------------------
command -v protoc >/dev/null || die "protoc not found (Debian: apt-get install protobuf-compiler)"
got=$(protoc --version | awk '{print $2}')
[ "$got" = "$PROTOC_VERSION" ] || die "protoc $got found, want $PROTOC_VERSION (the version is written into every generated file)"

tools=${XDG_CACHE_HOME:-$HOME/.cache}/gokeras-fashion/protoc-plugins/go-$PROTOC_GEN_GO_VERSION-grpc-$PROTOC_GEN_GO_GRPC_VERSION
if [ ! -x "$tools/protoc-gen-go" ] || [ ! -x "$tools/protoc-gen-go-grpc" ]; then
  say "installing protoc-gen-go $PROTOC_GEN_GO_VERSION and protoc-gen-go-grpc $PROTOC_GEN_GO_GRPC_VERSION into $tools"
  mkdir -p "$tools"
  (cd "$tools" &&
    GOBIN="$tools" go install "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO_VERSION" &&
    GOBIN="$tools" go install "google.golang.org/grpc/cmd/protoc-gen-go-grpc@$PROTOC_GEN_GO_GRPC_VERSION")
fi
[ "$("$tools/protoc-gen-go" --version)" = "protoc-gen-go $PROTOC_GEN_GO_VERSION" ] || die "$tools/protoc-gen-go is not $PROTOC_GEN_GO_VERSION"
[ "$("$tools/protoc-gen-go-grpc" --version)" = "protoc-gen-go-grpc ${PROTOC_GEN_GO_GRPC_VERSION#v}" ] || die "$tools/protoc-gen-go-grpc is not $PROTOC_GEN_GO_GRPC_VERSION"

python=$repo/.venv/bin/python
[ -x "$python" ] || die "$python not found: run scripts/libtensorflow-install.sh first"

work=$(mktemp -d "${TMPDIR:-/tmp}/gen-serving-protos.XXXXXX")
trap 'rm -rf "$work"' EXIT

src=$repo/serving/apis/proto
cd "$src"
protos=$(find tensorflow_serving -name '*.proto' | LC_ALL=C sort)
[ -n "$protos" ] || die "no .proto files under $src"

# --- TensorFlow core descriptors, from TF 2.21's own Python package ------------
# Every import of the vendored files that is not one of them, with its imports.
imports=$(sed -n 's/^import "\(.*\)";.*/\1/p' $protos | grep -v '^tensorflow_serving/' | LC_ALL=C sort -u)
TF_CPP_MIN_LOG_LEVEL=3 "$python" - "$TF_VERSION" $imports >"$work/tf-core.binpb" 2>"$work/python.log" <<'PY' ||
import importlib, sys
want, files = sys.argv[1], sys.argv[2:]
import tensorflow as tf
if tf.__version__ != want:
    sys.exit(f"the venv has TensorFlow {tf.__version__}, want {want}")
from google.protobuf import descriptor_pb2
out, seen = descriptor_pb2.FileDescriptorSet(), set()
def add(fd):
    if fd.name in seen:
        return
    seen.add(fd.name)
    for dep in fd.dependencies:
        add(dep)
    fd.CopyToProto(out.file.add())
for f in files:
    add(importlib.import_module(f[: -len(".proto")].replace("/", ".") + "_pb2").DESCRIPTOR)
sys.stdout.buffer.write(out.SerializeToString(deterministic=True))
PY
  { grep -v -e 'absl::InitializeLog' -e 'port.cc' "$work/python.log" >&2 || true; die "reading TensorFlow's descriptors from $python failed"; }

# --- go_package mapping --------------------------------------------------------
# TF Serving's files name no go_package: all go into one Go package. The TF core
# files map to the galeone/tensorflow module's existing Go packages.
mopts=()
for p in $protos; do mopts+=("M$p=$APIS_PKG;apis"); done
for f in tensor tensor_shape types resource_handle attr_value full_type node_def op_def function \
    graph versions variable; do
  mopts+=("Mtensorflow/core/framework/$f.proto=$GALEONE/core/framework/${f}_go_proto")
done
for f in meta_graph saved_object_graph saver struct trackable_object_graph error_codes; do
  mopts+=("Mtensorflow/core/protobuf/$f.proto=$GALEONE/core/protobuf/for_core_protos_go_proto")
done
# TF 2.21's error_codes.proto is `import public "xla/tsl/protobuf/error_codes.proto"`;
# galeone's defines tensorflow.error.Code itself.
mopts+=("Mxla/tsl/protobuf/error_codes.proto=$GALEONE/core/protobuf/for_core_protos_go_proto")
mopts+=("Mtensorflow/core/example/example.proto=$EXAMPLE_PKG;example"
        "Mtensorflow/core/example/feature.proto=$EXAMPLE_PKG;example")
go_opts=(--go_opt=module=$MODULE)
grpc_opts=(--go-grpc_opt=module=$MODULE)
for m in "${mopts[@]}"; do go_opts+=("--go_opt=$m"); grpc_opts+=("--go-grpc_opt=$m"); done

out=$work/out
mkdir -p "$out"
run_protoc() {
  protoc --plugin=protoc-gen-go="$tools/protoc-gen-go" --plugin=protoc-gen-go-grpc="$tools/protoc-gen-go-grpc" \
    --descriptor_set_in="$work/tf-core.binpb" -I "$src" "$@"
}
run_protoc --go_out="$out" "${go_opts[@]}" --go-grpc_out="$out" "${grpc_opts[@]}" $protos
# Only the two example protos are generated from TensorFlow's descriptors.
run_protoc --go_out="$out" "${go_opts[@]}" tensorflow/core/example/feature.proto tensorflow/core/example/example.proto

# Name this script in every file's header, right under protoc-gen-go's own line.
find "$out" -name '*.pb.go' -print0 | while IFS= read -r -d '' f; do
  sed -i '1a\
// Regenerate with scripts/gen-serving-protos.sh (sources: serving/apis/proto and TensorFlow '"$TF_VERSION"').' "$f"
done
gofmt -l "$out" | grep . && die "generated code is not gofmt-clean"

# --- move into place (or compare) ----------------------------------------------
gen_dir=$out/serving/apis
[ -f "$gen_dir/predict.pb.go" ] && [ -f "$gen_dir/example/example.pb.go" ] || die "protoc wrote no code where expected"
if [ "$check" = 1 ]; then
  diff_out=$work/diff
  ( cd "$repo/serving/apis" && find . -name '*.pb.go' ) | LC_ALL=C sort >"$work/have"
  ( cd "$gen_dir" && find . -name '*.pb.go' ) | LC_ALL=C sort >"$work/want"
  diff -u "$work/have" "$work/want" >"$diff_out" || true
  while read -r f; do cmp -s "$repo/serving/apis/$f" "$gen_dir/$f" || echo "differs: serving/apis/${f#./}" >>"$diff_out"; done <"$work/want"
  if [ -s "$diff_out" ]; then cat "$diff_out" >&2; die "the generated code is out of date: run scripts/gen-serving-protos.sh"; fi
  say "generated code is up to date"
  exit 0
fi
find "$repo/serving/apis" -name '*.pb.go' -delete
cp -R "$gen_dir/." "$repo/serving/apis/"
say "wrote $(find "$gen_dir" -name '*.pb.go' | wc -l) files under serving/apis"
