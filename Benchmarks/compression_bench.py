#!/usr/bin/env python3
"""What compressed request bodies cost `ledge serve` and save on the wire.

One server (efficientnet_lite0.tflite, default flags); one HTTP/1.1 client posts prebuilt bodies, so the
client's own compression is not timed: chelsea_224.jpg as a UINT8 tensor, as binary tensor data and as
JSON, each plain and with `Content-Encoding: deflate` (zlib level 6). Rounds interleave the four forms;
printed: bytes on the wire and p50 per form, and the compressed / plain ratios from the same run.

Usage: Benchmarks/compression_bench.py --ledge .build/release/ledge [--rounds 5] [--calls 30]
"""
import argparse
import http.client
import json
import os
import statistics
import sys
import time
import zlib

import numpy as np
from PIL import Image

from serve_bench import Server


def bodies(fixtures):
    image = np.asarray(Image.open(os.path.join(fixtures, "images", "chelsea_224.jpg")).convert("RGB"), dtype=np.uint8)[None]
    header = json.dumps({"inputs": [{"name": "images", "shape": [1, 224, 224, 3], "datatype": "UINT8",
                                     "parameters": {"binary_data_size": image.nbytes}}],
                         "outputs": [{"name": "Softmax", "parameters": {"binary_data": True}}]}).encode()
    binary = header + image.tobytes()
    plain_json = json.dumps({"inputs": [{"name": "images", "shape": [1, 224, 224, 3], "datatype": "UINT8",
                                         "data": image.flatten().tolist()}]}).encode()
    binary_headers = {"Content-Type": "application/octet-stream", "Inference-Header-Content-Length": str(len(header))}
    json_headers = {"Content-Type": "application/json"}
    deflate = {"Content-Encoding": "deflate"}
    return {
        "binary": (binary, binary_headers),
        "binary, deflate": (zlib.compress(binary, 6), {**binary_headers, **deflate}),
        "JSON": (plain_json, json_headers),
        "JSON, deflate": (zlib.compress(plain_json, 6), {**json_headers, **deflate}),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ledge", required=True)
    ap.add_argument("--home", default=os.environ.get("LEDGE_HOME", os.path.join(os.path.dirname(__file__), "..", ".ledge")))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--calls", type=int, default=30, help="calls per form per round (the first 3 not timed)")
    args = ap.parse_args()
    fixtures = os.path.join(os.path.abspath(args.home), "fixtures")
    forms = bodies(fixtures)
    server = Server(args.ledge, os.path.join(fixtures, "models", "efficientnet_lite0.tflite"))
    times = {name: [] for name in forms}
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        for _ in range(args.rounds):
            for name, (body, headers) in forms.items():
                for i in range(args.calls):
                    start = time.perf_counter()
                    connection.request("POST", "/v2/models/efficientnet_lite0/infer", body=body, headers=headers)
                    response = connection.getresponse()
                    answer = response.read()
                    if response.status != 200:
                        raise SystemExit(f"{name}: HTTP {response.status} {answer[:200]!r}")
                    if i >= 3:
                        times[name].append((time.perf_counter() - start) * 1000)
    finally:
        server.stop()
    p50 = {name: statistics.median(values) for name, values in times.items()}
    print(f"\n`{' '.join(sys.argv)}`: efficientnet_lite0, {args.rounds} interleaved rounds, "
          f"{len(times['JSON'])} timed calls per form\n")
    print("| body | bytes on the wire | p50 | compressed / plain: bytes | p50 |")
    print("|---|---|---|---|---|")
    for name, (body, _) in forms.items():
        plain = name.split(",")[0]
        ratio = "" if name == plain else f"{len(body) / len(forms[plain][0]):.3f} | {p50[name] / p50[plain]:.3f}"
        print(f"| {name} | {len(body):,} | {p50[name]:.2f} ms | {ratio or ' | '} |")


if __name__ == "__main__":
    main()
