#!/usr/bin/env bash
# `make fuzz` (not `make test`, which replays the seeds and crashers through the same bodies:
# FuzzReplayTests): builds the libFuzzer targets of Fuzz/ with the fuzzer and address
# sanitizers, replays the known crashers in Fuzz/Crashers/<Target>/, then runs each target
# for a bounded time and prints one line per target:
#   FuzzShape: 1234567 executions, 0 crashes, 60 s
# Exits 1 when any target crashed (or a known crasher still crashes), 2 on a build failure.
#
# Environment:
#   FUZZ_SECONDS     seconds per target (default 60)
#   FUZZ_RUNS        stop a target after this many executions (default: no bound but time)
#   FUZZ_TARGETS     which targets (default: all ten, FuzzShape … FuzzSeldon)
#   FUZZ_SANITIZERS  swiftc -sanitize= value (default fuzzer,address; fuzzer alone runs faster)
#   FUZZ_SCRATCH     build folder (default <repo>/.build-fuzz); the growing corpora and any new
#                    crash, timeout or OOM inputs are kept under it (corpus/, artifacts/, logs/)
#   FUZZ_MAX_LEN     largest input libFuzzer makes (default 4096; 16384 for FuzzImage, whose
#                    224x224 JPEG seed is 11 KB)
#   FUZZ_ARGS        extra libFuzzer arguments (e.g. -jobs=2 -workers=2)
#   FUZZ_SKIP_BUILD  1: use the binaries already built
set -euo pipefail

FUZZ="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(dirname "$FUZZ")"
SCRATCH="${FUZZ_SCRATCH:-$REPO/.build-fuzz}"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-60}"
RUNS="${FUZZ_RUNS:--1}"
TARGETS="${FUZZ_TARGETS:-FuzzShape FuzzRequest FuzzFraming FuzzMultipart FuzzTFLite FuzzONNX FuzzImage FuzzGRPC FuzzConfig FuzzSeldon}"
SANITIZERS="${FUZZ_SANITIZERS:-fuzzer,address}"
SWIFT="${SWIFT:-swift}"

log() { echo "fuzz: $*"; }

# The fuzz package resolves the versions the root package resolved, when it has.
if [[ ! -f "$FUZZ/Package.resolved" && -f "$REPO/Package.resolved" ]]; then
  cp "$REPO/Package.resolved" "$FUZZ/Package.resolved"
fi

if [[ "${FUZZ_SKIP_BUILD:-0}" != 1 ]]; then
  log "building $TARGETS (-c release -sanitize=$SANITIZERS) in $SCRATCH"
  mkdir -p "$SCRATCH"
  start=$SECONDS
  for target in $TARGETS; do  # SwiftPM builds one --product per call
    if ! "$SWIFT" build --package-path "$FUZZ" -c release --scratch-path "$SCRATCH" \
        -Xswiftc "-sanitize=$SANITIZERS" --product "$target" >"$SCRATCH/fuzz-build.log" 2>&1; then
      grep -E "error:" "$SCRATCH/fuzz-build.log" | head -n 20 >&2 || tail -n 20 "$SCRATCH/fuzz-build.log" >&2
      log "build of $target failed (log: $SCRATCH/fuzz-build.log)"
      exit 2
    fi
  done
  log "built in $((SECONDS - start)) s"
fi

# Swift's own backtracer fights ASan's handlers (and can hang): libFuzzer reports crashes.
export SWIFT_BACKTRACE=enable=no

failed=0
for target in $TARGETS; do
  binary="$SCRATCH/release/$target"
  [[ -x "$binary" ]] || { log "$target: no binary at $binary"; exit 2; }
  corpus="$SCRATCH/corpus/$target"
  artifacts="$SCRATCH/artifacts/$target"
  logs="$SCRATCH/logs"
  mkdir -p "$corpus" "$artifacts" "$logs"

  # Known crashers first: each must now run clean.
  known=0 still=0
  if [[ -d "$FUZZ/Crashers/$target" ]]; then
    for crasher in "$FUZZ/Crashers/$target"/*; do
      [[ -f "$crasher" ]] || continue
      known=$((known + 1))
      if ! "$binary" -runs=1 "$crasher" >"$logs/$target.replay.log" 2>&1; then
        still=$((still + 1))
        log "$target: known crasher still crashes: ${crasher#"$REPO"/}"
        grep -m1 -E "Fatal error|ERROR: (AddressSanitizer|libFuzzer)" "$logs/$target.replay.log" >&2 || true
      fi
    done
  fi

  before="$(find "$artifacts" -type f | wc -l)"
  touch "$logs/$target.start"
  start=$SECONDS
  status=0
  # New units go to the first folder (under the scratch path); the seeds in Fuzz/Corpus stay as written.
  # shellcheck disable=SC2086
  max_len="${FUZZ_MAX_LEN:-4096}"
  [[ -n "${FUZZ_MAX_LEN:-}" || "$target" != FuzzImage ]] || max_len=16384
  "$binary" "$corpus" "$FUZZ/Corpus/$target" \
    -max_len="$max_len" -max_total_time="$SECONDS_PER_TARGET" -runs="$RUNS" -timeout=10 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" ${FUZZ_ARGS:-} >"$logs/$target.log" 2>&1 || status=$?
  elapsed=$((SECONDS - start))
  executions="$(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$logs/$target.log" | grep -o '[0-9]*$' || true)"
  [[ -n "$executions" ]] || executions="$(grep -o '^#[0-9]*' "$logs/$target.log" | tail -n1 | tr -d '#' || true)"
  crashes=$(( $(find "$artifacts" -type f | wc -l) - before ))
  if (( status != 0 && crashes == 0 )); then crashes=1; fi
  line="$target: ${executions:-0} executions, $crashes crashes, $elapsed s"
  (( known == 0 )) || line+=" (known crashers replayed: $known, still crashing: $still)"
  echo "$line"
  if (( crashes > 0 )); then
    grep -m1 -E "Fatal error|ERROR: (AddressSanitizer|libFuzzer|LeakSanitizer)|SUMMARY" "$logs/$target.log" >&2 || true
    find "$artifacts" -type f -newer "$logs/$target.start" 2>/dev/null | sed 's/^/  new input: /' >&2 || true
    log "$target: log $logs/$target.log"
    failed=1
  fi
  (( still == 0 )) || failed=1
done
exit "$failed"
