#!/usr/bin/env python3
"""Check `ledge serve --trace-config mode=opentelemetry` against an OTLP/HTTP receiver that decodes
every export with the opentelemetry-proto package (the protocol's own generated messages): the
spans of HTTP and gRPC (tritonclient[grpc]) infer calls, W3C traceparent propagation, sampling,
the batch span processor's batches, the export at shutdown, a collector that is down and one that
answers it is busy (retried after its Retry-After); the same over OTLP/gRPC (a grpcio receiver). With
--tls-folder (ca.pem, server.pem/.key, client.pem/.key), a collector behind mutual TLS configured
through the SDK's OTEL_* variables (endpoint, CA, client certificate, headers, gzip, resource),
and the exporter's warnings when it does not trust the collector or has no client certificate;
over gRPC too.

Usage: python scripts/check_opentelemetry.py --ledge PATH --model add.onnx [--tls-folder DIR]

Starts its own receiver on 127.0.0.1 and its own servers (add.onnx as `add`). Prints one line per
check ("ok: ..."); on the first failure prints "FAIL: <check>: <why>" to stderr and exits 1.
"""
import argparse
import atexit
import gzip
import json
import os
import re
import select
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

os.environ.setdefault("GRPC_VERBOSITY", "NONE")  # grpcio's own log of the handshakes refused on purpose

import grpc  # noqa: E402 - after its log level
import numpy as np
import tritonclient.grpc as grpcclient
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest, ExportTraceServiceResponse

from check_common import expect, ok, run_steps

PARENT_1 = "00-0af7651916cd43dd8448eb211c12666c-b7ad6b7169242424-01"
PARENT_2 = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
PARENT_3 = "00-11111111111111111111111111111111-2222222222222222-00"
INVALID = "00-00000000000000000000000000000000-b7ad6b7169242424-01"  # an all-zero trace id: ignored


class Receiver:
    """OTLP/HTTP: POST /v1/traces, a protobuf ExportTraceServiceRequest each, kept as decoded."""

    def __init__(self, tls=None):
        """`tls`: a certificate folder; then HTTPS only, for clients with a certificate its CA signed."""
        self.exports = []  # [(resource attributes, [span dict])]
        self.errors = []
        self.requests = []  # per export: {"headers": {lower-case name: value}, "client": CN or None}
        self.answers = []  # (status, Retry-After or None) to answer first, one per export, before the usual 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                peer = self.connection.getpeercert() if tls else None
                receiver.requests.append({
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "client": dict(x[0] for x in peer["subject"]).get("commonName") if peer else None})
                if receiver.answers:
                    status, retry_after = receiver.answers.pop(0)
                    self.send_response(status)
                    if retry_after is not None:
                        self.send_header("Retry-After", retry_after)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                try:
                    if self.path != "/v1/traces" or self.headers.get("Content-Type") != "application/x-protobuf":
                        raise ValueError(f"{self.path} {self.headers.get('Content-Type')}")
                    request = ExportTraceServiceRequest()
                    request.ParseFromString(body)
                    for resource_spans in request.resource_spans:
                        resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
                        spans = [Receiver.span(s) for scope in resource_spans.scope_spans for s in scope.spans]
                        receiver.exports.append((resource, spans))
                except Exception as e:  # noqa: BLE001 - any decoding failure is the check's failure
                    receiver.errors.append(f"{type(e).__name__}: {e}")
                    self.send_response(400)
                    self.end_headers()
                    return
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):  # a refused TLS handshake: the client's to report
                receiver.refused += 1

        self.refused = 0
        self.server = Server(("127.0.0.1", 0), Handler)
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(os.path.join(tls, "server.pem"), os.path.join(tls, "server.key"))
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(os.path.join(tls, "ca.pem"))
            # The handshake on the handler's thread (its first read), not in accept().
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True, do_handshake_on_connect=False)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @staticmethod
    def span(s):
        def value(v):
            return v.int_value if v.HasField("int_value") else v.string_value
        return {"trace": s.trace_id.hex(), "id": s.span_id.hex(), "parent": s.parent_span_id.hex(), "name": s.name,
                "kind": s.kind, "start": s.start_time_unix_nano, "end": s.end_time_unix_nano,
                "attributes": {a.key: value(a.value) for a in s.attributes},
                "events": [(e.name, e.time_unix_nano) for e in s.events]}

    def spans(self):
        return [span for _, spans in self.exports for span in spans]


