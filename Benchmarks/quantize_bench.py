#!/usr/bin/env python3
"""ledge quantize against ONNX Runtime's Python quantizer, in one run (`make bench-quantize`).

Usage: quantize_bench.py --ledge PATH [--fixtures DIR] [--rounds N]

For mobilenet_gen.onnx and the rapidocr text classifier, on the calibration and validation
tensors set-up made (scripts/reference_quantize.py): the time `ledge quantize` (static, minmax)
takes to the written model (its report's quantize_ms: read, prepare, calibrate, quantize, check
that ORT loads it, write; the whole process's wall time with the validation run is printed
beside it) against ORT's best effort on the same tensors
(opset conversion where needed, quant_pre_process, quantize_static), alternating, best of N
rounds each; the sizes of both int8 models; and float against int8 latency from ledge's report
(the bench runner, 200 runs, same run).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from reference_quantize import ort_quantize  # noqa: E402

MODELS = {
    "mobilenet_gen": ("mobilenet_gen.onnx", []),
    "ppocr_cls": ("ch_ppocr_mobile_v2.0_cls_infer.onnx", ["--input-size", "48x192"]),
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ledge", required=True)
    parser.add_argument("--fixtures", default=os.path.join(os.environ.get("LEDGE_HOME", ".ledge"), "fixtures"))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        for key, (file, extra) in MODELS.items():
            model = os.path.join(args.fixtures, "models", file)
            folder = os.path.join(args.fixtures, "quantize", key)
            ours, walls, theirs = [], [], []
            out, ort_out = os.path.join(work, key + ".onnx"), os.path.join(work, key + "_ort.onnx")
            command = [args.ledge, "quantize", model, "-o", out, "--calibration", os.path.join(folder, "calibration"),
                       "--validate", os.path.join(folder, "validation"), "--bench-runs", "0", "--json"] + extra
            for _ in range(args.rounds):
                started = time.perf_counter()
                run = subprocess.run(command, check=True, capture_output=True, text=True)
                walls.append(time.perf_counter() - started)
                ours.append(json.loads(run.stdout)["quantize_ms"] / 1000)
                theirs.append(ort_quantize(model, folder, ort_out)[0])
            report = json.loads(subprocess.run(command[:-3] + ["--bench-runs", "200", "--json"] + extra, check=True,
                                               capture_output=True, text=True).stdout)
            latency = report["latency"]
            print(f"{key}: ledge quantize {min(ours):.2f} s to the written model ({min(walls):.2f} s with the "
                  f"validation run), ORT {min(theirs):.2f} s (ratio {min(ours) / min(theirs):.2f}, best of {args.rounds}); "
                  f"size float {report['size_before']} B, ledge int8 {report['size_after']} B "
                  f"({report['size_after'] / report['size_before']:.3f}x), ORT int8 {os.path.getsize(ort_out)} B "
                  f"(ledge/ORT {report['size_after'] / os.path.getsize(ort_out):.3f}); "
                  f"top-1 agreement {report['agreement']['top1_percent']:.1f} % of {report['agreement']['inputs']}; "
                  f"p50 float {latency['float_p50_ms']:.2f} ms, int8 {latency['int8_p50_ms']:.2f} ms "
                  f"(int8/float {latency['int8_p50_ms'] / latency['float_p50_ms']:.2f}, {latency['threads']} threads)")


if __name__ == "__main__":
    main()
