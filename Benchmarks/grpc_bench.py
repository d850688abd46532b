#!/usr/bin/env python3
"""Benchmark `ledge serve` over gRPC against HTTP and against the same model in-process, in one run.

Rounds interleave everything (and rotate the order of the load runs) so drift hits every figure alike:
  1. add.onnx, default flags: gRPC ModelInfer requests/s under h2load (a prebuilt gRPC frame posted to
     /inference.GRPCInferenceService/ModelInfer) with one connection of 32 streams (-c 1 -m 32, as gRPC
     clients multiplex) and with 32 connections (-c 32 -m 1), against V2 JSON infer requests/s at 32
     connections under wrk (as Benchmarks/serve_bench.py) and under `h2load --h1 -c 32` (the same client
     as the gRPC figures). One tritonclient call checks the answer first; after each h2load run the server's
     /metrics must show every request a success (h2load sees HTTP statuses, not gRPC trailers).
  2. efficientnet_lite0.tflite raw-tensor infer p50 at c=1 over gRPC (tritonclient.grpc, sequential, time
     around client.infer) against the in-process invoke p50 of `ledge bench --threads 2`; beside it the same
     raw request posted by h2load -c 1 -m 1 (a lean client: what the Python client adds) and the server's own
     mean request / queue / invoke times over the tritonclient calls (/metrics: what the transport adds), and
     the same bytes over HTTP/1.1 (V2 binary tensor extension) by h2load --h1 -c 1; and a 640x480 JPEG sent as it
     is (h2load -c 1): over gRPC as the image input's BYTES, and to HTTP /classify, against the in-process
     decode + preprocess + invoke of `ledge bench --end-to-end --threads 2`.
  3. With Triton's perf_analyzer (when set-up installed it): add.onnx at concurrency 32 over gRPC against
     HTTP JSON tensors, and efficientnet_lite0 p50 at c=1 over gRPC, HTTP binary tensors, and both again with
     `--shared-memory system` (the server runs with --allow-client-shm: no tensor bytes on the wire).
Every server CPU figure is the server process's utime + stime over the run, per request. Beside the load runs and
the lean c=1 runs, the context switches per request of the threads that carry a request between the socket and the
handler (NIO's event loops and Swift's global pool; not the model's threads): each is a thread handing work to another;
at c=1 also those threads' CPU per request.

Usage: Benchmarks/grpc_bench.py --ledge .build/release/ledge [--duration S] [--rounds N] [--json FILE]
Run with the venv-grpc python (tritonclient[grpc]); needs wrk and h2load (apt install wrk nghttp2-client).
"""
import argparse
import atexit
import json
import os
import re
import resource
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

import numpy as np
import tritonclient.grpc as grpcclient
import tritonclient.grpc.service_pb2 as pb

from serve_bench import cpu_s, in_process, wrk

HERE = os.path.dirname(os.path.abspath(__file__))
METHOD = "/inference.GRPCInferenceService/ModelInfer"
A = np.array([[1.0, 2.0, 3.0, 4.0]], dtype=np.float32)
B = np.array([[0.5, 0.25, 0.125, 0.0625]], dtype=np.float32)
LINE = re.compile(r"on https?://\S+?:(\d+)/v2 \((.*?) per model\).*; gRPC \S+:(\d+)$")


