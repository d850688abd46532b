#!/usr/bin/env bash
# make test's runner: `swift test --skip-build ARGS` under a time limit (LEDGE_TEST_TIME_LIMIT
# seconds, default 2400). Tests bound their own waits, but a wait that is not bounded (a thread
# blocked in a read, a lock) would otherwise run CI out of its clock with nothing to show. Past the
# limit this prints the tests that started and did not finish and the processes still running,
# then stops the whole run (its own process group) and exits 124.
set -u
limit=${LEDGE_TEST_TIME_LIMIT:-2400}
swift=${SWIFT:-swift}
log=$(mktemp /tmp/ledge-test-log.XXXXXX)
# The servers the tests start keep probe results and optimized ONNX graphs under
# $XDG_CACHE_HOME/ledge: a folder of this run's own, so that every run starts cold and
# nothing is left in the home folder.
XDG_CACHE_HOME=$(mktemp -d /tmp/ledge-test-cache.XXXXXX)
export XDG_CACHE_HOME
trap 'rm -f "$log"; rm -rf "$XDG_CACHE_HOME"' EXIT

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
    exit 124
fi
wait "$tests"
status=$?
wait "$follower" 2>/dev/null
exit "$status"
