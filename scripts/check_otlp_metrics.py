#!/usr/bin/env python3
"""Check `ledge serve --metrics-export otlp` against OTLP receivers that decode every export with the
opentelemetry-proto package (the protocol's own generated messages): over HTTP, the families of
/metrics as OTLP metrics — counters as cumulative monotonic sums, gauges, histograms with their
bucket counts and bounds — equal to what /metrics says at the same moment, the resource and
headers from the SDK's variables, one more export at shutdown; over gRPC (a grpcio receiver of
MetricsService/Export); and a collector that is down: one warning, the server serving on.

Usage: python scripts/check_otlp_metrics.py --ledge PATH --model add.onnx

Starts its own receivers on 127.0.0.1 and its own servers (add.onnx as `add`). Prints one line per
check ("ok: ..."); on the first failure prints "FAIL: <check>: <why>" to stderr and exits 1.
"""
import argparse
import atexit
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

os.environ.setdefault("GRPC_VERBOSITY", "NONE")

import grpc  # noqa: E402 - after its log level
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (  # noqa: E402
    ExportMetricsServiceRequest, ExportMetricsServiceResponse)

from check_common import expect, ok, run_steps, started_output  # noqa: E402

SERVICE = "opentelemetry.proto.collector.metrics.v1.MetricsService"
BOUNDS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]


def decoded(request):
    """An ExportMetricsServiceRequest as (resource attributes, scope (name, version), {name: metric})."""
    expect(len(request.resource_metrics) == 1, "one ResourceMetrics per export", str(len(request.resource_metrics)))
    resource_metrics = request.resource_metrics[0]
    resource = {a.key: a.value.string_value for a in resource_metrics.resource.attributes}
    expect(len(resource_metrics.scope_metrics) == 1, "one ScopeMetrics per export")
    scope = resource_metrics.scope_metrics[0]
    return resource, (scope.scope.name, scope.scope.version), {m.name: m for m in scope.metrics}


class Receiver:
    """OTLP/HTTP: POST /v1/metrics, a protobuf ExportMetricsServiceRequest each, kept decoded with its headers."""

    def __init__(self):
        self.exports, self.errors = [], []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    if self.path != "/v1/metrics" or self.headers.get("Content-Type") != "application/x-protobuf":
                        raise ValueError(f"{self.path} {self.headers.get('Content-Type')}")
                    request = ExportMetricsServiceRequest()
                    request.ParseFromString(body)
                    receiver.exports.append(({k.lower(): v for k, v in self.headers.items()}, request, time.time()))
                except Exception as e:  # noqa: BLE001 - any decoding failure is the check's failure
                    receiver.errors.append(f"{type(e).__name__}: {e}")
                    self.send_response(400)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                answer = ExportMetricsServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


class GRPCReceiver:
    """OTLP/gRPC: MetricsService/Export, each request decoded by grpcio with opentelemetry-proto."""

    def __init__(self):
        self.exports = []
        receiver = self

        def export(request, context):
            receiver.exports.append((dict(context.invocation_metadata()), request, time.time()))
            return ExportMetricsServiceResponse()

        handler = grpc.method_handlers_generic_handler(SERVICE, {
            "Export": grpc.unary_unary_rpc_method_handler(
                export, request_deserializer=ExportMetricsServiceRequest.FromString,
                response_serializer=ExportMetricsServiceResponse.SerializeToString)})
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=2), handlers=[handler])
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()


class Server:
    def __init__(self, ledge, model, env, *extra):
        """`ledge serve` of `model` as `add` with --metrics-export otlp and the OTEL_* variables `env`."""
        self.process = subprocess.Popen(
            [ledge, "serve", "-m", model, "--name", "add", "--no-probe", "--port", "0", "--no-grpc", "--log-level", "warning",
             *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**{k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}, **env})
        atexit.register(self.kill)
        port = started_output(self.process, r"127\.0\.0\.1:(\d+)/v2 ")
        self.port = int(port.group(1))

    def infer(self, good=True):
        inputs = [{"name": "a", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]},
                  {"name": "b", "shape": [1, 4], "datatype": "FP32", "data": [10, 20, 30, 40]}]
        if not good:
            inputs[1]["shape"] = [1, 3]
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/v2/models/add/infer",
                                         data=json.dumps({"inputs": inputs}).encode(),
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                expect(good and answer.status == 200, "infer", str(answer.status))
        except urllib.error.HTTPError as e:
            expect(not good and e.code == 400, "a bad infer is refused with 400", str(e.code))

    def metrics_text(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=10) as answer:
            return answer.read().decode()

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self):
        """SIGTERM; exit 0 expected. Its stderr."""
        self.process.send_signal(signal.SIGTERM)
        try:
            _, stderr = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        expect(self.process.returncode == 0, "the server exits 0 on SIGTERM", f"{self.process.returncode}: {stderr}")
        return stderr


