#!/usr/bin/env python3
"""What the model probe adds to `ledge serve`'s ready time, what the probe costs, and what
the probe cache and the optimized ONNX graph cache save.

Ready time = exec -> GET /v2/health/ready answers 200, for one model
(efficientnet_lite0) and for four (efficientnet_lite0, mobilenet_gen, add, the
rapidocr classifier), in four modes per round, interleaved so drift hits all:
  no-probe    --no-probe --onnx-cache none: models load and optimize in the server process
              (as before the probe and the graph cache existed)
  cold cache  each model is probed in a child process, which also optimizes the ONNX models
              and keeps their graphs (empty --probe-cache and --onnx-cache)
  warm probe  the probe results of the previous start are reused; graphs optimized again
              (--onnx-cache none)
  warm cache  probe results and optimized graphs of the previous starts are reused
Also the probe child's peak RSS per model (VmHWM, as the cache records it).

Usage: Benchmarks/probe_bench.py --ledge .build/release/ledge [--rounds N]
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from serve_bench import free_port, http_status

MODELS = {
    "efficientnet_lite0": "efficientnet_lite0.tflite",
    "mobilenet_gen": "mobilenet_gen.onnx",
    "add": "add.onnx",
    "ocr_cls": "ch_ppocr_mobile_v2.0_cls_infer.onnx",
}


def ready_ms(ledge, models_dir, names, extra):
    """Starts ledge serve with -m for each of `names`; ms until /v2/health/ready is 200."""
    port = free_port()
    args = [ledge, "serve", "--port", str(port), "--log-level", "error", *extra]
    for name in names:
        args += ["-m", os.path.join(models_dir, MODELS[name]), "--name", name]
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while True:
            if http_status(port, "/v2/health/ready", timeout=0.2) == 200:
                return (time.perf_counter() - start) * 1000
            if proc.poll() is not None:
                sys.exit(f"ledge serve exited with {proc.returncode}: {proc.stderr.read().decode()}")
            if time.perf_counter() - start > 120:
                sys.exit("ledge serve did not become ready in 120 s")
            time.sleep(0.001)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ledge", required=True)
    ap.add_argument("--home", default=os.environ.get("LEDGE_HOME", os.path.join(os.path.dirname(__file__), "..", ".ledge")))
    ap.add_argument("--rounds", type=int, default=5)
    args, _ = ap.parse_known_args()
    models_dir = os.path.join(args.home, "fixtures", "models")
    sets = {"1 model": ["efficientnet_lite0"], "4 models": list(MODELS)}
    modes = ("no-probe", "cold cache", "warm probe", "warm cache")
    rows = {(s, m): [] for s in sets for m in modes}
    peaks = {}
    for r in range(args.rounds):
        for label, names in sets.items():
            folder = tempfile.mkdtemp(prefix="ledge-probe-bench-")
            cache, graphs = os.path.join(folder, "probe"), os.path.join(folder, "onnx")
            try:
                rows[(label, "no-probe")].append(ready_ms(args.ledge, models_dir, names, ["--no-probe", "--onnx-cache", "none"]))
                both = ["--probe-cache", cache, "--onnx-cache", graphs]
                rows[(label, "cold cache")].append(ready_ms(args.ledge, models_dir, names, both))
                rows[(label, "warm probe")].append(
                    ready_ms(args.ledge, models_dir, names, ["--probe-cache", cache, "--onnx-cache", "none"]))
                rows[(label, "warm cache")].append(ready_ms(args.ledge, models_dir, names, both))
                if label == "4 models":
                    for entry in os.listdir(cache):
                        with open(os.path.join(cache, entry)) as f:
                            text = f.read().split()
                        if text[:1] == ["passed"]:
                            peaks.setdefault(entry[:12], []).append(int(text[1]))
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)

    med = statistics.median
    print(f"\n`{' '.join(sys.argv)}` — {args.rounds} interleaved rounds, medians (min–max)\n")
    print("| models | mode | ready time | vs no-probe |")
    print("|---|---|---|---|")
    for label in sets:
        base = med(rows[(label, "no-probe")])
        for mode in modes:
            values = rows[(label, mode)]
            print(f"| {label} | {mode} | {med(values):.0f} ms ({min(values):.0f}–{max(values):.0f}) "
                  f"| {med(values) / base:.2f} |")
    if peaks:
        values = sorted(med(v) / 1e6 for v in peaks.values())
        print(f"\nprobe child peak RSS per model (VmHWM): {', '.join(f'{v:.1f} MB' for v in values)}")


if __name__ == "__main__":
    main()
