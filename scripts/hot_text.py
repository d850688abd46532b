#!/usr/bin/env python3
"""Writes scripts/hot_text.order: the functions `ledge serve` runs while it serves, hottest first, for the
release link to place side by side (`make release`: gold's --section-ordering-file).

Why: the kernel maps a file's code 64 KiB at a time (fault-around), so a server whose serving code is
spread over the binary's 45 MB of code counts ~13 MB of it in its RSS for the ~1.3 MB of functions
it runs most. Placed together, those cost a few MB.

How: a release build with function sections, kept unstripped (`make hot-text` builds it and runs this),
serves three fixture models (TFLite and ONNX, `--model` each, as a device serves them) while
`perf record` samples it and loads run in turn — photos to the image endpoint at 1 and 8 connections,
PNGs, V2 JSON infers, gRPC ModelInfer (h2load) — and beside them binary-tensor infers and the
metadata, health, statistics, repository, metrics and web page routes, from urllib and curl. Every
function of the ledge binary a sample lands in goes into the order file as its section,
`.text.SYMBOL`, most samples first; a function no sample found stays where the link puts it. (Tried
as well: adding every function on a code page the server touched after its code was evicted from
the page cache, with read-ahead off — 28,000 more names, the same RSS within the noise.)

Needs perf (apt-get install linux-perf; root, or kernel.perf_event_paranoid <= 1), wrk, h2load
(nghttp2-client) and curl. Run it again when the serving path changes much: an outdated list costs
memory, never correctness (gold places the sections it names and ignores names no input has).
"""
import argparse
import collections
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "Benchmarks"))
from serve_bench import Server, free_port, wrk  # noqa: E402