def point_attributes(point):
    return {a.key: a.value.string_value for a in point.attributes}


def sample(text, name, **labels):
    """The value of `name{labels…}` in a Prometheus exposition (labels in any order), or None."""
    for line in text.splitlines():
        match = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(2) or ""))
        if found == {k: str(v) for k, v in labels.items()}:
            return float(match.group(3))
    return None


def wait_for(receiver, condition, what, seconds=15):
    deadline = time.time() + seconds
    while time.time() < deadline:
        for export in list(receiver.exports):
            if condition(export):
                return export
        time.sleep(0.05)
    expect(False, what, f"{len(receiver.exports)} exports")


def success_count(export, protocol="http"):
    _, request, _ = export
    _, _, metrics = decoded(request)
    metric = metrics.get("ledge_inference_request_success_total")
    if metric is None:
        return None
    for point in metric.sum.data_points:
        if point_attributes(point) == {"model": "add", "version": "1", "protocol": protocol}:
            return point.as_double
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ledge", required=True)
    parser.add_argument("--model", required=True)
    args = parser.parse_args()
    receiver = Receiver()

    def over_http():
        server = Server(args.ledge, args.model, {
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{receiver.port}/", "OTEL_METRIC_EXPORT_INTERVAL": "200",
            "OTEL_SERVICE_NAME": "camera-7", "OTEL_RESOURCE_ATTRIBUTES": "site=lab%201",
            "OTEL_EXPORTER_OTLP_METRICS_HEADERS": "x-tenant=edge"}, "--metrics-export", "otlp")
        for _ in range(3):
            server.infer()
        server.infer(good=False)
        wait_for(receiver, lambda e: success_count(e) == 3.0, "an export with 3 successful requests")
        text = server.metrics_text()  # nothing more happens: /metrics and the next export agree
        read = time.time()
        headers, request, _ = wait_for(receiver, lambda e: e[2] > read and success_count(e) == 3.0, "an export after /metrics was read")
        expect(not receiver.errors, "every export decodes", str(receiver.errors))
        resource, scope, metrics = decoded(request)
        expect(resource.get("service.name") == "camera-7" and resource.get("site") == "lab 1", "the resource", str(resource))
        expect(scope[0] == "ledge" and scope[1], "the scope", str(scope))
        expect(headers.get("x-tenant") == "edge", "the header", str(headers))

        success = metrics["ledge_inference_request_success_total"]
        expect(success.WhichOneof("data") == "sum" and success.sum.is_monotonic and success.sum.aggregation_temporality == 2,
               "a counter is a cumulative monotonic sum", str(success))
        expect(success.description.startswith("Inference requests (infer and classify) that succeeded"), "its description")
        failure = {tuple(sorted(point_attributes(p).items())): p.as_double
                   for p in metrics["ledge_inference_request_failure_total"].sum.data_points}
        client = failure.get((("model", "add"), ("protocol", "http"), ("reason", "client"), ("version", "1")))
        expect(client == 1.0 == sample(text, "ledge_inference_request_failure_total", model="add", version="1", protocol="http",
                                        reason="client"), "the failed request", str(failure))
        point = success.sum.data_points[0]
        expect(0 < point.start_time_unix_nano < point.time_unix_nano <= time.time_ns(), "start and time", str(point))

        duration = metrics["ledge_inference_request_duration_seconds"]
        expect(duration.WhichOneof("data") == "histogram" and duration.histogram.aggregation_temporality == 2 and duration.unit == "s",
               "a histogram is a cumulative explicit-bucket histogram in s", str(duration)[:300])
        (histogram,) = [p for p in duration.histogram.data_points if point_attributes(p) == {"model": "add", "version": "1",
                                                                                                "protocol": "http"}]
        expect(list(histogram.explicit_bounds) == BOUNDS, "the bounds", str(list(histogram.explicit_bounds)))
        expect(len(histogram.bucket_counts) == len(BOUNDS) + 1 and sum(histogram.bucket_counts) == histogram.count == 3,
               "the bucket counts add up to the count", str(list(histogram.bucket_counts)))
        labels = dict(model="add", version="1", protocol="http")
        cumulative = [sample(text, "ledge_inference_request_duration_seconds_bucket", **labels, le=le)
                      for le in ["0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
                                 "0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "+Inf"]]
        ours = [sum(histogram.bucket_counts[:i + 1]) for i in range(len(histogram.bucket_counts))]
        expect(ours == cumulative, "the buckets equal /metrics's", f"{ours} against {cumulative}")
        expect(abs(histogram.sum - sample(text, "ledge_inference_request_duration_seconds_sum", **labels)) < 1e-9, "the sum")

        instances = metrics["ledge_model_instances"]
        expect(instances.WhichOneof("data") == "gauge", "a gauge is a gauge", str(instances)[:200])
        value = [p.as_double for p in instances.gauge.data_points if point_attributes(p) == {"model": "add", "version": "1"}]
        expect(value == [sample(text, "ledge_model_instances", model="add", version="1")], "the gauge's value", str(value))
        families = len([line for line in text.splitlines() if line.startswith("# TYPE ")])
        ok(f"over HTTP: every 200 ms, {len(metrics)} of {families} families "
           "(those with samples): counters as cumulative monotonic sums, gauges, histograms with /metrics's buckets, "
           "bounds and sum; resource service.name=camera-7, site=lab 1; x-tenant as set")

        server.infer()
        before = len(receiver.exports)
        server_stderr = server.stop()
        expect(not [line for line in server_stderr.splitlines() if "metrics" in line], "no metrics warning", server_stderr)
        last = receiver.exports[-1]
        expect(len(receiver.exports) > before and success_count(last) == 4.0, "an export at shutdown with the last request",
               str(success_count(last)))
        ok("at shutdown: one more export with the last request (4 successful)")

    def at_shutdown_only():
        start = len(receiver.exports)
        server = Server(args.ledge, args.model, {
            "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": f"http://127.0.0.1:{receiver.port}/v1/metrics",
            "OTEL_METRICS_EXPORTER": "otlp"})
        server.infer()
        time.sleep(1)
        expect(len(receiver.exports) == start, "no export before the default 60 s interval", str(len(receiver.exports) - start))
        server.stop()
        expect(len(receiver.exports) == start + 1 and success_count(receiver.exports[-1]) == 1.0,
               "one export at shutdown", str(len(receiver.exports) - start))
        resource, _, _ = decoded(receiver.exports[-1][1])
        expect(resource == {"service.name": "ledge"}, "the default resource", str(resource))
        ok("OTEL_METRICS_EXPORTER=otlp, default interval: nothing for 1 s, one export at shutdown, service.name=ledge")

    def over_grpc():
        grpc_receiver = GRPCReceiver()
        server = Server(args.ledge, args.model, {
            "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": f"http://127.0.0.1:{grpc_receiver.port}", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
            "OTEL_METRIC_EXPORT_INTERVAL": "200", "OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer%20k1"}, "--metrics-export",
                        "otlp")
        server.infer()
        server.infer()
        metadata, _, _ = wait_for(grpc_receiver, lambda e: success_count(e) == 2.0, "a gRPC export with 2 successful requests")
        expect(metadata.get("authorization") == "Bearer k1", "the header as metadata", str(metadata))
        server.stop()
        grpc_receiver.server.stop(0)
        ok("over gRPC: MetricsService/Export with 2 successful requests, authorization as metadata")

    def collector_down():
        closed = socket.socket()
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        closed.close()
        server = Server(args.ledge, args.model, {
            "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}", "OTEL_METRIC_EXPORT_INTERVAL": "100"},
                        "--metrics-export", "otlp")
        for _ in range(2):
            server.infer()
            time.sleep(0.4)
        stderr = server.stop()
        warnings = [line for line in stderr.splitlines() if line.startswith("warning: metrics:")]
        expect(warnings == [f"warning: metrics: cannot export to http://127.0.0.1:{port}/v1/metrics: connection refused; "
                            "trying again every 100 ms"], "one warning", stderr)
        ok(f"collector down: 2 requests answered, one warning: {warnings[0].replace(str(port), 'P')}")

    def refusals():
        for env, extra, line in [
            ({"OTEL_METRICS_EXPORTER": "prometheus"}, [],
             "Error: OTEL_METRICS_EXPORTER=prometheus: expected otlp or none (Prometheus scrapes /metrics, always served)"),
            ({"OTEL_METRIC_EXPORT_INTERVAL": "0"}, ["--metrics-export", "otlp"],
             "Error: OTEL_METRIC_EXPORT_INTERVAL is '0': expected an integer of at least 1"),
            ({"OTEL_EXPORTER_OTLP_METRICS_PROTOCOL": "http/json"}, ["--metrics-export", "otlp"],
             "Error: OTEL_EXPORTER_OTLP_METRICS_PROTOCOL=http/json: expected http/protobuf or grpc (ledge does not export OTLP as JSON)"),
        ]:
            result = subprocess.run([args.ledge, "serve", "-m", args.model, "--port", "0", *extra], capture_output=True, text=True,
                                    env={**{k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}, **env}, timeout=60)
            expect(result.returncode == 2 and result.stderr.startswith(line + "\n"), "refused", f"{result.returncode}: {result.stderr}")
        ok("refused in one line, exit 2: OTEL_METRICS_EXPORTER=prometheus, an interval of 0, OTLP as JSON")

    return run_steps([("over HTTP", over_http), ("at shutdown", at_shutdown_only), ("over gRPC", over_grpc),
                      ("collector down", collector_down), ("refusals", refusals)], "all OTLP metrics checks passed")


if __name__ == "__main__":
    sys.exit(main())
