#!/usr/bin/env python3
"""Memory of `ledge serve` by instance count: what each instance after the first costs.

For each binary given (alternated, `--rounds` times), serves one model with `--instances 1
--threads 1` and with default flags (one 1-thread instance per core plus one all-core instance),
sends 20 photos and then 3 s of wrk at 4 connections to the image endpoint, and reads VmRSS and
PSS (`/proc/PID/smaps_rollup`: pages mapped by several mappings counted once). Each server gets a
fresh ONNX graph cache, warmed by one start first, so every run loads the cached graph as a
restart on a device would.

Usage: Benchmarks/instance_memory.py --ledge .build/release/ledge [--ledge OTHER] [--model M] [--rounds N]
Needs wrk. Prints a markdown table (MB; medians over rounds).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from serve_bench import free_port, http_status  # noqa: E402

LUA = os.path.join(HERE, "wrk", "post_body.lua")


def kib(path, key):
    with open(path) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def measure(ledge, model, photo, flags, cache):
    port = free_port()
    proc = subprocess.Popen([ledge, "serve", "-m", model, "--port", str(port), "--no-grpc", "--log-level", "error",
                             "--onnx-cache", cache, *flags], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while http_status(port, "/v2/health/ready", timeout=0.2) != 200:
            if proc.poll() is not None or time.time() > deadline:
                sys.exit(f"{ledge} serve {model} did not become ready")
            time.sleep(0.02)
        name = os.path.splitext(os.path.basename(model))[0]
        url = f"http://127.0.0.1:{port}/v2/models/{name}/classify"
        for _ in range(20):
            subprocess.run(["curl", "-sf", "-o", "/dev/null", "--data-binary", "@" + photo, "-H",
                            "Content-Type: image/jpeg", url], check=True)
        subprocess.run(["wrk", "-t", "2", "-c", "4", "-d", "3s", "-s", LUA, url, "--", photo, "image/jpeg"],
                       check=True, capture_output=True)
        return kib(f"/proc/{proc.pid}/status", "VmRSS") / 1024, kib(f"/proc/{proc.pid}/smaps_rollup", "Pss") / 1024
    finally:
        proc.terminate()
        proc.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ledge", action="append", required=True, help="a ledge binary (repeat to compare)")
    home = os.environ.get("LEDGE_HOME", os.path.join(os.path.dirname(HERE), ".ledge"))
    parser.add_argument("--model", default=os.path.join(home, "fixtures", "models", "mobilenet_gen.onnx"))
    parser.add_argument("--photo", default=os.path.join(home, "fixtures", "images", "coffee.jpg"))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    setups = {"1 instance": ["--instances", "1", "--threads", "1"], "default": []}
    rows = {(b, s): [] for b in args.ledge for s in setups}
    for _ in range(args.rounds):
        for ledge in args.ledge:
            for setup, flags in setups.items():
                cache = tempfile.mkdtemp(prefix="ledge-instance-memory-")
                try:
                    measure(ledge, args.model, args.photo, flags, cache)  # fills the graph cache
                    rows[(ledge, setup)].append(measure(ledge, args.model, args.photo, flags, cache))
                finally:
                    shutil.rmtree(cache, ignore_errors=True)
    print(f"model {os.path.basename(args.model)}, {args.rounds} rounds, MB (median)\n")
    print("| binary | RSS 1 instance | RSS default | PSS 1 instance | PSS default | RSS per extra instance |")
    print("|---|---|---|---|---|---|")
    extra = (os.cpu_count() or 1)  # default flags: one 1-thread instance per core plus one all-core instance
    for ledge in args.ledge:
        one, default = rows[(ledge, "1 instance")], rows[(ledge, "default")]
        rss1, rssd = statistics.median(r for r, _ in one), statistics.median(r for r, _ in default)
        pss1, pssd = statistics.median(p for _, p in one), statistics.median(p for _, p in default)
        print(f"| {ledge} | {rss1:.1f} | {rssd:.1f} | {pss1:.1f} | {pssd:.1f} | {(rssd - rss1) / extra:.1f} |")


if __name__ == "__main__":
    main()
