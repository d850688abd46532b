#!/usr/bin/env python3
"""Ledge vs the Python runtimes, interleaved in one run on this machine.

Measures (issue: foundation):
  * invoke p50 of `ledge classify` (Swift → C API) vs the Python runtime's own
    invoke loop (ai_edge_litert Interpreter.invoke, onnxruntime InferenceSession.run)
    on efficientnet_lite0 (threads 1 and 2) and the generated ONNX model;
  * JPEG decode + preprocessing time for 640x480 and 4000x3000 photos as a
    fraction of invoke time.

Rounds alternate Ledge and Python so drift (thermal, other load) hits both alike.
Run:  make bench   (or: .ledge/venv/bin/python Benchmarks/compare_runtimes.py --ledge .build/release/ledge)
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np


def ledge_times(ledge, model, image, threads, runs, extra=()):
    out = subprocess.run(
        [ledge, "classify", "-m", model, "-i", image, "-c", str(runs), "-k", "1", "--threads", str(threads), "--json", *extra],
        check=True, capture_output=True, text=True).stdout
    result = json.loads(out)["results"][0]
    return [us / 1000 for us in result["times_us"][1:]], {k: us / 1000 for k, us in result["timing_us"].items()}


def ledge_preprocess_ms(ledge, model, image, repeats=6):
    """Warm decode + preprocess: the same photo several times in one process, the first dropped."""
    args = [ledge, "classify", "-m", model, "-c", "1", "-k", "1", "--json"]
    for _ in range(repeats):
        args += ["-i", image]
    results = json.loads(subprocess.run(args, check=True, capture_output=True, text=True).stdout)["results"]
    return [(r["timing_us"]["decode"] + r["timing_us"]["preprocess"]) / 1000 for r in results[1:]]


def pillow_preprocess_ms(image, repeats=6):
    """The same work in Pillow (same libjpeg-turbo family, DCT scaling via draft), for scale."""
    from PIL import Image
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        im = Image.open(image)
        im.draft("RGB", (224, 224))
        im = im.convert("RGB").resize((224, 224), Image.BILINEAR)
        np.asarray(im)
        times.append((time.perf_counter() - t) * 1000)
    return times[1:]


def python_litert_times(model, threads, runs):
    from ai_edge_litert.interpreter import Interpreter
    interp = Interpreter(model_path=model, num_threads=threads)
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]
    x = np.random.default_rng(0).integers(0, 256, size=inp["shape"], dtype=np.uint8)
    interp.set_tensor(inp["index"], x)
    interp.invoke()  # warm-up, as Ledge's first run
    times = []
    for _ in range(runs - 1):
        t = time.perf_counter()
        interp.invoke()
        times.append((time.perf_counter() - t) * 1000)
    return times


def python_ort_times(model, threads, runs):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    x = np.random.default_rng(0).random((1, 3, 224, 224), dtype=np.float32)
    sess.run(None, {inp.name: x})
    times = []
    for _ in range(runs - 1):
        t = time.perf_counter()
        sess.run(None, {inp.name: x})
        times.append((time.perf_counter() - t) * 1000)
    return times


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    home = os.environ.get("LEDGE_HOME", os.path.join(root, ".ledge"))
    p = argparse.ArgumentParser()
    p.add_argument("--ledge", default=os.path.join(root, ".build/release/ledge"))
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--runs", type=int, default=40)
    a = p.parse_args()
    models = os.path.join(home, "fixtures/models")
    images = os.path.join(home, "fixtures/images")
    effnet = os.path.join(models, "efficientnet_lite0.tflite")
    gen = os.path.join(models, "mobilenet_gen.onnx")
    chelsea = os.path.join(images, "chelsea_224.jpg")

    cases = [("efficientnet_lite0 t1", effnet, 1, python_litert_times),
             ("efficientnet_lite0 t2", effnet, 2, python_litert_times),
             ("mobilenet_gen.onnx t1", gen, 1, python_ort_times),
             ("mobilenet_gen.onnx t2", gen, 2, python_ort_times)]
    ledge_all = {c[0]: [] for c in cases}
    py_all = {c[0]: [] for c in cases}
    round_ratios = {c[0]: [] for c in cases}
    pre = {"640x480": [], "4000x3000": []}
    pil = {"640x480": [], "4000x3000": []}
    for r in range(a.rounds):
        for name, model, threads, pyfn in cases:
            order = [0, 1] if r % 2 == 0 else [1, 0]
            mine = theirs = None
            for o in order:
                if o == 0:
                    mine = ledge_times(a.ledge, model, chelsea, threads, a.runs)[0]
                    ledge_all[name] += mine
                else:
                    theirs = pyfn(model, threads, a.runs)
                    py_all[name] += theirs
            round_ratios[name].append(statistics.median(mine) / statistics.median(theirs))
        for size in pre:
            img = os.path.join(images, f"chelsea_{size}.jpg")
            pre[size] += ledge_preprocess_ms(a.ledge, effnet, img)
            pil[size] += pillow_preprocess_ms(img)

    print(f"# {a.rounds} interleaved rounds x {a.runs - 1} timed runs each (first run excluded)\n")
    print("| case | Ledge p50 ms | Python p50 ms | ratio of p50s | median of per-round ratios | Ledge min ms | Python min ms |")
    print("|---|---|---|---|---|---|---|")
    p50 = {}
    for name, *_ in cases:
        lm, pm = statistics.median(ledge_all[name]), statistics.median(py_all[name])
        p50[name] = lm
        rr = statistics.median(round_ratios[name])
        print(f"| {name} | {lm:.2f} | {pm:.2f} | {lm / pm:.3f} | {rr:.3f} | {min(ledge_all[name]):.2f} | {min(py_all[name]):.2f} |")
    invoke = p50["efficientnet_lite0 t2"]
    print("\n| photo | Ledge decode+preprocess p50 ms | share of invoke p50 (efficientnet_lite0, 2 threads) | Pillow draft+decode+resize p50 ms |")
    print("|---|---|---|---|")
    for size, values in pre.items():
        m = statistics.median(values)
        print(f"| chelsea_{size}.jpg | {m:.2f} | {100 * m / invoke:.1f}% | {statistics.median(pil[size]):.2f} |")


if __name__ == "__main__":
    sys.exit(main())