def retry_info_status(code, seconds):
    """A google.rpc.Status with one google.rpc.RetryInfo detail (retry_delay `seconds`), in protobuf's
    wire format by hand (the googleapis protos are not installed): what a collector sends to say when
    to come back."""
    def varint(n):
        out = b""
        while True:
            byte, n = n & 0x7F, n >> 7
            out += bytes([byte | (0x80 if n else 0)])
            if not n:
                return out

    def field(number, payload):  # length-delimited
        return varint(number << 3 | 2) + varint(len(payload)) + payload

    duration = varint(1 << 3) + varint(seconds)
    detail = field(1, b"type.googleapis.com/google.rpc.RetryInfo") + field(2, field(1, duration))
    return varint(1 << 3) + varint(code.value[0]) + field(2, b"busy") + field(3, detail)


class GRPCReceiver:
    """OTLP/gRPC: opentelemetry.proto.collector.trace.v1.TraceService/Export, each request decoded by grpcio
    with opentelemetry-proto; `answers` (grpc.StatusCode each) are answered first, one per export."""

    def __init__(self, tls=None):
        self.exports, self.errors, self.requests, self.answers = [], [], [], []
        receiver = self

        def export(request, context):
            common_name = context.auth_context().get("x509_common_name")
            receiver.requests.append({"headers": dict(context.invocation_metadata()), "peer": context.peer(),
                                      "client": common_name[0].decode() if common_name else None})
            if receiver.answers:
                answer = receiver.answers.pop(0)
                code, delay = answer if isinstance(answer, tuple) else (answer, None)
                if delay is not None:
                    context.set_trailing_metadata((("grpc-status-details-bin", retry_info_status(code, delay)),))
                context.abort(code, "busy")
            for resource_spans in request.resource_spans:
                resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
                receiver.exports.append((resource, [Receiver.span(s) for scope in resource_spans.scope_spans
                                                    for s in scope.spans]))
            return ExportTraceServiceResponse()

        handler = grpc.method_handlers_generic_handler("opentelemetry.proto.collector.trace.v1.TraceService", {
            "Export": grpc.unary_unary_rpc_method_handler(
                export, request_deserializer=ExportTraceServiceRequest.FromString,
                response_serializer=ExportTraceServiceResponse.SerializeToString)})
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), handlers=[handler])
        if tls:
            def read(name):
                with open(os.path.join(tls, name), "rb") as f:
                    return f.read()
            credentials = grpc.ssl_server_credentials([(read("server.key"), read("server.pem"))],
                                                      root_certificates=read("ca.pem"), require_client_auth=True)
            self.port = self.server.add_secure_port("127.0.0.1:0", credentials)
        else:
            self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()

    def stop(self):
        self.server.stop(0)


