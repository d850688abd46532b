#!/usr/bin/env python3
"""What OpenTelemetry tracing costs `ledge serve`: server CPU per request of add.onnx V2 JSON infer at
32 connections (wrk), untraced and with every request traced (`--trace-config mode=opentelemetry
rate=1`) to a receiver on the same machine that reads each export and answers 200, plainly and
gzip-compressed (OTEL_EXPORTER_OTLP_TRACES_COMPRESSION=gzip), and — when grpcio can be imported (run
it with $LEDGE_HOME/venv-grpc/bin/python) — over OTLP/gRPC to a grpcio receiver
(OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=grpc); for one or more builds, alternated round by round so drift
hits each alike.

Usage: Benchmarks/trace_cost.py --ledge .build/release/ledge [--ledge OTHER] [--rounds 3] [--duration 5]
Needs wrk (apt install wrk). Prints one row per build and mode: median µs of server CPU per request
(utime + stime over the run), requests/s, and what the receiver got (exports, bytes per export).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from serve_bench import cpu_s, wrk

HERE = os.path.dirname(os.path.abspath(__file__))
BODY = ('{"inputs": [{"name": "a", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}, '
        '{"name": "b", "shape": [1, 4], "datatype": "FP32", "data": [5, 6, 7, 8]}]}')


class Receiver:
    """OTLP/HTTP as a collector answers it: reads the body, 200 with an empty response message."""

    def __init__(self):
        self.posts = 0
        self.bytes = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                receiver.bytes += len(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                receiver.posts += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class GRPCReceiver:
    """OTLP/gRPC as a collector answers it: TraceService/Export, the request's bytes counted, an empty answer."""

    def __init__(self, grpc):
        from concurrent import futures
        self.posts = 0
        self.bytes = 0

        def export(request, context):
            self.bytes += len(request)
            self.posts += 1
            return b""

        handler = grpc.method_handlers_generic_handler(
            "opentelemetry.proto.collector.trace.v1.TraceService", {"Export": grpc.unary_unary_rpc_method_handler(export)})
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=2), handlers=[handler])
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()


def serve(ledge, model, extra, env):
    out = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen([ledge, "serve", "-m", model, "--no-probe", "--port", "0", "--grpc-port", "0",
                             "--log-level", "error", *extra], stdout=out, stderr=subprocess.DEVNULL,
                            env={**{k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}, **env})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        out.seek(0)
        match = re.search(r"127\.0\.0\.1:(\d+)/v2 ", out.read())
        if match:
            return proc, int(match[1])
        if proc.poll() is not None:
            sys.exit(f"{ledge} serve exited with {proc.returncode}")
        time.sleep(0.05)
    proc.kill()
    sys.exit(f"{ledge} serve did not start")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ledge", action="append", required=True, help="a build; repeat to compare")
    ap.add_argument("--home", default=os.environ.get("LEDGE_HOME", os.path.join(HERE, "..", ".ledge")))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=int, default=5)
    args = ap.parse_args()
    model = os.path.join(args.home, "fixtures", "models", "add.onnx")
    receiver = Receiver()
    traced = ["--trace-config", "mode=opentelemetry", "--trace-config", "level=TIMESTAMPS", "--trace-config", "rate=1",
              "--trace-config", f"opentelemetry,url=http://127.0.0.1:{receiver.port}/v1/traces"]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        f.write(BODY)
        body = f.name
    modes = [("untraced", [], {}, receiver), ("traced, rate 1", traced, {}, receiver),
             ("traced, gzip", traced, {"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION": "gzip"}, receiver)]
    try:
        import grpc
    except ImportError:
        print("trace_cost: no grpcio here: the OTLP/gRPC rows are left out (run with $LEDGE_HOME/venv-grpc/bin/python)",
              file=sys.stderr)
    else:
        collector = GRPCReceiver(grpc)
        modes.append(("traced, gRPC", traced[:-2], {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc",
                                                    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"http://127.0.0.1:{collector.port}"},
                      collector))
    rows = {}
    try:
        for r in range(args.rounds):
            for ledge in args.ledge:
                for mode, extra, env, receiver in modes:
                    proc, port = serve(ledge, model, extra, env)
                    try:
                        url = f"http://127.0.0.1:{port}/v2/models/add/infer"
                        wrk(url, body, "application/json", 32, 2, 1)
                        before, posts, size = cpu_s(proc.pid), receiver.posts, receiver.bytes
                        result = wrk(url, body, "application/json", 32, 2, args.duration)
                        used = cpu_s(proc.pid) - before
                    finally:
                        proc.terminate()
                        proc.wait(timeout=30)
                    rows.setdefault((ledge, mode), []).append(
                        (used / result["requests"] * 1e6, result["rps"], receiver.posts - posts,
                         (receiver.bytes - size) / max(1, receiver.posts - posts)))
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    finally:
        os.unlink(body)
    print("| build | mode | server CPU µs / request (rounds) | requests/s (median) | exports in the run | bytes / export |")
    print("|---|---|---|---|---|---|")
    for (ledge, mode), values in rows.items():
        cpu = " / ".join(f"{v[0]:.1f}" for v in values)
        print(f"| {ledge} | {mode} | {cpu} | {statistics.median(v[1] for v in values):,.0f} "
              f"| {statistics.median(v[2] for v in values):.0f} | {statistics.median(v[3] for v in values):,.0f} |")


if __name__ == "__main__":
    main()
