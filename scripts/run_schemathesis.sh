#!/usr/bin/env bash
# Schemathesis against `ledge serve` (part of `make fuzz`, not `make test`).
#
# Starts `ledge serve` on a free port with two fixture models (add.onnx as "add",
# efficientnet_lite0.tflite as "efficientnet_lite0"), rewrites docs/openapi-v2.yaml so
# the model_name / model_version path parameters are enums of what it serves and each
# model gets an infer operation of its own with a valid example (scripts/fuzz_openapi.py), runs
# Schemathesis with a bounded number of examples per operation and the checks
#   not_a_server_error (no 5xx), status_code_conformance, content_type_conformance,
#   response_headers_conformance, response_schema_conformance,
# then stops the server with SIGTERM — always, on failure too. Exits with
# Schemathesis's status (0: every check passed).
#
# Environment:
#   LEDGE_HOME      set-up folder (default <repo>/.ledge): fixtures, venv-fuzz
#   LEDGE_BIN       the ledge binary (default <repo>/.build/debug/ledge; not built here)
#   LEDGE_PYTHON    interpreter for the venv (default python3, 3.11)
#   ST_MAX_EXAMPLES examples per operation and phase (default 50)
#   ST_PHASES       Schemathesis phases (default examples,coverage,fuzzing: ~3-4 min on 2 busy
#                   cores; add stateful for sequences through inferred links, ~4 min more)
#   ST_SEED         Hypothesis seed (default: random; printed by Schemathesis)
#   ST_ARGS         extra arguments for `schemathesis run`
#   ST_REPORT_DIR   where the JUnit and NDJSON reports go (default $LEDGE_HOME/fuzz/schemathesis)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LEDGE_HOME="${LEDGE_HOME:-$REPO/.ledge}"
LEDGE_BIN="${LEDGE_BIN:-$REPO/.build/debug/ledge}"
PYTHON="${LEDGE_PYTHON:-python3}"
VENV="$LEDGE_HOME/venv-fuzz"
REQUIREMENTS="$REPO/scripts/requirements-fuzz.txt"
DOCUMENT="$REPO/docs/openapi-v2.yaml"
MODELS="$LEDGE_HOME/fixtures/models"
MAX_EXAMPLES="${ST_MAX_EXAMPLES:-50}"
PHASES="${ST_PHASES:-examples,coverage,fuzzing}"
REPORT_DIR="${ST_REPORT_DIR:-$LEDGE_HOME/fuzz/schemathesis}"

log() { echo "schemathesis: $*"; }
die() { echo "schemathesis: error: $*" >&2; exit 2; }

[[ -x "$LEDGE_BIN" ]] || die "no ledge binary at $LEDGE_BIN (swift build first, or set LEDGE_BIN)"
for model in add.onnx efficientnet_lite0.tflite; do
  [[ -f "$MODELS/$model" ]] || die "missing fixture $MODELS/$model (run make setup)"
done

# --- the venv, made anew when the requirements or the interpreter change ---------
want="$( { sha256sum "$REQUIREMENTS" | cut -c1-64; "$PYTHON" -VV; } | sha256sum | cut -c1-64)"
if [[ ! -x "$VENV/bin/schemathesis" || ! -f "$VENV/.ledge-stamp" || "$(<"$VENV/.ledge-stamp")" != "$want" ]]; then
  log "creating $VENV from scripts/requirements-fuzz.txt"
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps -r "$REQUIREMENTS"
  "$VENV/bin/python" -m pip check --disable-pip-version-check >/dev/null
  printf '%s\n' "$want" > "$VENV/.ledge-stamp"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/ledge-schemathesis.XXXXXX")"
SERVER_PID=""
cleanup() {
  local status=$?
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      log "ledge serve ignored SIGTERM for 10 s: SIGKILL"
      kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the server -------------------------------------------------------------------
mkdir -p "$REPORT_DIR"
SERVE_LOG="$REPORT_DIR/serve.log"
NAMES=(add efficientnet_lite0)
"$LEDGE_BIN" serve \
  --model "$MODELS/add.onnx" --name add \
  --model "$MODELS/efficientnet_lite0.tflite" --name efficientnet_lite0 \
  --port 0 --no-probe --allow-client-shm --trace-config "triton,file=$WORK/trace.json" --trace-config triton,log-frequency=100 \
  >"$WORK/serve.out" 2>"$SERVE_LOG" &
SERVER_PID=$!
URL=""
for _ in $(seq 600); do
  URL="$(grep -o 'http://127\.0\.0\.1:[0-9]*/v2' "$WORK/serve.out" | head -n1 || true)"
  [[ -n "$URL" ]] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$SERVE_LOG" >&2; die "ledge serve exited before it printed its URL"; }
  sleep 0.1
done
[[ -n "$URL" ]] || { cat "$SERVE_LOG" >&2; die "ledge serve printed no URL within 60 s"; }
BASE="${URL%/v2}"
log "ledge serve (pid $SERVER_PID) on $BASE serving ${NAMES[*]}"

# --- the document: served names and version as enums, one exact infer operation per model ---
"$VENV/bin/python" "$REPO/scripts/fuzz_openapi.py" "$DOCUMENT" "$WORK/openapi.yaml" "$BASE" "${NAMES[@]}"
cp "$WORK/openapi.yaml" "$REPORT_DIR/openapi-served.yaml"

# --- Schemathesis -----------------------------------------------------------------
args=(
  run "$WORK/openapi.yaml"
  --url "$BASE"
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance
  --max-examples "$MAX_EXAMPLES"
  --phases "$PHASES"
  --workers 1
  --request-timeout 30
  --generation-database none
  --report junit,ndjson --report-dir "$REPORT_DIR"
  --no-color
)
[[ -n "${ST_SEED:-}" ]] && args+=(--seed "$ST_SEED")
# shellcheck disable=SC2206
[[ -n "${ST_ARGS:-}" ]] && args+=($ST_ARGS)
status=0
( cd "$WORK" && "$VENV/bin/schemathesis" "${args[@]}" ) || status=$?

if ! kill -0 "$SERVER_PID" 2>/dev/null; then
  log "ledge serve died during the run:"
  tail -n 20 "$SERVE_LOG" >&2
  status=1
fi
errors="$(grep -c '"level":"error"\|error:' "$SERVE_LOG" || true)"
log "server log $SERVE_LOG: $(wc -l <"$SERVE_LOG") lines, $errors error lines; reports in $REPORT_DIR"
if (( status == 0 )); then log "passed"; else log "FAILED (status $status)"; fi
exit "$status"
