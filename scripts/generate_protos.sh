#!/usr/bin/env bash
# Regenerates the Swift code of our own .proto files: Sources/LedgeGRPC/Generated from
# Protos/grpc_service.proto (the V2 inference protocol: messages and the gRPC service; with
# Protos/grpc/ also the descriptors gRPC reflection hands out, scripts/reflection_descriptors.py) and
# Sources/LedgeONNXModel/Generated from Protos/onnx.proto (the ONNX model format) and
# Sources/LedgeCore/Generated from Protos/onnx_summary.proto (the fields that tell an ONNX file
# and summarize it). The output is
# committed: CI never runs this script, because building swift-protobuf's plugin takes minutes.
#
# protoc comes from PyPI's grpcio-tools (pinned below, in a throwaway venv); the plugins
# protoc-gen-swift and protoc-gen-grpc-swift-2 are built from the same package versions
# Package.swift depends on (swift-protobuf 1.39.0, grpc-swift-protobuf 2.4.1), once, in
# $LEDGE_HOME/protoc-plugins.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
LEDGE_HOME="${LEDGE_HOME:-$ROOT/.ledge}"
WORK="$LEDGE_HOME/protoc-plugins"
GRPC_TOOLS="grpcio-tools==1.67.1"
PLUGINS_VERSION="grpc-swift-protobuf-2.4.1"

log() { echo "generate_protos: $*" >&2; }

if [[ ! -x "$WORK/$PLUGINS_VERSION/.build/release/protoc-gen-grpc-swift-2" || ! -x "$WORK/$PLUGINS_VERSION/.build/release/protoc-gen-swift" ]]; then
  log "building protoc-gen-swift and protoc-gen-grpc-swift-2 (several minutes, once)"
  rm -rf "$WORK/$PLUGINS_VERSION"
  mkdir -p "$WORK"
  git clone -q --branch 2.4.1 https://github.com/grpc/grpc-swift-protobuf.git "$WORK/$PLUGINS_VERSION"
  # Its Package.swift asks for swift-protobuf "from: 1.38.0": pin the version Ledge links.
  (cd "$WORK/$PLUGINS_VERSION" &&
    swift package resolve &&
    swift package resolve swift-protobuf --version 1.39.0 &&
    swift build -c release --product protoc-gen-grpc-swift-2 &&
    swift build -c release --product protoc-gen-swift) >&2
fi
BIN="$WORK/$PLUGINS_VERSION/.build/release"

if [[ ! -x "$WORK/venv/bin/python" ]] || ! "$WORK/venv/bin/python" -m pip show grpcio-tools 2> /dev/null | grep -qx "Version: ${GRPC_TOOLS#*==}"; then
  log "installing $GRPC_TOOLS"
  rm -rf "$WORK/venv"
  python3 -m venv "$WORK/venv"
  "$WORK/venv/bin/python" -m pip install -q --disable-pip-version-check "$GRPC_TOOLS"
fi

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
PROTOC=("$WORK/venv/bin/python" -m grpc_tools.protoc --proto_path="$ROOT/Protos"
  --plugin=protoc-gen-swift="$BIN/protoc-gen-swift" --plugin=protoc-gen-grpc-swift="$BIN/protoc-gen-grpc-swift-2")

# generate "PROTO…" OUT [grpc]: the messages of each PROTO (and with grpc its service) into OUT/*.swift.
generate() {
  local protos="$1" out="$2" grpc="${3:-}" args
  rm -rf "$TMP"/* && mkdir -p "$TMP"
  args=(--swift_out="$TMP" --swift_opt=Visibility=Package,UseAccessLevelOnImports=true)
  if [[ -n "$grpc" ]]; then
    args+=(--grpc-swift_out="$TMP" --grpc-swift_opt=Visibility=Package,Client=true,Server=true,UseAccessLevelOnImports=true)
  fi
  # shellcheck disable=SC2086 # the list of protos splits on spaces
  "${PROTOC[@]}" "${args[@]}" $protos
  mkdir -p "$out"
  rm -f "$out"/*.swift  # README.md stays
  mv "$TMP"/*.swift "$out/"
  log "wrote $(cd "$out" && ls *.swift | tr '\n' ' ')in ${out#"$ROOT"/}"
}

generate grpc_service.proto "$ROOT/Sources/LedgeGRPC/Generated" grpc
generate onnx.proto "$ROOT/Sources/LedgeONNXModel/Generated"
generate onnx_summary.proto "$ROOT/Sources/LedgeCore/Generated"
# gRPC server reflection's descriptors of the services `ledge serve` answers (no plugin: protoc's descriptor set).
(cd "$ROOT" && "$WORK/venv/bin/python" scripts/reflection_descriptors.py Protos Sources/LedgeGRPC/Generated/ReflectionDescriptors.swift \
  grpc_service.proto grpc/health/v1/health.proto grpc/reflection/v1/reflection.proto)
log "wrote ReflectionDescriptors.swift in Sources/LedgeGRPC/Generated"
