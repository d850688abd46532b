#!/usr/bin/env bash
# What `ledge deploy apply` costs on the three loopback test devices (real sshd on
# 127.0.0.2-4, made and removed by the test harness; needs root, as `make test`):
# the first apply, an apply with nothing changed, a model-only change (bytes sent
# per device), and the switch time (new server started → new model answering).
#   Benchmarks/deploy.sh            (make bench-deploy)
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
LEDGE_BENCH_DEPLOY=1 swift test --skip-build --filter DeployBenchmarkTests 2>&1 | grep -v '^\[' | sed -n '/^deploy to 3 devices/,/^  back to/p'
