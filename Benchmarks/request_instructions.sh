#!/usr/bin/env bash
# Instructions per request of `ledge serve` under callgrind, for add.onnx V2 JSON infer and for
# GET /v2/health/live: the cost behind serve_bench's "tiny-model infer / health" row, as a count that
# repeats within 0.75 % whatever else the machine does (that row's requests/s move ±10 % on this
# VM, more than most changes to the request path). Each server takes REQUESTS requests from h2load
# (4 connections) after 500 of warm-up, with callgrind's counters zeroed between the two.
# Usage: make bench-instructions [BENCH_ARGS='--requests N'] (or Benchmarks/request_instructions.sh
#        [--ledge PATH] [--requests N]; builds the release ledge unless --ledge is given).
# The ledge must carry no DWARF (make release strips it): valgrind 3.19 cannot read the Swift toolchain's.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${LEDGE_HOME:=$PWD/.ledge}"
export LEDGE_HOME
ledge=.build/release/ledge requests=2000
while [ $# -gt 0 ]; do
  case "$1" in
    --ledge) ledge="$2"; shift 2 ;;
    --requests) requests="$2"; shift 2 ;;
    *) echo "usage: $0 [--ledge PATH] [--requests N]" >&2; exit 2 ;;
  esac
done
[ "$ledge" != .build/release/ledge ] || make -s release >/dev/null
for tool in valgrind h2load; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install valgrind nghttp2-client" >&2; exit 1; }
done
work=$(mktemp -d)
server=
cleanup() { [ -z "$server" ] || kill "$server" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
printf '%s' '{"inputs":[{"name":"a","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]},{"name":"b","shape":[1,4],"datatype":"FP32","data":[0.5,0.25,0.125,0.0625]}]}' >"$work/add.json"

# Instructions per request of `path` (with the JSON body for POST).
per_request() {
  local path=$1 body=() port
  [ "$path" = /v2/health/live ] || body=(-d "$work/add.json" -H "content-type: application/json")
  valgrind --tool=callgrind --callgrind-out-file="$work/cg.%p" "$ledge" serve -m "$LEDGE_HOME/fixtures/models/add.onnx" \
    --name add --no-probe --no-grpc --port 0 --log-level notice >"$work/out" 2>"$work/err" &
  server=$!
  for _ in $(seq 1 240); do
    port=$(grep -o 'http://127.0.0.1:[0-9]*' "$work/out" | head -1 | cut -d: -f3) && [ -n "$port" ] && break
    kill -0 "$server" 2>/dev/null || { cat "$work/err" >&2; exit 1; }
    sleep 0.5
  done
  h2load --h1 -n 500 -c 4 "${body[@]}" "http://127.0.0.1:$port$path" >/dev/null
  callgrind_control -z "$server" >/dev/null 2>&1
  h2load --h1 -n "$requests" -c 4 "${body[@]}" "http://127.0.0.1:$port$path" | grep -q "$requests succeeded" \
    || { echo "h2load: not all $requests requests to $path succeeded" >&2; exit 1; }
  callgrind_control -d "$server" >/dev/null 2>&1
  kill "$server"; wait "$server" 2>/dev/null || true; server=
  local dump
  dump=$(ls "$work"/cg.*.1)
  awk -v n="$requests" '/^summary:/ { printf "%.0f\n", $2 / n }' "$dump"
  rm -f "$work"/cg.*
}

infer=$(per_request /v2/models/add/infer)
health=$(per_request /v2/health/live)
echo "| request (callgrind, $requests requests, 4 connections) | instructions per request |"
echo "|---|---|"
echo "| add.onnx V2 JSON infer | $infer |"
echo "| GET /v2/health/live | $health |"
awk -v h="$health" -v i="$infer" 'BEGIN { printf "| health / infer | %.3f |\n", h / i }'
