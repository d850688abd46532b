#!/usr/bin/env bash
# make test's runner: `swift test --skip-build ARGS` under a time limit (LEDGE_TEST_TIME_LIMIT
# seconds, default 2400). Tests bound their own waits, but a wait that is not bounded (a thread
# blocked in a read, a lock) would otherwise run CI out of its clock with nothing to show. Past the
# limit this prints the tests that started and did not finish and the processes still running,
# then stops the whole run and exits 124. Processes the tests left running
# (a crashed test process cannot stop its servers) are named and stopped after the run.
set -u
limit=${LEDGE_TEST_TIME_LIMIT:-2400}
swift=${SWIFT:-swift}
log=$(mktemp /tmp/ledge-test-log.XXXXXX)
# The servers the tests start keep probe results and optimized ONNX graphs under
# $XDG_CACHE_HOME/ledge: a folder of this run's own, so that every run starts cold and
# nothing is left in the home folder.
XDG_CACHE_HOME=$(mktemp -d /tmp/ledge-test-cache.XXXXXX)
export XDG_CACHE_HOME
# SwiftPM leaves a lock file named after the cache folder in /tmp (…_org.swift.swiftpm_manifests_manifest.db.lock).
locks="/tmp/$(printf %s "$XDG_CACHE_HOME" | tr / _)_"
trap 'rm -f "$log" "$locks"*.lock; rm -rf "$XDG_CACHE_HOME"' EXIT
# Marks every process the run starts (see the end).
run="$$-$(date +%s%N)"
export LEDGE_TEST_RUN="$run"

# Tests stop what they start, even when they fail; a test process that crashed cannot. Its
# children are marked by LEDGE_TEST_RUN in their environment (the test process runs in a process
# group of its own, and its orphans are adopted by init): those still running are named and
# stopped here, so that a crashed run leaves nothing behind either.
stop_leftovers() {
    export -n LEDGE_TEST_RUN
    local left pid
    left=$(grep -lsxz "LEDGE_TEST_RUN=$run" /proc/[0-9]*/environ | cut -d/ -f3)
    if [ -n "$left" ]; then
        echo "run_tests: these processes of the run were still running; stopping them:"
        for pid in $left; do echo "  $pid $(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | cut -c1-200)"; done
        kill -TERM $left 2>/dev/null
        sleep 2
        kill -KILL $left 2>/dev/null
    fi
}

# Job control gives the run a process group of its own, so that it can be stopped as a whole.
set -m
"$swift" test --skip-build "$@" >"$log" 2>&1 &
tests=$!
set +m
tail -n +1 -f --pid="$tests" "$log" &
follower=$!

start=$SECONDS
while kill -0 "$tests" 2>/dev/null && [ $((SECONDS - start)) -lt "$limit" ]; do sleep 1; done

if kill -0 "$tests" 2>/dev/null; then
    sleep 1
    echo "run_tests: the tests ran past ${limit} s (LEDGE_TEST_TIME_LIMIT); these started and did not finish:"
    # Swift Testing prints `◇ Test NAME started.` and `✔/✘ Test NAME … passed/failed …`.
    awk '
        /^◇ Test .* started\.$/ { name = $0; sub(/^◇ Test /, "", name); sub(/ started\.$/, "", name); open[name]++ }
        /^(✔|✘) Test / {
            name = $0; sub(/^(✔|✘) Test /, "", name)
            sub(/ (with [0-9]+ test cases? )?(passed|failed).*$/, "", name)
            if (open[name] > 0) open[name]--
        }
        END { for (name in open) if (open[name] > 0) print "  " name }
    ' "$log" | sort
    echo "run_tests: processes (seconds running):"
    ps -eo pid,ppid,etimes,stat,args --forest | grep -v " \\[.*\\]$" | cut -c1-200
    kill -TERM -- -"$tests" 2>/dev/null
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$tests" 2>/dev/null || break; sleep 1; done
    kill -KILL -- -"$tests" 2>/dev/null
    wait "$follower" 2>/dev/null
    stop_leftovers
    exit 124
fi
wait "$tests"
status=$?
wait "$follower" 2>/dev/null
stop_leftovers
exit "$status"