class Server:
    def __init__(self, ledge, model, url, *extra, env=None):
        """`url` None: none given (the environment's); `env`: OTEL_* variables added to this one's."""
        self.process = subprocess.Popen(
            [ledge, "serve", "-m", model, "--no-probe", "--port", "0", "--grpc-port", "0", "--log-level", "warning",
             "--trace-config", "mode=opentelemetry", *(["--trace-config", f"opentelemetry,url={url}"] if url else []),
             "--trace-config", "level=TIMESTAMPS", *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**{k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}, **(env or {})})
        atexit.register(self.kill)  # a failed check exits with this server still running otherwise
        deadline = time.time() + 60
        out = ""
        while time.time() < deadline and not (re.search(r"127\.0\.0\.1:(\d+)/v2 ", out) and "gRPC" in out):
            ready, _, _ = select.select([self.process.stdout], [], [], 1)
            if ready:
                line = self.process.stdout.readline()
                if not line:
                    break
                out += line
        http, grpc = re.search(r"127\.0\.0\.1:(\d+)/v2 ", out), re.search(r"gRPC[^\n]*127\.0\.0\.1:(\d+)", out)
        expect(http and grpc, "ledge serve did not print its ports", out + self.process.stderr.read() if self.process.poll() else out)
        self.http, self.grpc = int(http.group(1)), int(grpc.group(1))

    def infer(self, request_id, traceparent=None):
        body = json.dumps({"id": request_id, "inputs": [
            {"name": "a", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]},
            {"name": "b", "shape": [1, 4], "datatype": "FP32", "data": [10, 20, 30, 40]}]}).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{self.http}/v2/models/add/infer", data=body,
                                         headers={"Content-Type": "application/json",
                                                  **({"traceparent": traceparent} if traceparent else {})})
        with urllib.request.urlopen(request, timeout=30) as answer:
            expect(answer.status == 200, f"infer {request_id}", str(answer.status))
            expect(json.load(answer)["outputs"][0]["data"] == [11, 22, 33, 44], f"infer {request_id}: the sum")

    def infer_grpc(self, request_id, traceparent):
        with grpcclient.InferenceServerClient(f"127.0.0.1:{self.grpc}") as client:
            inputs = [grpcclient.InferInput(name, [1, 4], "FP32") for name in ("a", "b")]
            inputs[0].set_data_from_numpy(np.array([[1, 2, 3, 4]], dtype=np.float32))
            inputs[1].set_data_from_numpy(np.array([[10, 20, 30, 40]], dtype=np.float32))
            result = client.infer("add", inputs, request_id=request_id, headers={"traceparent": traceparent})
            expect(result.as_numpy("sum").tolist() == [[11, 22, 33, 44]], f"gRPC infer {request_id}: the sum")

    def metric(self, line_prefix, value, seconds=5):
        """Waits until /metrics has `line_prefix value` (the exporter counts on its own thread)."""
        deadline = time.time() + seconds
        while True:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.http}/metrics", timeout=10) as answer:
                text = answer.read().decode()
            lines = [l for l in text.splitlines() if l.startswith(line_prefix + " ")]
            if lines == [f"{line_prefix} {value}"] or time.time() > deadline:
                expect(lines == [f"{line_prefix} {value}"], f"/metrics {line_prefix}", str(lines))
                return

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            _, self.stderr = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        return self.process.returncode


def closed_port():
    """A loopback port nothing listens on (bound, then closed)."""
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    return port


def stopped(server):
    """Stops `server` (SIGTERM), expecting exit 0; its `warning: trace:` lines."""
    status = server.stop()
    expect(status == 0, "the server exits 0 on SIGTERM", f"{status}: {server.stderr}")
    return [line for line in server.stderr.splitlines() if line.startswith("warning: trace:")]


def traces(spans):
    """Spans by trace id, in the order their root spans came."""
    out = {}
    for span in spans:
        out.setdefault(span["trace"], []).append(span)
    return out


SLACK_NS = 5_000_000


