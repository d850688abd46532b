#!/usr/bin/env bash
# Benchmarks (not tests): Ledge against the Python runtimes, interleaved in one run.
# Usage: make bench   (or Benchmarks/run.sh [--rounds N] [--runs N])
set -euo pipefail
cd "$(dirname "$0")/.."
: "${LEDGE_HOME:=$PWD/.ledge}"
export LEDGE_HOME
swift build -c release --product ledge >/dev/null
"$LEDGE_HOME/venv/bin/python" Benchmarks/compare_runtimes.py --ledge .build/release/ledge "$@"
"$LEDGE_HOME/venv/bin/python" Benchmarks/bench_vs_python.py --ledge .build/release/ledge "$@"