class Server:
    """A `ledge serve` child on ports it picks itself (--port 0); both ports come from its startup line."""

    def __init__(self, ledge, model, env):
        self.out = tempfile.NamedTemporaryFile(prefix="ledge-grpc-bench-", suffix=".out")
        self.proc = subprocess.Popen([ledge, "serve", "--model", model, "--port", "0", "--log-level", "error", "--allow-client-shm"],
                                     stdout=self.out, stderr=subprocess.PIPE, env=env)
        atexit.register(self.stop)  # also when a check exits early
        deadline = time.monotonic() + 60
        while True:
            with open(self.out.name) as f:
                match = next((m for m in map(LINE.search, f.read().splitlines()) if m), None)
            if match:
                self.port, self.plan, self.grpc_port = int(match[1]), match[2], int(match[3])
                return
            if self.proc.poll() is not None:
                sys.exit(f"ledge serve exited with {self.proc.returncode}: {self.proc.stderr.read().decode()}")
            if time.monotonic() > deadline:
                self.stop()
                sys.exit("ledge serve printed no startup line with a gRPC port in 60 s")
            time.sleep(0.005)

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def cpu_s(self):
        return cpu_s(self.proc.pid)

    def transport_threads(self):
        """(context switches, voluntary and not; CPU seconds) so far of each thread that carries requests between
        the socket and the handler: NIO's event loops (NIO-*) and Swift's global pool (*.default-qos); by thread id."""
        threads = {}
        for tid in os.listdir(f"/proc/{self.proc.pid}/task"):
            try:
                with open(f"/proc/{self.proc.pid}/task/{tid}/comm") as f:
                    comm = f.read().strip()
                if not (comm.startswith("NIO-") or comm.endswith("default-qos")):
                    continue
                with open(f"/proc/{self.proc.pid}/task/{tid}/status") as f:
                    status = f.read()
                cpu = cpu_s(self.proc.pid, tid)
            except FileNotFoundError:
                continue  # the thread ended meanwhile
            threads[tid] = (sum(int(n) for n in re.findall(r"^(?:non)?voluntary_ctxt_switches:\s+(\d+)$", status, re.M)), cpu)
        return threads

    def metrics(self):
        """Each `name{labels}` sample of /metrics summed over labels, with labels filtered by `protocol="grpc"`
        where a protocol label is present."""
        text = urllib.request.urlopen(self.url("/metrics"), timeout=10).read().decode()
        sums = {}
        for m in re.finditer(r"^(\w+)\{([^}]*)\} (\S+)$", text, re.M):
            if "protocol=" not in m[2] or 'protocol="grpc"' in m[2]:
                sums[m[1]] = sums.get(m[1], 0.0) + float(m[3])
        return sums

    def grpc_outcomes(self):
        """(successes, failures) of inference requests over gRPC, from /metrics."""
        sums = self.metrics()
        return (int(sums.get("ledge_inference_request_success_total", 0)),
                int(sums.get("ledge_inference_request_failure_total", 0)))

    def stop(self):
        if self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.out.close()


def grpc_frame(path, model="add", tensors=(("a", A), ("b", B)), datatype="FP32"):
    """A length-prefixed gRPC message (uncompressed) of an infer request as tritonclient sends it (raw contents)."""
    request = pb.ModelInferRequest(model_name=model)
    for name, array in tensors:
        request.inputs.add(name=name, datatype=datatype, shape=list(array.shape))
        request.raw_input_contents.append(array.tobytes())
    message = request.SerializeToString()
    with open(path, "wb") as f:
        f.write(struct.pack(">BI", 0, len(message)) + message)


def h2load(url, body, content_type, clients, streams, duration, h1=False):
    """h2load's summary of `duration` seconds of POSTs of `body`; exits unless every request succeeded."""
    cmd = ["h2load", "-c", str(clients), "-m", str(streams), "-t", "1", "-D", str(duration), "-d", body,
           "-H", f"content-type: {content_type}", *(["--h1"] if h1 else ["-H", "te: trailers"]), url]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    rps = re.search(r"finished in [\d.]+m?s, ([\d.]+) req/s", out)
    counts = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
                       r"(\d+) errored, (\d+) timeout", out)
    status = re.search(r"status codes: (\d+) 2xx", out)
    mean = re.search(r"time for request:\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)", out)
    if not (rps and counts and status and mean):
        sys.exit(f"h2load printed no summary ({' '.join(cmd)}):\n{out}")
    done, succeeded, failed, errored, timeout = map(int, counts.groups()[2:])
    if failed or errored or timeout or succeeded != done or int(status[1]) != done or done == 0:
        sys.exit(f"h2load saw failures ({' '.join(cmd)}):\n{out}")
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}[mean[2]]
    client_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"rps": float(rps[1]), "requests": done, "mean_ms": float(mean[1]) * scale, "client_cpu_s": client_cpu}


