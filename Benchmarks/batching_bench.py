#!/usr/bin/env python3
"""Dynamic batching in `ledge serve`: throughput and p99 latency at 16 concurrent clients.

mobilenet_gen.onnx (dynamic batch dimension) is served on loopback and loaded by wrk with
16 connections sending binary-tensor infer requests (KServe V2 binary data extension), 16
different photo inputs in rotation. Configurations, interleaved in each round so drift hits
all of them:
  - without batching: 2 instances x 1 thread (serve's default on 2 cores), 1 instance x 2 threads;
  - with `--max-batch-size 8 --max-queue-delay-us D` for each D of --delays-us, 1 instance x 2 threads
    and 2 instances x 1 thread.
The in-process ceiling is `ledge bench -m mobilenet_gen.onnx --batch 1,8 --threads 2` (samples/s at
batch 1 and 8); one batch's compute is 8 / (its batch-8 samples/s), and the served one is the
mean session run the server recorded (ledge_inference_compute_infer_duration_seconds). The p99
goal of a batching server is max_queue_delay + 2 x one batch's compute (the batch running when a
request arrives, then its own).

Usage: Benchmarks/batching_bench.py --ledge .build/release/ledge [--duration S] [--rounds N] [--delays-us 0,2000]
Needs wrk (apt install wrk). Numbers are printed as a markdown table (medians over rounds).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.request

import numpy as np
from PIL import Image

from serve_bench import Server, wrk

HERE = os.path.dirname(os.path.abspath(__file__))
LUA = os.path.join(HERE, "wrk", "infer_binary.lua")


def bodies(images, folder):
    """16 binary infer bodies (8 photos, each as is and mirrored): [(header length, path)]."""
    names = [f"{s}_224.{e}" for s in ("astronaut", "chelsea", "coffee", "rocket") for e in ("jpg", "png")]
    out = []
    for name in names:
        pixels = np.asarray(Image.open(os.path.join(images, name)).convert("RGB"), dtype=np.float32) / 255.0
        for mirrored in (False, True):
            chw = np.ascontiguousarray((pixels[:, ::-1] if mirrored else pixels).transpose(2, 0, 1)[None])
            header = json.dumps({"inputs": [{"name": "input", "datatype": "FP32", "shape": list(chw.shape),
                                             "parameters": {"binary_data_size": chw.nbytes}}],
                                 "outputs": [{"name": "output", "parameters": {"binary_data": True}}]}).encode()
            path = os.path.join(folder, f"{len(out)}.bin")
            with open(path, "wb") as f:
                f.write(header + chw.tobytes())
            out.append((len(header), path))
    return out


def wrk_infer(url, files, connections, threads, duration):
    return wrk(url, None, None, connections, threads, duration, script=LUA,
               script_args=[f"{length}:{path}" for length, path in files])


def counters(server):
    """Model gen's executions, inferences, and the sum and count of its requests' compute times, from /metrics."""
    text = urllib.request.urlopen(server.url("/metrics"), timeout=5).read().decode()

    def value(name):
        return next(float(l.split()[1]) for l in text.splitlines() if l.startswith(name + '{model="gen"'))
    compute = "ledge_inference_compute_infer_duration_seconds"
    return [value("ledge_inference_exec_count_total"), value("ledge_inference_count_total"),
            value(compute + "_sum"), value(compute + "_count")]


def ceiling(ledge, model, runs):
    """In-process samples/s at batch 1 and 8, 2 threads."""
    out = subprocess.run(
        [ledge, "bench", "-m", model, "--threads", "2", "--batch", "1,8", "--runs", str(runs), "--warmup", "3",
         "--format", "json"], check=True, capture_output=True, text=True).stdout
    rows = json.loads(out)["variants"][0]["throughput"]
    return {r["batch"]: r["samples_per_s"] for r in rows if r["instances"] == 1}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ledge", required=True)
    ap.add_argument("--home", default=os.environ.get("LEDGE_HOME", os.path.join(HERE, "..", ".ledge")))
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=40, help="in-process iterations per batch size and round")
    ap.add_argument("--delays-us", default="0,2000", help="max queue delays to measure, microseconds")
    args, _ = ap.parse_known_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    model = os.path.join(args.home, "fixtures", "models", "mobilenet_gen.onnx")
    folder = tempfile.mkdtemp(prefix="ledge-batching-bench-")
    files = bodies(os.path.join(args.home, "fixtures", "images"), folder)
    delays = [int(d) for d in args.delays_us.split(",")]
    configs = [("no batching, 2 instances x 1 thread", 2, 1, None), ("no batching, 1 instance x 2 threads", 1, 2, None)]
    for delay in delays:
        configs.append((f"max batch 8, delay {delay} us, 1 instance x 2 threads", 1, 2, delay))
        configs.append((f"max batch 8, delay {delay} us, 2 instances x 1 thread", 2, 1, delay))
    rows = {name: [] for name, *_ in configs}
    ceilings = []
    try:
        for r in range(args.rounds):
            ceilings.append(ceiling(args.ledge, model, args.runs))
            for name, instances, threads, delay in configs:
                extra = [] if delay is None else ["--max-batch-size", "8", "--max-queue-delay-us", str(delay)]
                server = Server(args.ledge, model, threads, instances, ["--name", "gen", *extra])
                url = server.url("/v2/models/gen/infer")
                try:
                    wrk_infer(url, files, 16, 2, 2)  # warm-up
                    before = counters(server)
                    result = wrk_infer(url, files, 16, 2, args.duration)
                    after = counters(server)
                finally:
                    server.stop()
                executions, items, compute_s, requests = (a - b for a, b in zip(after, before))
                # Each request of a batch records the batch's compute: the mean is one execution's.
                rows[name].append((result["rps"], result["p50_us"] / 1000, result["p99_us"] / 1000,
                                   items / max(executions, 1), compute_s / max(requests, 1) * 1000))
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    med = statistics.median
    c1 = med(c[1] for c in ceilings)
    c8 = med(c[8] for c in ceilings)
    batch_ms = 8 / c8 * 1000
    base = med(r[0] for r in rows[configs[0][0]])
    print(f"\n`{' '.join(sys.argv)}` — {args.rounds} interleaved rounds, wrk 16 connections {args.duration} s each, "
          f"medians over rounds\n")
    print(f"in-process ceiling (ledge bench, 2 threads): batch 1 {c1:.1f}/s, batch 8 {c8:.1f}/s "
          f"(one batch of 8: {batch_ms:.1f} ms)\n")
    print("| configuration | req/s | vs no batching (2x1) | vs ceiling batch 8 | mean batch | execution (served) "
          "| p50 | p99 | p99 / (delay + 2 x in-process batch 8) | p99 / (delay + 2 x served execution) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, _, _, delay in configs:
        cells = rows[name]
        rps, p50, p99 = med(c[0] for c in cells), med(c[1] for c in cells), med(c[2] for c in cells)
        mean_batch, execution = med(c[3] for c in cells), med(c[4] for c in cells)
        goals = ["", ""] if delay is None else [f"{p99 / (delay / 1000 + 2 * batch_ms):.2f}",
                                                f"{p99 / (delay / 1000 + 2 * execution):.2f}"]
        print(f"| {name} | {rps:.1f} | {rps / base:.3f} | {rps / c8:.3f} | {mean_batch:.2f} | {execution:.1f} ms "
              f"| {p50:.1f} ms | {p99:.1f} ms | {goals[0]} | {goals[1]} |")


if __name__ == "__main__":
    main()