def varint(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number, payload):
    """A length-delimited protobuf field."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def grpc_add_frame(path):
    """A gRPC message of inference.ModelInferRequest for add.onnx (a, b: FP32 [1, 4], raw contents)."""
    message = field(1, b"add")
    for name in (b"a", b"b"):
        message += field(5, field(1, name) + field(2, b"FP32") + field(3, varint(1) + varint(4)))
    for values in ((1.0, 2.0, 3.0, 4.0), (0.5, 0.25, 0.125, 0.0625)):
        message += field(7, struct.pack("<4f", *values))
    with open(path, "wb") as f:
        f.write(struct.pack(">BI", 0, len(message)) + message)


def binary_add_body(path):
    """A V2 binary-tensor request for add.onnx; returns its Inference-Header-Content-Length."""
    header = json.dumps({"inputs": [
        {"name": n, "shape": [1, 4], "datatype": "FP32", "parameters": {"binary_data_size": 16}} for n in ("a", "b")]}).encode()
    with open(path, "wb") as f:
        f.write(header + struct.pack("<8f", 1, 2, 3, 4, 0.5, 0.25, 0.125, 0.0625))
    return len(header)



def side_routes(server, stop, header_length, binary_body, photo):
    """GET and POST the routes a client, a browser or a monitor calls beside the infers, until `stop` is set;
    curl's requests as well as urllib's (their headers differ, and so does the code that reads them)."""
    with open(binary_body, "rb") as f:
        body = f.read()
    gets = ["/v2/health/live", "/v2/health/ready", "/v2", "/v2/models/add", "/v2/models/efficientnet_lite0",
            "/v2/models/add/ready", "/v2/models/stats", "/v2/models/add/config", "/metrics", "/v2/models/missing", "/"]
    classify = server.url("/v2/models/efficientnet_lite0/classify")
    curls = [["-H", "Content-Type: image/jpeg", "--data-binary", f"@{photo}", classify],
             ["-F", f"image=@{photo};type=image/jpeg", classify], [server.url("/v2/health/ready")]]
    while not stop.is_set():
        for path in gets:
            try:
                urllib.request.urlopen(server.url(path), timeout=10).read()
            except urllib.error.HTTPError:
                pass
        request = urllib.request.Request(server.url("/v2/models/add/infer"), data=body, headers={
            "Content-Type": "application/octet-stream", "Inference-Header-Content-Length": str(header_length)})
        urllib.request.urlopen(request, timeout=10).read()
        request = urllib.request.Request(server.url("/v2/repository/index"), data=b"{}", method="POST")
        urllib.request.urlopen(request, timeout=10).read()
        for curl in curls:
            subprocess.run(["curl", "-sS", "-o", "/dev/null", *curl], check=True)



def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ledge", required=True, help="an unstripped release build with function sections")
    ap.add_argument("--home", default=os.environ.get("LEDGE_HOME", os.path.join(HERE, "..", ".ledge")))
    ap.add_argument("--duration", type=int, default=10, help="seconds per load")
    ap.add_argument("--frequency", type=int, default=20000, help="perf samples per second")
    ap.add_argument("--out", default=os.path.join(HERE, "hot_text.order"))
    args = ap.parse_args()
    fixtures = os.path.join(os.path.abspath(args.home), "fixtures")
    models = os.path.join(fixtures, "models")
    photo = os.path.join(fixtures, "images", "chelsea.jpg")
    png = os.path.join(fixtures, "images", "coffee.png")
    photo_model, add_model, cls_model = (os.path.join(models, f) for f in (
        "efficientnet_lite0.tflite", "add.onnx", "ch_ppocr_mobile_v2.0_cls_infer.onnx"))
    work = tempfile.mkdtemp(prefix="ledge-hot-text-")
    try:
        add_json = os.path.join(work, "add.json")
        with open(add_json, "w") as f:
            json.dump({"inputs": [
                {"name": "a", "shape": [1, 4], "datatype": "FP32", "data": [1.0, 2.0, 3.0, 4.0]},
                {"name": "b", "shape": [1, 4], "datatype": "FP32", "data": [0.5, 0.25, 0.125, 0.0625]}]}, f)
        binary_body = os.path.join(work, "add.bin")
        header_length = binary_add_body(binary_body)
        grpc_body = os.path.join(work, "add.grpc")
        grpc_add_frame(grpc_body)
        grpc_port = str(free_port())
        server = Server(args.ledge, model=photo_model, extra=["--model", add_model, "--model", cls_model, "--grpc-port", grpc_port])
        try:
            counts = profile(server, args, grpc_port, work, photo, png, add_json, binary_body, header_length, grpc_body)
        finally:
            server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    with open(args.out + ".tmp", "w") as f:
        f.write("# Written by scripts/hot_text.py: the sections of the functions `ledge serve` ran, hottest first.\n")
        for symbol, _ in counts.most_common():
            f.write(f".text.{symbol}\n")
    os.replace(args.out + ".tmp", args.out)
    print(f"{args.out}: {len(counts)} functions from {sum(counts.values())} samples")


def profile(server, args, grpc_port, work, photo, png, add_json, binary_body, header_length, grpc_body):
    """Runs the loads under `perf record`; samples per function of the ledge binary."""
    data = os.path.join(work, "perf.data")
    loads = 5 if os.path.exists(png) else 4
    perf = subprocess.Popen(
        ["perf", "record", "-q", "-F", str(args.frequency), "-p", str(server.proc.pid), "-o", data, "--",
         "sleep", str(args.duration * loads + 2)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stop = threading.Event()
    side = threading.Thread(target=side_routes, args=(server, stop, header_length, binary_body, photo))
    side.start()
    try:
        classify = "/v2/models/efficientnet_lite0/classify"
        wrk(server.url(classify), photo, "image/jpeg", 1, 1, args.duration)
        wrk(server.url(classify), photo, "image/jpeg", 8, 2, args.duration)
        if os.path.exists(png):
            wrk(server.url(classify), png, "image/png", 2, 1, args.duration)
        wrk(server.url("/v2/models/add/infer"), add_json, "application/json", 32, 2, args.duration)
        subprocess.run(["h2load", "-c", "4", "-m", "8", "-t", "1", "-D", str(args.duration), "-d", grpc_body,
                        "-H", "content-type: application/grpc", "-H", "te: trailers",
                        f"http://127.0.0.1:{grpc_port}/inference.GRPCInferenceService/ModelInfer"],
                       check=True, capture_output=True)
    finally:
        stop.set()
        side.join()
        _, err = perf.communicate()
    if perf.returncode != 0:
        sys.exit(f"perf record failed: {err.decode()}")
    binary = os.path.basename(args.ledge)
    out = subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym,dso", "--no-demangle"],
                         check=True, capture_output=True, text=True).stdout
    counts = collections.Counter()
    for line in out.splitlines():
        parts = line.split()  # address, symbol, (path)
        if len(parts) != 3 or not parts[2].endswith(f"/{binary})") or parts[1] == "[unknown]" or "@" in parts[1]:
            continue
        counts[parts[1]] += 1
    if not counts:
        sys.exit(f"no sample named a function of {args.ledge}: is it unstripped?")
    return counts


if __name__ == "__main__":
    main()