def check_add(server):
    """One tritonclient call and one HTTP JSON call: both must answer a + b."""
    client = grpcclient.InferenceServerClient(f"127.0.0.1:{server.grpc_port}")
    inputs = [grpcclient.InferInput(name, list(v.shape), "FP32") for name, v in (("a", A), ("b", B))]
    inputs[0].set_data_from_numpy(A)
    inputs[1].set_data_from_numpy(B)
    got = client.infer("add", inputs).as_numpy("sum")
    client.close()
    if got is None or not np.array_equal(got, A + B):
        sys.exit(f"gRPC add answered {got}, expected {A + B}")


def measured(server, label, run, duration):
    """Runs one load, with the server's CPU seconds over it; gRPC runs must leave only successes in /metrics."""
    grpc_before = server.grpc_outcomes() if label.startswith("grpc") else None
    cpu, threads = server.cpu_s(), server.transport_threads()
    result = run(duration)
    result["server_cpu_s"] = server.cpu_s() - cpu
    result["server_switches"] = transport_since(server, threads)[0]
    if grpc_before is not None:
        ok, failed = (a - b for a, b in zip(server.grpc_outcomes(), grpc_before))
        if failed or ok < result["requests"]:
            sys.exit(f"{label}: h2load counted {result['requests']} done, /metrics {ok} gRPC successes, {failed} failures")
    return result


def transport_since(server, before):
    """The transport threads' context switches and CPU seconds since `before` (``Server.transport_threads``);
    a thread born since counts whole."""
    now = server.transport_threads()
    return (sum(n - before.get(tid, (0, 0))[0] for tid, (n, _) in now.items()),
            sum(c - before.get(tid, (0, 0))[1] for tid, (_, c) in now.items()))


def grpc_p50(server, model, warmups, calls):
    """p50 ms of sequential tritonclient.grpc infers of one random UINT8 image (the answer checked against HTTP),
    and the server's own mean request, queue and invoke times over those calls (from /metrics); with the input's
    name and the image."""
    client = grpcclient.InferenceServerClient(f"127.0.0.1:{server.grpc_port}")
    meta = client.get_model_metadata(model)
    tensor = meta.inputs[0]
    image = np.random.default_rng(0).integers(0, 256, size=[int(d) for d in tensor.shape], dtype=np.uint8)
    inputs = [grpcclient.InferInput(tensor.name, list(image.shape), "UINT8")]
    inputs[0].set_data_from_numpy(image)
    first = client.infer(model, inputs).as_numpy(meta.outputs[0].name)
    body = json.dumps({"inputs": [{"name": tensor.name, "shape": list(image.shape), "datatype": "UINT8",
                                   "data": image.ravel().tolist()}]}).encode()
    request = urllib.request.Request(server.url(f"/v2/models/{model}/infer"), body, {"Content-Type": "application/json"})
    http = json.loads(urllib.request.urlopen(request, timeout=30).read())["outputs"][0]
    if first is None or list(first.shape) != http["shape"] \
            or not np.array_equal(first.ravel(), np.array(http["data"], first.dtype)):
        sys.exit(f"{model}: the gRPC answer differs from the HTTP answer to the same image")
    for _ in range(warmups):
        client.infer(model, inputs)
    before = server.metrics()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        client.infer(model, inputs)
        times.append((time.perf_counter() - start) * 1000)
    client.close()
    after = server.metrics()

    def mean_ms(name):
        count = after[f"{name}_count"] - before.get(f"{name}_count", 0)
        return (after[f"{name}_sum"] - before.get(f"{name}_sum", 0)) / count * 1000 if count else float("nan")

    return tensor.name, image, {
        "p50_ms": statistics.median(times),
        "server_request_mean_ms": mean_ms("ledge_inference_request_duration_seconds"),
        "server_queue_mean_ms": mean_ms("ledge_inference_queue_duration_seconds"),
        "server_invoke_mean_ms": mean_ms("ledge_inference_compute_infer_duration_seconds")}