def check_trace(spans, request_id, protocol, parent, before, after):
    """One request's three spans: nesting, names, kinds, events, attributes, times within the call (± SLACK_NS)."""
    by_name = {s["name"]: s for s in spans}
    expect(sorted(by_name) == ["InferRequest", "add", "compute"], f"{request_id}: span names", str(sorted(by_name)))
    root, model, compute = by_name["InferRequest"], by_name["add"], by_name["compute"]
    trace = parent.split("-")[1] if parent else root["trace"]
    expect(all(s["trace"] == trace for s in spans), f"{request_id}: one trace id", str([s["trace"] for s in spans]))
    expect(root["parent"] == (parent.split("-")[2] if parent else ""), f"{request_id}: the root's parent", root["parent"])
    expect(model["parent"] == root["id"] and compute["parent"] == model["id"], f"{request_id}: nesting")
    expect(root["kind"] == 2 and model["kind"] == 1 and compute["kind"] == 1, f"{request_id}: kinds (server, internal)")
    front = ["HTTP_RECV_START", "HTTP_RECV_END", "HTTP_SEND_START", "HTTP_SEND_END"] if protocol == "http" else \
        ["GRPC_WAITREAD_START", "GRPC_WAITREAD_END", "GRPC_SEND_START", "GRPC_SEND_END"]
    for span, names in ((root, front), (model, ["REQUEST_START", "QUEUE_START", "REQUEST_END"]),
                        (compute, ["COMPUTE_START", "COMPUTE_INPUT_END", "COMPUTE_OUTPUT_START", "COMPUTE_END"])):
        expect([name for name, _ in span["events"]] == names, f"{request_id}: {span['name']} events", str(span["events"]))
        times = [ns for _, ns in span["events"]]
        expect(times == sorted(times) and span["start"] == times[0] and span["end"] == times[-1],
               f"{request_id}: {span['name']} times", str(span))
        # The server notes *_SEND_END when its write completes, which can come after the client has
        # read the response (a clean run once saw 0.37 ms), and its monotonic times are moved to Unix
        # time by an offset read at export: a window a few ms wider on each side.
        expect(before - SLACK_NS <= span["start"] <= span["end"] <= after + SLACK_NS,
               f"{request_id}: {span['name']} within the call (Unix time)",
               f"{before} <= {span['start']} .. {span['end']} <= {after} (± {SLACK_NS} ns)")
        expect(span["attributes"] == {"model_name": "add", "model_version": 1, "request_id": request_id},
               f"{request_id}: {span['name']} attributes", str(span["attributes"]))
    expect(root["start"] <= model["start"] <= compute["start"] <= compute["end"] <= model["end"] <= root["end"],
           f"{request_id}: spans nested in time")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ledge", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--tls-folder", help="test certificates: also check a collector behind mutual TLS")
    args = parser.parse_args()
    receiver = Receiver()
    url = f"http://127.0.0.1:{receiver.port}/v1/traces"
    window = {}
    state = {}

    def traced_calls():
        # Six spans per export (two requests), every second request without a traceparent sampled;
        # the schedule delay is long, so what is left goes at shutdown.
        server = Server(args.ledge, args.model, url, "--trace-config", "rate=2",
                        "--trace-config", "opentelemetry,bsp_max_export_batch_size=6",
                        "--trace-config", "opentelemetry,bsp_schedule_delay=600000",
                        "--trace-config", "opentelemetry,resource=service.name=ledge-check",
                        "--trace-config", "opentelemetry,resource=deployment.environment=ci",
                        env={"OTEL_SERVICE_NAME": "env", "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=env"})
        calls = [("http-1", "http", PARENT_1), ("http-2", "http", None), ("http-3", "http", None),
                 ("grpc-1", "grpc", PARENT_2), ("http-4", "http", INVALID), ("http-5", "http", None),
                 ("http-6", "http", PARENT_3)]
        for request_id, protocol, parent in calls:
            before = time.time_ns()
            if protocol == "http":
                server.infer(request_id, parent)
            else:
                server.infer_grpc(request_id, parent)
            window[request_id] = (before, time.time_ns())
        deadline = time.time() + 10
        while len(receiver.exports) < 2 and time.time() < deadline:
            time.sleep(0.05)
        state["before_shutdown"] = len(receiver.exports)
        server.metric("ledge_trace_spans_exported_total", 12)
        server.metric('ledge_trace_spans_dropped_total{reason="export_failed"}', 0)
        server.metric('ledge_trace_spans_dropped_total{reason="queue_full"}', 0)
        status = server.stop()
        expect(status == 0, "the server exits 0 on SIGTERM", f"{status}: {server.stderr}")
        expect(not receiver.errors, "every export decodes as an ExportTraceServiceRequest", str(receiver.errors))
        ok(f"7 calls, 2 exports of 6 spans while serving (/metrics: 12 exported), {len(receiver.exports) - 2} of 3 at shutdown: "
           f"{[len(spans) for _, spans in receiver.exports]}")

    def batches():
        expect(state["before_shutdown"] == 2 and [len(s) for _, s in receiver.exports] == [6, 6, 3], "batches",
               f"{state['before_shutdown']} before shutdown, {[len(s) for _, s in receiver.exports]}")
        for resource, _ in receiver.exports:
            expect(resource == {"service.name": "ledge-check", "deployment.environment": "ci"}, "resource attributes",
                   str(resource))
        ok("resource attributes: service.name=ledge-check, deployment.environment=ci (over OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES)")

    def sampled():
        by_trace = traces(receiver.spans())
        ids = [spans[0]["attributes"].get("request_id") for spans in by_trace.values()]
        expect(ids == ["http-1", "http-3", "grpc-1", "http-5", "http-6"], "traced requests", str(ids))
        ok("traced: every request with a valid traceparent, and every 2nd without (an invalid one counts as none): "
           + ", ".join(ids))

    def spans():
        by_id = {spans[0]["attributes"]["request_id"]: spans for spans in traces(receiver.spans()).values()}
        for request_id, protocol, parent in (("http-1", "http", PARENT_1), ("http-3", "http", None),
                                             ("grpc-1", "grpc", PARENT_2), ("http-5", "http", None),
                                             ("http-6", "http", PARENT_3)):
            check_trace(by_id[request_id], request_id, protocol, parent, *window[request_id])
        fresh = [by_id[i][0]["trace"] for i in ("http-3", "http-5")]
        expect(all(re.fullmatch(r"[0-9a-f]{32}", t) and t != "0" * 32 for t in fresh) and fresh[0] != fresh[1],
               "fresh trace ids", str(fresh))
        ok("spans: InferRequest (server) > add > compute, Triton's events on each, in Unix time within each call; "
           "traceparent's trace and span ids over HTTP and gRPC")

    def collector_down():
        port = closed_port()
        server = Server(args.ledge, args.model, f"http://127.0.0.1:{port}/v1/traces", "--trace-config", "rate=1",
                        "--trace-config", "opentelemetry,bsp_max_export_batch_size=3")
        for i in range(4):
            server.infer(f"down-{i}")
        server.metric('ledge_trace_spans_dropped_total{reason="export_failed"}', 12)
        server.metric("ledge_trace_spans_exported_total", 0)
        status = server.stop()
        expect(status == 0, "with the collector down the server still exits 0", f"{status}: {server.stderr}")
        warning = f"warning: trace: cannot export 3 spans to http://127.0.0.1:{port}/v1/traces: connection refused; spans are dropped until it answers"
        lines = server.stderr.splitlines()
        expect(lines.count(warning) == 1, "one warning while the collector is down", server.stderr)
        ok("collector down: 4 requests answered, /metrics: 12 spans dropped (export_failed), one warning: " + warning)

    def collector_stalls():
        # A collector that takes the connection and never answers: the export gives up after
        # OTEL_EXPORTER_OTLP_TIMEOUT (1 s here), requests are answered meanwhile, SIGTERM still ends the server.
        stalled = socket.socket()
        stalled.bind(("127.0.0.1", 0))
        stalled.listen(16)
        try:
            url = f"http://127.0.0.1:{stalled.getsockname()[1]}/v1/traces"
            server = Server(args.ledge, args.model, url, "--trace-config", "rate=1",
                            "--trace-config", "opentelemetry,bsp_max_export_batch_size=3",
                            env={"OTEL_EXPORTER_OTLP_TIMEOUT": "1000"})
            server.infer("stalled-1")
            server.metric('ledge_trace_spans_dropped_total{reason="export_failed"}', 3)
            server.infer("stalled-2")
            status = server.stop()
        finally:
            stalled.close()
        expect(status == 0, "the server exits 0 on SIGTERM", f"{status}: {server.stderr}")
        warning = f"warning: trace: cannot export 3 spans to {url}: no answer within 1 s; spans are dropped until it answers"
        expect(server.stderr.splitlines().count(warning) == 1, "one warning", server.stderr)
        ok("collector stalls: 2 requests answered, the export given up after OTEL_EXPORTER_OTLP_TIMEOUT, one warning, "
           "exit 0 at SIGTERM")

    def collector_busy():
        # 503 and 429 (the protocol's retryable answers) are tried again after Retry-After; a 400 is not.
        busy = Receiver()
        url = f"http://127.0.0.1:{busy.port}/v1/traces"
        for answers, exported, dropped, warning in (
                ([(503, "0"), (429, "0")], 3, 0, None),
                ([(503, "0")] * 4, 0, 3, f"warning: trace: cannot export 3 spans to {url}: the collector answered 503 "
                                         "4 times; spans are dropped until it answers"),
                ([(400, None)], 0, 3, f"warning: trace: cannot export 3 spans to {url}: the collector answered 400; "
                                      "spans are dropped until it answers")):
            busy.answers, busy.requests, busy.exports = list(answers), [], []
            server = Server(args.ledge, args.model, url, "--trace-config", "rate=1",
                            "--trace-config", "opentelemetry,bsp_max_export_batch_size=3")
            server.infer("busy")
            server.metric("ledge_trace_spans_exported_total", exported)
            server.metric('ledge_trace_spans_dropped_total{reason="export_failed"}', dropped)
            expect(stopped(server) == ([warning] if warning else []), "warnings", server.stderr)
            expect(len(busy.requests) == len(answers) + exported // 3 and not busy.answers, "posts", str(len(busy.requests)))
            expect(not busy.exports or [len(s) for _, s in busy.exports] == [3], "the spans delivered once", str(busy.exports))
        ok("collector busy: 503 then 429 with Retry-After: 0, sent a third time and delivered without a warning; "
           "503 four times: dropped after 3 retries, one warning; a 400 dropped at once: one post, one warning")

    def over_tls():
        # The SDK's variables only: the endpoint as a base (a trailing slash), the CA, the client
        # certificate, headers (percent-encoded values) and gzip, the traces-only variable winning.
        tls = Receiver(args.tls_folder)
        folder = args.tls_folder
        env = {"OTEL_EXPORTER_OTLP_ENDPOINT": f"https://127.0.0.1:{tls.port}/",
               "OTEL_EXPORTER_OTLP_CERTIFICATE": os.path.join(folder, "ca.pem"),
               "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE": os.path.join(folder, "client.pem"),
               "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY": os.path.join(folder, "client.key"),
               "OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer%20otlp-secret, x-tenant=edge%2Ckitchen",
               "OTEL_EXPORTER_OTLP_COMPRESSION": "none", "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION": "gzip",
               "OTEL_RESOURCE_ATTRIBUTES": "service.name=ignored,site=lab%201", "OTEL_SERVICE_NAME": "camera-7"}
        server = Server(args.ledge, args.model, None, "--trace-config", "rate=1",
                        "--trace-config", "opentelemetry,bsp_max_export_batch_size=3", env=env)
        for i in range(2):
            server.infer(f"tls-{i}")
        server.metric("ledge_trace_spans_exported_total", 6)
        status = server.stop()
        expect(status == 0, "the server exits 0 on SIGTERM", f"{status}: {server.stderr}")
        expect(not tls.errors and [len(s) for _, s in tls.exports] == [3, 3], "two exports of 3 spans, decoded",
               f"{tls.errors} {[len(s) for _, s in tls.exports]}")
        resources = [resource for resource, _ in tls.exports]
        expect(resources == [{"site": "lab 1", "service.name": "camera-7"}] * 2, "resource from the environment", str(resources))
        ids = sorted({span["attributes"]["request_id"] for _, spans in tls.exports for span in spans})
        expect(ids == ["tls-0", "tls-1"], "the requests' spans", str(ids))
        for request in tls.requests:
            headers = request["headers"]
            expect(headers.get("content-encoding") == "gzip", "gzip", str(headers))
            expect(headers.get("authorization") == "Bearer otlp-secret" and headers.get("x-tenant") == "edge,kitchen",
                   "the headers as set", str(headers))
            expect(request["client"] == "ledge-test-client", "the client certificate", str(request["client"]))
        ok("over TLS: 2 exports of 3 spans to OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces, verified by the CA, "
           "with the client certificate (CN=ledge-test-client), gzip, authorization and x-tenant as set, "
           "resource site=lab 1, service.name=camera-7")
        state["tls"] = tls

    def tls_refused():
        tls = state["tls"]
        url = f"https://127.0.0.1:{tls.port}/v1/traces"
        for env, reason in (
                ({}, "the server's certificate does not verify against the trust roots"),
                ({"OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE": os.path.join(args.tls_folder, "ca.pem")},
                 "the server asks for a client certificate (mutual TLS) and none was given")):
            server = Server(args.ledge, args.model, url, "--trace-config", "rate=1",
                            "--trace-config", "opentelemetry,bsp_max_export_batch_size=3", env=env)
            server.infer("refused")
            server.metric('ledge_trace_spans_dropped_total{reason="export_failed"}', 3)
            status = server.stop()
            expect(status == 0, "the server exits 0 on SIGTERM", f"{status}: {server.stderr}")
            warning = f"warning: trace: cannot export 3 spans to {url}: {reason}; spans are dropped until it answers"
            expect(server.stderr.splitlines().count(warning) == 1, "one warning", server.stderr)
            ok("TLS refused: " + warning.split(": ", 1)[1].replace(url, "https://…"))
        expect(len(tls.exports) == 2, "nothing more reached the collector", str(len(tls.exports)))

    def over_grpc():
        # OTEL_EXPORTER_OTLP_PROTOCOL=grpc: the generic endpoint as it is (no /v1/traces), headers as
        # metadata, gzip, both exports on one connection; then a collector that is busy or refuses.
        collector = GRPCReceiver()
        endpoint = f"http://127.0.0.1:{collector.port}"
        env = {"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
               "OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer%20otlp-secret,X-Tenant=edge",
               "OTEL_EXPORTER_OTLP_COMPRESSION": "gzip"}
        try:
            server = Server(args.ledge, args.model, None, "--trace-config", "rate=1",
                            "--trace-config", "opentelemetry,bsp_max_export_batch_size=3", env=env)
            for i in range(2):
                server.infer(f"grpc-export-{i}")
            server.metric("ledge_trace_spans_exported_total", 6)
            warnings = stopped(server)
            expect([len(spans) for _, spans in collector.exports] == [3, 3], "two exports of 3 spans",
                   str([len(spans) for _, spans in collector.exports]))
            ids = sorted({span["attributes"]["request_id"] for _, spans in collector.exports for span in spans})
            expect(ids == ["grpc-export-0", "grpc-export-1"], "the requests' spans", str(ids))
            for request in collector.requests:
                headers = request["headers"]
                expect(headers.get("authorization") == "Bearer otlp-secret" and headers.get("x-tenant") == "edge",
                       "the headers as metadata", str(headers))
            expect(len({r["peer"] for r in collector.requests}) == 1, "one connection for both exports",
                   str([r["peer"] for r in collector.requests]))
            expect(not warnings, "no warning", server.stderr)
            ok(f"over gRPC: 2 exports of 3 spans to {endpoint} (TraceService/Export), authorization and x-tenant as "
               "metadata, gzip, one connection")
            for answers, exported, warning in (
                    ([grpc.StatusCode.UNAVAILABLE], 3, None),
                    ([grpc.StatusCode.UNAVAILABLE] * 4, 0, f"warning: trace: cannot export 3 spans to {endpoint}: "
                     "the collector answered UNAVAILABLE (busy) 4 times; spans are dropped until it answers"),
                    ([grpc.StatusCode.INVALID_ARGUMENT], 0, f"warning: trace: cannot export 3 spans to {endpoint}: "
                     "the collector answered INVALID_ARGUMENT (busy); spans are dropped until it answers"),
                    ([grpc.StatusCode.RESOURCE_EXHAUSTED], 0, f"warning: trace: cannot export 3 spans to {endpoint}: "
                     "the collector answered RESOURCE_EXHAUSTED (busy); spans are dropped until it answers"),
                    ([(grpc.StatusCode.RESOURCE_EXHAUSTED, 1), (grpc.StatusCode.UNAVAILABLE, 0)], 3, None)):
                collector.answers, collector.requests, collector.exports = list(answers), [], []
                server = Server(args.ledge, args.model, None, "--trace-config", "rate=1",
                                "--trace-config", "opentelemetry,bsp_max_export_batch_size=3", env=env)
                server.infer("busy")
                server.metric("ledge_trace_spans_exported_total", exported, seconds=15)
                server.metric('ledge_trace_spans_dropped_total{reason="export_failed"}', 3 - exported, seconds=15)
                expect(stopped(server) == ([warning] if warning else []), "warnings", server.stderr)
                expect(len(collector.requests) == len(answers) + exported // 3 and not collector.answers, "calls",
                       str(len(collector.requests)))
        finally:
            collector.stop()
        ok("gRPC collector busy: UNAVAILABLE then sent again and delivered without a warning; UNAVAILABLE four "
           "times: dropped after 3 retries, one warning; INVALID_ARGUMENT dropped at once: one call, one warning; "
           "RESOURCE_EXHAUSTED dropped at once without RetryInfo, tried again with it (then UNAVAILABLE with a 0 s "
           "RetryInfo) and delivered")

    def grpc_down():
        port = closed_port()
        env = {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"http://127.0.0.1:{port}"}
        server = Server(args.ledge, args.model, None, "--trace-config", "rate=1",
                        "--trace-config", "opentelemetry,bsp_max_export_batch_size=3", env=env)
        for i in range(2):
            server.infer(f"down-{i}")
        server.metric('ledge_trace_spans_dropped_total{reason="export_failed"}', 6)
        warning = (f"warning: trace: cannot export 3 spans to http://127.0.0.1:{port}: connection refused; "
                   "spans are dropped until it answers")
        expect(stopped(server) == [warning], "one warning, the export not retried", server.stderr)
        ok("gRPC collector down: 2 requests answered, 6 spans dropped (export_failed), one warning: " + warning)

    def grpc_over_tls():
        # Mutual TLS over gRPC: the CA and client certificate from the variables; then without the CA.
        collector = GRPCReceiver(args.tls_folder)
        folder = args.tls_folder
        endpoint = f"https://127.0.0.1:{collector.port}"
        env = {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": endpoint,
               "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE": os.path.join(folder, "client.pem"),
               "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY": os.path.join(folder, "client.key")}
        try:
            for ca, exported, reason in ((True, 3, None),
                                         (False, 0, "the server's certificate does not verify against the trust roots")):
                collector.requests, collector.exports = [], []
                extra = {"OTEL_EXPORTER_OTLP_CERTIFICATE": os.path.join(folder, "ca.pem")} if ca else {}
                server = Server(args.ledge, args.model, None, "--trace-config", "rate=1",
                                "--trace-config", "opentelemetry,bsp_max_export_batch_size=3", env={**env, **extra})
                server.infer("grpc-tls")
                server.metric("ledge_trace_spans_exported_total", exported)
                server.metric('ledge_trace_spans_dropped_total{reason="export_failed"}', 3 - exported, seconds=15)
                expected = [f"warning: trace: cannot export 3 spans to {endpoint}: {reason}; spans are dropped until it answers"]
                expect(stopped(server) == (expected if reason else []), "warnings", server.stderr)
                expect([r["client"] for r in collector.requests] == (["ledge-test-client"] if ca else []),
                       "the client certificate", str(collector.requests))
        finally:
            collector.stop()
        ok("gRPC over mutual TLS: 3 spans delivered with the client certificate (CN=ledge-test-client); without the CA: "
           "one warning, the server's certificate does not verify against the trust roots")

    steps = [("traced calls", traced_calls), ("batches", batches), ("sampling", sampled), ("spans", spans),
             ("collector down", collector_down), ("collector stalls", collector_stalls), ("collector busy", collector_busy),
             ("over gRPC", over_grpc), ("gRPC collector down", grpc_down)]
    if args.tls_folder:
        steps += [("over TLS", over_tls), ("TLS refused", tls_refused), ("gRPC over TLS", grpc_over_tls)]
    return run_steps(steps, "all OpenTelemetry checks passed")


if __name__ == "__main__":
    sys.exit(main())
