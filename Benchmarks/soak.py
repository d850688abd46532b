#!/usr/bin/env python3
"""Soak `ledge serve`: mixed good and bad traffic at 32 connections for a bounded time.

Three wrk loads run at once against one server (efficientnet_lite0 + add):
  12 connections  V2 JSON infer on add            -> every answer must be 2xx
   8 connections  classify chelsea.jpg            -> every answer must be 2xx
  12 connections  bad infer requests (overflowing and oversized shapes, trailing
                  commas, float shapes, wrong datatypes, malformed JSON) -> every answer 4xx
and no socket errors anywhere. RSS and open descriptors are sampled every 5 s;
drift is measured from the sample after warm-up (10 % of the run) to the last.
SIGTERM at the end must exit 0.

Usage: Benchmarks/soak.py --ledge .build/release/ledge [--duration 600]
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from serve_bench import free_port, http_status

HERE = os.path.dirname(os.path.abspath(__file__))
LUA = os.path.join(HERE, "wrk", "rotate_bodies.lua")

GOOD = {"inputs": [{"name": "a", "datatype": "FP32", "shape": [1, 4], "data": [1, 2, 3, 4]},
                   {"name": "b", "datatype": "FP32", "shape": [1, 4], "data": [1, 1, 1, 1]}]}
BAD = [
    '{"inputs":[{"name":"a","datatype":"FP32","shape":[4611686018427387905,4],"data":[1,2,3,4]}]}',
    '{"inputs":[{"name":"a","datatype":"FP32","shape":[1073741824,4],"data":[1,2,3,4]}]}',
    '{"inputs":[{"name":"a","datatype":"FP32","shape":[1,4],"data":[1,2,3,4,]}]}',
    '{"inputs":[{"name":"a","datatype":"FP32","shape":[1.0,4],"data":[1,2,3,4]}]}',
    '{"inputs":[{"name":"a","datatype":"INT8","shape":[1,4],"data":[1,2,3,4]}]}',
    '{"inputs": [',
]


def sample(pid):
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmRSS:"))
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ledge", required=True)
    ap.add_argument("--home", default=os.environ.get("LEDGE_HOME", os.path.join(HERE, "..", ".ledge")))
    ap.add_argument("--duration", type=int, default=600, help="seconds of load")
    args, _ = ap.parse_known_args()
    fixtures = os.path.join(args.home, "fixtures")
    work = tempfile.mkdtemp(prefix="ledge-soak-")
    good = os.path.join(work, "good.json")
    with open(good, "w") as f:
        json.dump(GOOD, f)
    bad = []
    for i, body in enumerate(BAD):
        bad.append(os.path.join(work, f"bad{i}.json"))
        with open(bad[-1], "w") as f:
            f.write(body)
    port = free_port()
    server = subprocess.Popen(
        [args.ledge, "serve", "--port", str(port), "--log-level", "error", "--no-probe",
         "-m", os.path.join(fixtures, "models", "efficientnet_lite0.tflite"), "--name", "efficientnet_lite0",
         "-m", os.path.join(fixtures, "models", "add.onnx"), "--name", "add"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while http_status(port, "/v2/health/ready", 0.2) != 200:
        if server.poll() is not None or time.time() > deadline:
            sys.exit(f"ledge serve did not start: {server.stderr.read().decode()}")
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}/v2/models"
    loads = {
        "infer (good)": ([f"{base}/add/infer", "--", "application/json", good], 12),
        "classify (good)": ([f"{base}/efficientnet_lite0/classify", "--", "image/jpeg",
                             os.path.join(fixtures, "images", "chelsea.jpg")], 8),
        "infer (bad)": ([f"{base}/add/infer", "--", "application/json", *bad], 12),
    }
    procs = {name: subprocess.Popen(["wrk", "-t", "1", "-c", str(c), "-d", f"{args.duration}s", "--timeout", "10s",
                                     "-s", LUA, *cmd], stdout=subprocess.PIPE, text=True)
             for name, (cmd, c) in loads.items()}
    samples, start = [], time.time()
    while any(p.poll() is None for p in procs.values()):
        samples.append((time.time() - start, *sample(server.pid)))
        time.sleep(5)
    results = {}
    for name, p in procs.items():
        line = next(l for l in p.stdout.read().splitlines() if l.startswith("WRK_JSON "))
        results[name] = json.loads(line[len("WRK_JSON "):])
    server.send_signal(signal.SIGTERM)
    exit_code = server.wait(timeout=60)

    unexpected = 0
    print(f"\n`{' '.join(sys.argv)}`\n")
    print("| load | requests | non-2xx | socket errors | p99 |")
    print("|---|---|---|---|---|")
    for name, r in results.items():
        socket_errors = r["connect"] + r["read"] + r["write"] + r["timeout"]
        wrong = (r["requests"] - r["non_2xx"]) if "bad" in name else r["non_2xx"]
        unexpected += wrong + socket_errors
        print(f"| {name} | {r['requests']} | {r['non_2xx']} | {socket_errors} | {r['p99_us'] / 1000:.1f} ms |")
    warm = next(s for s in samples if s[0] >= args.duration * 0.1)
    last = samples[-1]
    trend = [next(s for s in samples if s[0] >= args.duration * f) for f in (0.1, 0.25, 0.5, 0.75)] + [last]
    print("RSS over time: " + ", ".join(f"{t:.0f} s {rss / 1e6:.1f} MB" for t, rss, _ in trend))
    print(f"\ntotal requests {sum(r['requests'] for r in results.values())}, unexpected {unexpected}; "
          f"RSS {warm[1] / 1e6:.1f} MB after warm-up -> {last[1] / 1e6:.1f} MB at the end "
          f"(drift {100 * (last[1] - warm[1]) / warm[1]:+.2f} %); descriptors {warm[2]} -> {last[2]}; "
          f"SIGTERM exit {exit_code}")
    sys.exit(0 if unexpected == 0 and exit_code == 0 else 1)


if __name__ == "__main__":
    main()