def lean_p50s(server, model, name, image, warmups, calls, work):
    """p50 ms of the same raw tensor posted by h2load: as a gRPC frame, and over HTTP/1.1 (binary tensor extension)."""
    frame = os.path.join(work, "image.grpc")
    grpc_frame(frame, model, ((name, image),), "UINT8")
    costs = {}
    lean = h2load_p50(server, f"http://127.0.0.1:{server.grpc_port}{METHOD}", frame, warmups, calls, work, costs=costs)
    header = json.dumps({"inputs": [{"name": name, "shape": list(image.shape), "datatype": "UINT8",
                                     "parameters": {"binary_data_size": image.nbytes}}]}).encode()
    binary = os.path.join(work, "image.bin")
    with open(binary, "wb") as f:
        f.write(header + image.tobytes())
    grpc_costs, costs = costs, {}
    http_binary = h2load_p50(server, server.url(f"/v2/models/{model}/infer"), binary, warmups, calls, work,
                             ["content-type: application/octet-stream", f"inference-header-content-length: {len(header)}"], costs)
    return {"h2load_p50_ms": lean, "http_binary_h2load_p50_ms": http_binary,
            "h2load_switches_per_req": grpc_costs["switches_per_req"], "http_binary_switches_per_req": costs["switches_per_req"],
            "h2load_transport_cpu_ms_per_req": grpc_costs["transport_cpu_ms_per_req"],
            "http_binary_transport_cpu_ms_per_req": costs["transport_cpu_ms_per_req"]}


def encoded_p50s(server, model, photo, warmups, calls, work):
    """p50 ms of one camera frame (a JPEG file) sent as it is, by h2load -c 1 -m 1: over gRPC as the image input's
    BYTES (the server decodes it; the answer checked against /classify's first), and to HTTP /classify."""
    with open(photo, "rb") as f:
        jpeg = f.read()
    client = grpcclient.InferenceServerClient(f"127.0.0.1:{server.grpc_port}")
    tensor = grpcclient.InferInput("images", [1], "BYTES")
    tensor.set_data_from_numpy(np.array([jpeg], dtype=object))
    top = client.infer(model, [tensor], outputs=[grpcclient.InferRequestedOutput("Softmax", class_count=1)]).as_numpy("Softmax")
    client.close()
    request = urllib.request.Request(server.url(f"/v2/models/{model}/classify?top_k=1"), jpeg, {"Content-Type": "image/jpeg"})
    classify = json.loads(urllib.request.urlopen(request, timeout=30).read())["top"][0]
    if int(top[0][0].decode().split(":")[1]) != classify["index"]:
        sys.exit(f"{model}: the JPEG over gRPC gives {top[0][0]!r}, /classify {classify}")
    frame = os.path.join(work, "jpeg.grpc")
    message = pb.ModelInferRequest(model_name=model)
    message.inputs.add(name="images", datatype="BYTES", shape=[1])
    message.raw_input_contents.append(struct.pack("<I", len(jpeg)) + jpeg)
    encoded = message.SerializeToString()
    with open(frame, "wb") as f:
        f.write(struct.pack(">BI", 0, len(encoded)) + encoded)
    grpc = h2load_p50(server, f"http://127.0.0.1:{server.grpc_port}{METHOD}", frame, warmups, calls, work)
    http = h2load_p50(server, server.url(f"/v2/models/{model}/classify"), photo, warmups, calls, work, ["content-type: image/jpeg"])
    return {"jpeg_grpc_h2load_p50_ms": grpc, "jpeg_classify_h2load_p50_ms": http}


def h2load_p50(server, url, body, warmups, calls, work, headers=None, costs=None):
    """p50 ms of `calls` sequential posts of a prebuilt body by h2load (-c 1 -m 1) after `warmups`, a lean client:
    a gRPC frame by default, else an HTTP/1.1 post with `headers` (gRPC calls must all be successes in /metrics).
    With `costs`, sets its `switches_per_req` and `transport_cpu_ms_per_req`: the transport threads' context switches
    and CPU per post (``Server.transport_threads``)."""
    log = os.path.join(work, "h2load.log")
    if os.path.exists(log):
        os.remove(log)  # h2load appends
    before = server.grpc_outcomes()
    extra = ["--h1", *(a for h in headers for a in ("-H", h))] if headers else \
        ["-H", "content-type: application/grpc", "-H", "te: trailers"]
    cmd = ["h2load", "-n", str(warmups + calls), "-c", "1", "-m", "1", "-d", body, "--log-file", log, *extra, url]
    threads = server.transport_threads()
    subprocess.run(cmd, check=True, capture_output=True)
    if costs is not None:
        switches, cpu = transport_since(server, threads)
        costs["switches_per_req"] = switches / (warmups + calls)
        costs["transport_cpu_ms_per_req"] = cpu / (warmups + calls) * 1000
    ok, failed = (a - b for a, b in zip(server.grpc_outcomes(), before))
    with open(log) as f:
        rows = sorted(tuple(map(int, line.split()[:3])) for line in f if line.strip())
    if failed or (not headers and ok != warmups + calls) or len(rows) != warmups + calls \
            or any(status != 200 for _, status, _ in rows):
        sys.exit(f"{' '.join(cmd)}: {len(rows)} logged, /metrics {ok} gRPC successes, {failed} failures")
    return statistics.median(us for _, _, us in rows[warmups:]) / 1000


