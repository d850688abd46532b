#!/usr/bin/env python3
"""What keeping ONNX Runtime's optimized graphs (`--onnx-cache`) saves `ledge serve`.

For the Paddle text classifier, mobilenet_gen.onnx and a repository of four small models
(efficientnet_lite0, the classifier, add, add_one), with a warm probe cache, starts with
`--onnx-cache none` and with a warm graph cache alternate, round by round:
  - ready time: exec -> GET /v2/health/ready answers 200 (median of the rounds);
  - mobilenet_gen.onnx's peak RSS while its instances open (VmHWM after they are all open),
    and its RSS after 20 infers.
Ratios are cached / none, from the same run.

Usage: Benchmarks/graph_cache_bench.py --ledge .build/release/ledge [--rounds 20]
"""
import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request

from serve_bench import Server, four_model_repository


def peak_rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ledge", required=True)
    ap.add_argument("--home", default=os.environ.get("LEDGE_HOME", os.path.join(os.path.dirname(__file__), "..", ".ledge")))
    ap.add_argument("--rounds", type=int, default=20)
    args, _ = ap.parse_known_args()
    models = os.path.join(os.path.abspath(args.home), "fixtures", "models")
    root = tempfile.mkdtemp(prefix="ledge-graph-bench-")
    try:
        graphs, probes = os.path.join(root, "onnx"), os.path.join(root, "probe")
        cases = {
            "Paddle classifier": {"model": os.path.join(models, "ch_ppocr_mobile_v2.0_cls_infer.onnx")},
            "mobilenet_gen.onnx": {"model": os.path.join(models, "mobilenet_gen.onnx")},
            "four models": {"repository": four_model_repository(root, models)},
        }
        modes = {"none": ["--onnx-cache", "none"], "cached": ["--onnx-cache", graphs]}
        for case in cases.values():  # warm both caches
            for extra in modes.values():
                Server(args.ledge, extra=["--probe-cache", probes, *extra], **case).stop()
        ready = {(c, m): [] for c in cases for m in modes}
        for r in range(args.rounds):
            for c, case in cases.items():
                for m, extra in modes.items():
                    server = Server(args.ledge, extra=["--probe-cache", probes, *extra], **case)
                    ready[(c, m)].append(server.ready_s * 1000)
                    server.stop()
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)

        body = json.dumps({"inputs": [{"name": "input", "shape": [1, 3, 224, 224], "datatype": "FP32",
                                       "data": [0.5] * (3 * 224 * 224)}]}).encode()
        memory = {m: [] for m in modes}
        for _ in range(3):
            for m, extra in modes.items():
                server = Server(args.ledge, extra=["--probe-cache", probes, *extra], **cases["mobilenet_gen.onnx"])
                time.sleep(1.5)  # the other instances open after ready
                peak = peak_rss(server.proc.pid)
                for _ in range(20):
                    request = urllib.request.Request(server.url("/v2/models/mobilenet_gen/infer"), data=body,
                                                     headers={"Content-Type": "application/json"})
                    urllib.request.urlopen(request).read()
                memory[m].append((peak, server.rss_bytes()))
                server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)

    med = statistics.median
    print(f"\n`{' '.join(sys.argv)}` — {args.rounds} alternated rounds, warm probe cache, medians (min)\n")
    print("| measure | --onnx-cache none | warm graph cache | ratio |")
    print("|---|---|---|---|")
    for c in cases:
        a, b = ready[(c, "none")], ready[(c, "cached")]
        print(f"| exec → ready, {c} | {med(a):.0f} ms ({min(a):.0f}) | {med(b):.0f} ms ({min(b):.0f}) | {med(b) / med(a):.3f} |")
    for label, index in (("peak RSS while mobilenet_gen.onnx opens", 0), ("RSS after 20 infers", 1)):
        a = med(v[index] for v in memory["none"]) / 2**20
        b = med(v[index] for v in memory["cached"]) / 2**20
        print(f"| {label} | {a:.1f} MB | {b:.1f} MB | {b / a:.3f} |")


if __name__ == "__main__":
    main()
