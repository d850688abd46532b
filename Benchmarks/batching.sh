#!/usr/bin/env bash
# Dynamic batching in `ledge serve` (Benchmarks/batching_bench.py): mobilenet_gen.onnx under
# 16 concurrent wrk clients with and without --max-batch-size, against `ledge bench --batch 1,8`.
# Usage: make bench-batching [BENCH_ARGS='--rounds N --duration S --delays-us 0,2000']
#        (or Benchmarks/batching.sh [--ledge PATH] [args]; builds the release ledge unless --ledge is given)
set -euo pipefail
cd "$(dirname "$0")/.."
: "${LEDGE_HOME:=$PWD/.ledge}"
export LEDGE_HOME
ledge=.build/release/ledge
if [ "${1:-}" = "--ledge" ]; then
  ledge="$2"
  shift 2
else
  make -s release >/dev/null  # as make run builds it
fi
# wrk is installed here: benchmarks only, not make test.
if ! command -v wrk >/dev/null; then
  sudo=(); [ "$(id -u)" = 0 ] || sudo=(sudo)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >/dev/null
fi
"$LEDGE_HOME/venv/bin/python" Benchmarks/batching_bench.py --ledge "$ledge" "$@"