def perf_analyzer(tool, server, model, protocol, concurrency, seconds, extra=()):
    """Triton's perf_analyzer (the same load generator for both protocols) against `server`: its CSV row as a
    dict (`Inferences/Second`; latencies such as `p50 latency` in µs), measured over windows of `seconds`."""
    url = f"127.0.0.1:{server.grpc_port if protocol == 'grpc' else server.port}"
    with tempfile.NamedTemporaryFile(suffix=".csv") as csv:
        cmd = [tool, "-m", model, "-u", url, "-i", protocol, "--concurrency-range", str(concurrency),
               "--measurement-interval", str(int(seconds * 1000)), "--stability-percentage", "100", "-f", csv.name, *extra]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=30 * seconds + 60)
        if done.returncode != 0:
            sys.exit(f"{' '.join(cmd)} exited {done.returncode}: {done.stdout[-2000:]}{done.stderr[-2000:]}")
        with open(csv.name) as f:
            header, row = [line.strip().split(",") for line in f.readlines()[:2]]
    return {k: float(v) for k, v in zip(header, row) if v.replace(".", "", 1).isdigit()}


def in_process_p50(ledge, model, threads, runs, env):
    """The invoke p50 (ms) of `ledge bench` on random inputs, as serve_bench takes its in-process figures."""
    out = subprocess.run([ledge, "bench", "-m", model, "--threads", str(threads), "--batch", "1", "--runs", str(runs),
                          "--warmup", "20", "--format", "json"], check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out)["variants"][0]["latency_ms"]["p50"]


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ledge", required=True)
    ap.add_argument("--home", default=os.environ.get("LEDGE_HOME", os.path.join(HERE, "..", ".ledge")))
    ap.add_argument("--duration", type=int, default=8, help="seconds per load run")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--calls", type=int, default=200, help="timed gRPC calls of efficientnet_lite0 per round")
    ap.add_argument("--warmups", type=int, default=20)
    ap.add_argument("--runs", type=int, default=200, help="in-process iterations per round")
    ap.add_argument("--json", default=os.path.join(HERE, "..", ".build", "grpc_bench.json"), help="where the figures go")
    ap.add_argument("--perf-analyzer", default=None, help="Triton's perf_analyzer (default: set-up's, when present)")
    args, _ = ap.parse_known_args()
    tool = args.perf_analyzer or os.path.join(args.home, "tools", "perf_analyzer", "perf_analyzer")
    args.perf_analyzer = tool if os.access(tool, os.X_OK) else None
    for tool, package in (("wrk", "wrk"), ("h2load", "nghttp2-client")):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed: apt-get install {package}")
    env = dict(os.environ, LEDGE_HOME=os.path.abspath(args.home))
    models = os.path.join(args.home, "fixtures", "models")
    add_model = os.path.join(models, "add.onnx")
    image_model = os.path.join(models, "efficientnet_lite0.tflite")
    work = tempfile.mkdtemp(prefix="ledge-grpc-bench-")
    photos = os.path.join(work, "photos")  # one camera-sized frame, for the encoded-image rows
    os.makedirs(photos)
    photo = os.path.join(photos, "chelsea_640x480.jpg")
    shutil.copy(os.path.join(args.home, "fixtures", "images", "chelsea_640x480.jpg"), photo)
    add_json, add_frame = os.path.join(work, "add.json"), os.path.join(work, "add.grpc")
    with open(add_json, "w") as f:
        json.dump({"inputs": [{"name": n, "shape": list(v.shape), "datatype": "FP32", "data": v.ravel().tolist()}
                              for n, v in (("a", A), ("b", B))]}, f)
    grpc_frame(add_frame)
    load_before = load_average()
    rounds = []
    for r in range(args.rounds):
        row = {}
        server = Server(args.ledge, add_model, env)
        row["add_plan"] = server.plan
        check_add(server)
        infer, grpc_url = server.url("/v2/models/add/infer"), f"http://127.0.0.1:{server.grpc_port}{METHOD}"
        runs = {
            "http_wrk_c32": lambda d: wrk(infer, add_json, "application/json", 32, 2, d),
            "http_h2load_h1_c32": lambda d: h2load(infer, add_json, "application/json", 32, 1, d, h1=True),
            "grpc_h2load_c1_m32": lambda d: h2load(grpc_url, add_frame, "application/grpc", 1, 32, d),
            "grpc_h2load_c32_m1": lambda d: h2load(grpc_url, add_frame, "application/grpc", 32, 1, d),
        }
        runs["http_wrk_c32"](1)
        runs["grpc_h2load_c1_m32"](1)
        order = list(runs)[r % len(runs):] + list(runs)[:r % len(runs)]  # rotated: no run always goes first
        for label in order:
            result = measured(server, label, runs[label], args.duration)
            requests = result.get("requests") or round(result["rps"] * args.duration)
            result["server_cpu_us_per_req"] = result["server_cpu_s"] / requests * 1e6
            result["server_switches_per_req"] = result["server_switches"] / requests
            row[label] = result
        if args.perf_analyzer:  # the same client for both protocols: gRPC raw tensors against HTTP JSON tensors
            for label, protocol, extra in (("pa_grpc_c32", "grpc", ()),
                                           ("pa_http_json_c32", "http", ("--input-tensor-format=json", "--output-tensor-format=json"))):
                row[label] = perf_analyzer(args.perf_analyzer, server, "add", protocol, 32, args.duration / 2, extra)
        server.stop()
        row["in_process_p50_ms"] = in_process_p50(args.ledge, image_model, 2, args.runs, env)
        row["in_process_jpeg_p50_ms"] = in_process(args.ledge, image_model, photos, 2, args.runs)["total_ms"]
        server = Server(args.ledge, image_model, env)
        row["image_plan"] = server.plan
        name, image, figures = grpc_p50(server, "efficientnet_lite0", args.warmups, args.calls)
        figures.update(lean_p50s(server, "efficientnet_lite0", name, image, args.warmups, args.calls, work))
        figures.update(encoded_p50s(server, "efficientnet_lite0", photo, args.warmups, args.calls, work))
        row.update({f"grpc_{k}": v for k, v in figures.items()})
        if args.perf_analyzer:
            shm = ("--shared-memory", "system")  # the tensors through shared memory: no tensor bytes on the wire
            for label, protocol, extra in (("pa_image_grpc_c1", "grpc", ()), ("pa_image_http_binary_c1", "http", ()),
                                           ("pa_image_grpc_shm_c1", "grpc", shm), ("pa_image_http_shm_c1", "http", shm)):
                row[label] = perf_analyzer(args.perf_analyzer, server, "efficientnet_lite0", protocol, 1, args.duration / 2, extra)
        server.stop()
        rounds.append(row)
        print(f"round {r + 1}/{args.rounds} done (load average {load_average()})", file=sys.stderr)
    shutil.rmtree(work, ignore_errors=True)
    report(args, rounds, load_before, load_average())


