#!/usr/bin/env bash
# Benchmarks (not tests): Ledge against the Python runtimes, interleaved in one run.
# Usage: make bench [BENCH_ARGS='--rounds N --runs N']   (or Benchmarks/run.sh [--rounds N] [--runs N])
# SERVE_ONLY=1 runs only Benchmarks/serve_bench.py (make bench-serve).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${LEDGE_HOME:=$PWD/.ledge}"
export LEDGE_HOME
make -s release >/dev/null  # as make run builds it
if [ -z "${SERVE_ONLY:-}" ]; then
  "$LEDGE_HOME/venv/bin/python" Benchmarks/compare_runtimes.py --ledge .build/release/ledge "$@"
  "$LEDGE_HOME/venv/bin/python" Benchmarks/bench_vs_python.py --ledge .build/release/ledge "$@"
fi
# ledge serve on loopback under wrk (installed here: benchmarks only, not make test).
if ! command -v wrk >/dev/null; then
  sudo=(); [ "$(id -u)" = 0 ] || sudo=(sudo)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y wrk >/dev/null
fi
"$LEDGE_HOME/venv/bin/python" Benchmarks/serve_bench.py --ledge .build/release/ledge "$@"
