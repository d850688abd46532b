#!/usr/bin/env python3
"""`ledge bench` against a plain Python loop over the same runtime, and against `ledge classify`.

For each model and thread count, rounds alternate (so drift hits both alike):
  * `ledge bench --format json --threads T --runs N` steady-state p50;
  * a plain Python loop with the same threads: ai_edge_litert `Interpreter.invoke`
    for efficientnet_lite0.tflite, onnxruntime `InferenceSession.run` for mobilenet_gen.onnx;
  * `ledge classify -c N --json` invoke times (first run dropped).
Prints a markdown table of medians over rounds and the ratios (goal: 0.95-1.05).

Run:  Benchmarks/run.sh   (or: $LEDGE_HOME/venv/bin/python Benchmarks/bench_vs_python.py --ledge .build/release/ledge)
"""
import argparse
import json
import os
import statistics
import subprocess
import time

import numpy as np


def ledge_bench_p50(ledge, model, threads, runs):
    out = subprocess.run(
        [ledge, "bench", "-m", model, "--format", "json", "--threads", str(threads), "--runs", str(runs),
         "--warmup", "5", "--batch", "1"],
        capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"ledge bench failed: {out.stderr.strip()}")
    return json.loads(out.stdout)["variants"][0]["latency_ms"]["p50"]


def ledge_classify_p50(ledge, model, image, threads, runs):
    out = subprocess.run(
        [ledge, "classify", "-m", model, "-i", image, "-c", str(runs + 1), "-k", "1", "--threads", str(threads), "--json"],
        check=True, capture_output=True, text=True).stdout
    return statistics.median(json.loads(out)["results"][0]["times_us"][1:]) / 1000


def python_p50(model, threads, runs, warmup=5):
    rng = np.random.default_rng(0)
    if model.endswith(".tflite"):
        from ai_edge_litert.interpreter import Interpreter
        interp = Interpreter(model_path=model, num_threads=threads)
        interp.allocate_tensors()
        inp = interp.get_input_details()[0]
        interp.set_tensor(inp["index"], rng.integers(0, 256, size=inp["shape"], dtype=np.uint8))
        run = interp.invoke
    else:
        import onnxruntime as ort
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        sess = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
        meta = sess.get_inputs()[0]
        shape = [1 if not isinstance(d, int) or d < 0 else d for d in meta.shape]
        feed = {meta.name: rng.uniform(-1, 1, size=shape).astype(np.float32)}
        run = lambda: sess.run(None, feed)  # noqa: E731
    for _ in range(warmup + 1):
        run()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        run()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ledge", default=".build/release/ledge")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--threads", default="1,2")
    args, _ = ap.parse_known_args()
    home = os.environ.get("LEDGE_HOME", ".ledge")
    models = [f"{home}/fixtures/models/efficientnet_lite0.tflite", f"{home}/fixtures/models/mobilenet_gen.onnx"]
    image = f"{home}/fixtures/images/chelsea_224.jpg"
    rows = []
    for model in models:
        for threads in [int(t) for t in args.threads.split(",")]:
            bench, python, classify = [], [], []
            for _ in range(args.rounds):
                bench.append(ledge_bench_p50(args.ledge, model, threads, args.runs))
                python.append(python_p50(model, threads, args.runs))
                classify.append(ledge_classify_p50(args.ledge, model, image, threads, args.runs))
            b, p, c = statistics.median(bench), statistics.median(python), statistics.median(classify)
            rows.append((os.path.basename(model), threads, b, p, c))
    print("| model | threads | ledge bench p50 ms | Python loop p50 ms | bench/Python | ledge classify p50 ms | bench/classify |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, t, b, p, c in rows:
        print(f"| {name} | {t} | {b:.2f} | {p:.2f} | {b / p:.3f} | {c:.2f} | {b / c:.3f} |")
    print(f"\n{args.rounds} interleaved rounds of {args.runs} runs each; medians over rounds. Goal: ratios 0.95-1.05.")


if __name__ == "__main__":
    main()
