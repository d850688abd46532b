#!/usr/bin/env bash
# Image sizes and packaging / push times of `ledge package`, with the release ledge.
#   Benchmarks/package_size.sh [LEDGE]     (make bench-package)
# Builds nothing itself: pass the release binary (default .build/release/ledge).
# Prints, per image: compressed size per platform and per layer, the time to
# package, and the time to push it twice to a loopback docker-registry (the
# second push finds every blob there, and its layers in the layer cache). The arm64 image holds the C test helper
# in place of ledge (no aarch64 Swift toolchain here): its size is the image
# without the binary; add the amd64 binary's layer for an estimate.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LEDGE="${1:-$REPO/.build/release/ledge}"
LEDGE_HOME="${LEDGE_HOME:-$REPO/.ledge}"
MODELS="$LEDGE_HOME/fixtures/models"
HELPER="$LEDGE_HOME/helpers/linux-arm64/ledge-runtime-check"
WORK="$(mktemp -d)"
REGISTRY_PID=""
cleanup() {
  [[ -n "$REGISTRY_PID" ]] && kill "$REGISTRY_PID" 2> /dev/null && wait "$REGISTRY_PID" 2> /dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
cat > "$WORK/registry.yml" << YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $WORK/registry}}
http: {addr: 127.0.0.1:$PORT}
YAML
docker-registry serve "$WORK/registry.yml" > "$WORK/registry.log" 2>&1 &
REGISTRY_PID=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/v2/" > /dev/null && break; sleep 0.1; done

export SOURCE_DATE_EPOCH=1796190905
export XDG_CACHE_HOME="$WORK/cache"  # a fresh layer cache: the first run compresses, the re-push does not
run() { # NAME MODEL
  local name="$1" model="$2" start end
  start=$(date +%s.%N)
  "$LEDGE" package -m "$model" --platform linux/amd64,linux/arm64 --binary "linux/arm64=$HELPER" \
    -o "$WORK/$name" --json > "$WORK/$name.json"
  end=$(date +%s.%N)
  local package_s push1 push2
  package_s=$(echo "$end - $start" | bc)
  "$LEDGE" package -m "$model" --platform linux/amd64,linux/arm64 --binary "linux/arm64=$HELPER" --push "127.0.0.1:$PORT/bench/$name:1" \
    --insecure-registry --json > "$WORK/$name.push1.json"
  start=$(date +%s.%N)
  "$LEDGE" package -m "$model" --platform linux/amd64,linux/arm64 --binary "linux/arm64=$HELPER" --push "127.0.0.1:$PORT/bench/$name:1" \
    --insecure-registry --json > "$WORK/$name.push2.json"
  end=$(date +%s.%N)
  local again_s
  again_s=$(echo "$end - $start" | bc)
  python3 - "$name" "$package_s" "$again_s" "$WORK/$name.json" "$WORK/$name.push1.json" "$WORK/$name.push2.json" << 'PY'
import json, sys
name, package_s, again_s = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
built, p1, p2 = [json.load(open(f)) for f in sys.argv[4:]]
mb = lambda b: f"{b / 1e6:.1f} MB"
for p in built["platforms"]:
    layers = ", ".join(f"{l['name']} {mb(l['size'])} ({mb(l['uncompressedSize'])} raw)" for l in p["layers"])
    print(f"{name} {p['platform']}: {mb(p['compressedSize'])} compressed — {layers}")
print(f"{name}: package (both platforms, gzip -9) {package_s:.2f} s; first push {p1['pushSeconds']:.2f} s "
      f"({p1['uploadedBlobs']} blobs, {mb(p1['uploadedBytes'])}); unchanged push {p2['pushSeconds']:.3f} s "
      f"({p2['uploadedBlobs']} uploaded, {p2['skippedBlobs']} already there; whole command {again_s:.2f} s "
      f"with the layers from the cache)")
PY
}
echo "ledge: $LEDGE ($(stat -c %s "$LEDGE") bytes)"
run litert "$MODELS/efficientnet_lite0.tflite"
run onnx "$MODELS/ch_ppocr_mobile_v2.0_cls_infer.onnx"