def report(args, rounds, load_before, load_after):
    med = statistics.median
    cores = os.cpu_count() or 1
    summary = {}
    print(f"\n`{' '.join(sys.argv)}` — default flags, {cores} cores, {args.rounds} interleaved rounds, "
          f"{args.duration} s per load run, medians over rounds; load average {load_before} before, {load_after} after\n")
    print("| measure | gRPC | other | ratio (same run) | goal |")
    print("|---|---|---|---|---|")
    for grpc_label, grpc_name in (("grpc_h2load_c1_m32", "1 conn × 32 streams"), ("grpc_h2load_c32_m1", "32 conns")):
        for http_label, http_name in (("http_wrk_c32", "wrk"), ("http_h2load_h1_c32", "h2load --h1")):
            ratio = med(r[grpc_label]["rps"] / r[http_label]["rps"] for r in rounds)
            summary[f"{grpc_label}/{http_label}"] = ratio
            print(f"| add.onnx req/s: gRPC ModelInfer ({grpc_name}, h2load) vs V2 JSON infer (32 conns, {http_name}) "
                  f"| {med(r[grpc_label]['rps'] for r in rounds):.0f} | {med(r[http_label]['rps'] for r in rounds):.0f} "
                  f"| {ratio:.3f} | |")
    labels = ("grpc_h2load_c1_m32", "grpc_h2load_c32_m1", "http_wrk_c32", "http_h2load_h1_c32")
    cpu = {label: med(r[label]["server_cpu_us_per_req"] for r in rounds) for label in labels}
    print(f"| add.onnx server CPU per request | {cpu[labels[0]]:.0f} µs (1×32), {cpu[labels[1]]:.0f} µs (32) "
          f"| {cpu[labels[2]]:.0f} µs (wrk), {cpu[labels[3]]:.0f} µs (h2load --h1) "
          f"| {cpu[labels[0]] / cpu[labels[2]]:.3f} (1×32 / wrk) | |")
    switches = {label: med(r[label]["server_switches_per_req"] for r in rounds) for label in labels}
    print(f"| add.onnx context switches per request of the event loops and Swift's pool "
          f"| {switches[labels[0]]:.2f} (1×32), {switches[labels[1]]:.2f} (32) "
          f"| {switches[labels[2]]:.2f} (wrk), {switches[labels[3]]:.2f} (h2load --h1) | | |")
    ratio = med(r["grpc_p50_ms"] / r["in_process_p50_ms"] for r in rounds)
    summary["image_grpc_p50/in_process_p50"] = ratio
    print(f"| efficientnet_lite0 UINT8 infer p50, c=1: tritonclient.grpc vs in-process invoke (2 threads) "
          f"| {med(r['grpc_p50_ms'] for r in rounds):.2f} ms | {med(r['in_process_p50_ms'] for r in rounds):.2f} ms "
          f"| {ratio:.3f} | ≤ 1.05 |")
    ratio = med(r["grpc_h2load_p50_ms"] / r["in_process_p50_ms"] for r in rounds)
    summary["image_h2load_p50/in_process_p50"] = ratio
    print(f"| efficientnet_lite0 the same, the same raw request posted by h2load -c 1 -m 1 (a lean client) "
          f"| {med(r['grpc_h2load_p50_ms'] for r in rounds):.2f} ms | {med(r['in_process_p50_ms'] for r in rounds):.2f} ms "
          f"| {ratio:.3f} | |")
    print(f"| efficientnet_lite0 the same bytes over HTTP/1.1 (V2 binary tensor extension), h2load --h1 -c 1 "
          f"| {med(r['grpc_h2load_p50_ms'] for r in rounds):.2f} ms (gRPC, h2load) "
          f"| {med(r['grpc_http_binary_h2load_p50_ms'] for r in rounds):.2f} ms (HTTP) "
          f"| {med(r['grpc_h2load_p50_ms'] / r['grpc_http_binary_h2load_p50_ms'] for r in rounds):.3f} | |")
    print(f"| efficientnet_lite0 the same two, context switches per request of the event loops and Swift's pool "
          f"| {med(r['grpc_h2load_switches_per_req'] for r in rounds):.2f} "
          f"| {med(r['grpc_http_binary_switches_per_req'] for r in rounds):.2f} "
          f"| {med(r['grpc_h2load_switches_per_req'] / r['grpc_http_binary_switches_per_req'] for r in rounds):.3f} | |")
    print(f"| efficientnet_lite0 the same two, CPU per request of the event loops and Swift's pool (not the model's threads) "
          f"| {med(r['grpc_h2load_transport_cpu_ms_per_req'] for r in rounds):.2f} ms "
          f"| {med(r['grpc_http_binary_transport_cpu_ms_per_req'] for r in rounds):.2f} ms "
          f"| {med(r['grpc_h2load_transport_cpu_ms_per_req'] / r['grpc_http_binary_transport_cpu_ms_per_req'] for r in rounds):.3f} | |")
    print(f"| efficientnet_lite0 over gRPC, the server's own means: request / invoke (queue) "
          f"| {med(r['grpc_server_request_mean_ms'] for r in rounds):.2f} ms / "
          f"{med(r['grpc_server_invoke_mean_ms'] for r in rounds):.2f} ms "
          f"({med(r['grpc_server_queue_mean_ms'] for r in rounds):.2f} ms) | | "
          f"{med(r['grpc_p50_ms'] / r['grpc_server_request_mean_ms'] for r in rounds):.3f} (client p50 / server request) | |")
    for label, name in (("grpc_jpeg_grpc_h2load_p50_ms", "over gRPC as its BYTES input"),
                        ("grpc_jpeg_classify_h2load_p50_ms", "to HTTP /classify")):
        ratio = med(r[label] / r["in_process_jpeg_p50_ms"] for r in rounds)
        summary[f"image_{label}/in_process_jpeg_p50"] = ratio
        print(f"| efficientnet_lite0 a 640x480 JPEG {name}, h2load -c 1, vs in-process decode + preprocess + invoke "
              f"(2 threads) | {med(r[label] for r in rounds):.2f} ms | {med(r['in_process_jpeg_p50_ms'] for r in rounds):.2f} ms "
              f"| {ratio:.3f} | |")
    if "pa_grpc_c32" in rounds[0]:
        ratio = med(r["pa_grpc_c32"]["Inferences/Second"] / r["pa_http_json_c32"]["Inferences/Second"] for r in rounds)
        summary["perf_analyzer_add_grpc/http_json"] = ratio
        print(f"| add.onnx infer/s at concurrency 32, Triton's perf_analyzer for both: gRPC vs HTTP JSON tensors "
              f"| {med(r['pa_grpc_c32']['Inferences/Second'] for r in rounds):.0f} "
              f"| {med(r['pa_http_json_c32']['Inferences/Second'] for r in rounds):.0f} | {ratio:.3f} | ≥ 1 |")
        ratio = med(r["pa_image_grpc_c1"]["p50 latency"] / 1000 / r["in_process_p50_ms"] for r in rounds)
        summary["perf_analyzer_image_grpc_p50/in_process_p50"] = ratio
        print(f"| efficientnet_lite0 p50 at c=1, perf_analyzer over gRPC vs in-process invoke "
              f"| {med(r['pa_image_grpc_c1']['p50 latency'] for r in rounds) / 1000:.2f} ms "
              f"| {med(r['in_process_p50_ms'] for r in rounds):.2f} ms | {ratio:.3f} | ≤ 1.05 |")
        print(f"| efficientnet_lite0 the same, perf_analyzer over HTTP (binary tensors) "
              f"| {med(r['pa_image_grpc_c1']['p50 latency'] for r in rounds) / 1000:.2f} ms (gRPC) "
              f"| {med(r['pa_image_http_binary_c1']['p50 latency'] for r in rounds) / 1000:.2f} ms (HTTP) "
              f"| {med(r['pa_image_grpc_c1']['p50 latency'] / r['pa_image_http_binary_c1']['p50 latency'] for r in rounds):.3f} | |")
    if "pa_image_grpc_shm_c1" in rounds[0]:
        for label, name in (("pa_image_grpc_shm_c1", "gRPC"), ("pa_image_http_shm_c1", "HTTP")):
            ratio = med(r[label]["p50 latency"] / 1000 / r["in_process_p50_ms"] for r in rounds)
            summary[f"perf_analyzer_image_{name.lower()}_shm_p50/in_process_p50"] = ratio
            print(f"| efficientnet_lite0 p50 at c=1, perf_analyzer over {name} with system shared memory vs in-process invoke "
                  f"| {med(r[label]['p50 latency'] for r in rounds) / 1000:.2f} ms "
                  f"| {med(r['in_process_p50_ms'] for r in rounds):.2f} ms | {ratio:.3f} | |")
    print(f"\nserver plans: add {rounds[0]['add_plan']}; efficientnet_lite0 {rounds[0]['image_plan']}")
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"command": sys.argv, "cores": cores, "rounds_n": args.rounds, "duration_s": args.duration,
                   "load_average_before": load_before, "load_average_after": load_after,
                   "ratios": summary, "rounds": rounds}, f, indent=2)
    print(f"figures: {os.path.abspath(args.json)}")


if __name__ == "__main__":
    main()
