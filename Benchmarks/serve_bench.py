#!/usr/bin/env python3
"""Benchmark `ledge serve` with DEFAULT flags on loopback under wrk, against the same pipeline in-process.

Measures, in one run (rounds interleave server and in-process so drift hits both):
  1. image endpoint p50 at concurrency 1 vs the in-process p50 of the same pipeline on all cores
     (`ledge bench --images --end-to-end --threads CORES`: decode + preprocess + invoke + top-k); beside it
     the p50 of one client posting a photo every 33 ms (30 fps: each request finds the server idle) against
     the same pipeline in-process with a run every 33 ms (`--run-delay`: the runtime's threads idle between too);
  2. image endpoint throughput at concurrency 8 vs the in-process ceiling
     (CORES single-thread in-process loops running at once, images/s summed);
  3. cold start: exec -> GET /v2/health/ready answers 200, one model and a repository of four;
  4. RSS of the server after warm-up vs 30 MB + 1.2 x model size: right after the c=8 load, and at rest
     3 s later (the server gives freed heap back after 1 s idle, --heap-release-idle-secs), with the
     PSS at rest beside it (a file mapped by several instances, XNNPACK's weight cache, counted once);
  5. protocol overhead: V2 JSON infer requests/s on a one-Add model at 32 connections against the
     no-op GET /v2/health/live at 32 connections, same server, same run;
  6. decode + preprocess of a 640x480 JPEG (chelsea_640x480.jpg, as the goal is stated) vs the two-thread
     invoke p50, in-process; the same for the 451x300 photo of rows 1-2 (too small for a DCT-scaled decode).

Usage: Benchmarks/serve_bench.py --ledge .build/release/ledge [--duration S] [--rounds N]
Needs wrk (apt install wrk). Numbers are printed as a markdown table.
"""
import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LUA = os.path.join(HERE, "wrk", "post_body.lua")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_status(port, path, timeout=1.0):
    """GET path on loopback; the status code, or None when nothing answers."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
            head = s.recv(64)
            return int(head.split()[1]) if head.startswith(b"HTTP/1.1 ") else None
    except OSError:
        return None


class Server:
    """A `ledge serve` child process on a free loopback port."""

    def __init__(self, ledge, model=None, repository=None, extra=()):
        self.port = free_port()
        source = ["--model", model] if model else ["--model-repository", repository]
        self.start = time.perf_counter()
        self.proc = subprocess.Popen(
            [ledge, "serve", *source, "--port", str(self.port), "--log-level", "error", *extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = self.start + 30
        while True:
            if http_status(self.port, "/v2/health/ready", timeout=0.2) == 200:
                self.ready_s = time.perf_counter() - self.start
                return
            if self.proc.poll() is not None:
                sys.exit(f"ledge serve exited with {self.proc.returncode}: {self.proc.stderr.read().decode()}")
            if time.perf_counter() > deadline:
                self.stop()
                sys.exit("ledge serve did not become ready in 30 s")
            time.sleep(0.001)

    def rss_bytes(self):
        return self._kb("status", "VmRSS:") * 1024

    def pss_bytes(self):
        """PSS: a page mapped N times (XNNPACK's weight cache, once per instance) counts 1/N each time."""
        return self._kb("smaps_rollup", "Pss:") * 1024

    def _kb(self, name, key):
        """The kB figure of `key` in /proc/PID/`name`, 0 when absent."""
        with open(f"/proc/{self.proc.pid}/{name}") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
        return 0

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def wrk(url, body_file, content_type, connections, threads, duration, script=LUA, script_args=None):
    """wrk's WRK_JSON summary of `script` (default: the same body on every request) with requests/s added."""
    out = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--timeout", "10s",
         "-s", script, url, "--", *(script_args if script_args is not None else [body_file, content_type])],
        check=True, capture_output=True, text=True).stdout
    line = next((l for l in out.splitlines() if l.startswith("WRK_JSON ")), None)
    if line is None:
        sys.exit(f"wrk printed no summary:\n{out}")
    result = json.loads(line[len("WRK_JSON "):])
    if result["errors"]:
        sys.exit(f"wrk saw {result['errors']} errors ({result['non_200']} non-2xx) on {url}")
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def cpu_s(pid, tid=None):
    """The process's user + system CPU seconds so far (/proc/PID/stat); with `tid`, that thread's (/proc/PID/task/TID/stat)."""
    with open(f"/proc/{pid}/task/{tid}/stat" if tid else f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def in_process(ledge, model, images, threads, runs, run_delay=0.0):
    """Median stages of decode + preprocess + invoke + top-k of one photo, in-process (end_to_end); with
    `run_delay`, each run `run_delay` s after the last (`ledge bench --run-delay`, as a camera's frames)."""
    out = subprocess.run(
        [ledge, "bench", "-m", model, "--threads", str(threads), "--images", images, "--end-to-end",
         "--runs", str(runs), "--warmup", "5", "--format", "json", "--run-delay", str(run_delay)],
        check=True, capture_output=True, text=True).stdout
    return json.loads(out)["variants"][0]["end_to_end"]


def in_process_ceiling(ledge, model, images, runs, cores):
    """Images/s of one single-thread in-process loop per core, all running at the same time (each loop's
    sustained rate, images_per_s: iterations over their summed time, not 1 / the median image)."""
    cmd = [ledge, "bench", "-m", model, "--threads", "1", "--images", images, "--end-to-end",
           "--runs", str(runs), "--warmup", "5", "--format", "json"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) for _ in range(cores)]
    rates = []
    for p in procs:
        out, _ = p.communicate()
        if p.returncode != 0:
            sys.exit(f"ledge bench failed with {p.returncode}")
        rates.append(json.loads(out)["variants"][0]["end_to_end"]["images_per_s"])
    return sum(rates)


def paced_p50(server, path, body_file, content_type, interval, frames):
    """p50 (ms) of one keep-alive client posting `body_file` every `interval` s, as a camera sends frames:
    each request finds the server idle, where wrk's back-to-back requests never do."""
    import http.client
    with open(body_file, "rb") as f:
        body = f.read()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    times = []
    for i in range(frames + 5):
        start = time.perf_counter()
        conn.request("POST", path, body=body, headers={"Content-Type": content_type})
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            sys.exit(f"{path}: {response.status} at frame {i}")
        if i >= 5:
            times.append((time.perf_counter() - start) * 1000)
        time.sleep(max(0.0, interval - (time.perf_counter() - start)))
    conn.close()
    return statistics.median(times)


def warm(server, path, body_file, content_type):
    wrk(server.url(path), body_file, content_type, 1, 1, 1)


def four_model_repository(root, models):
    """A flat repository of four small models: efficientnet_lite0, the rapidocr classifier, add, add_one."""
    repo = os.path.join(root, "repository")
    for name, file in (("efficientnet_lite0", "efficientnet_lite0.tflite"), ("cls", "ch_ppocr_mobile_v2.0_cls_infer.onnx"),
                       ("add", "add.onnx"), ("add_one", "add_one.onnx")):
        os.makedirs(os.path.join(repo, name, "1"), exist_ok=True)
        ext = os.path.splitext(file)[1]
        os.symlink(os.path.join(models, file), os.path.join(repo, name, "1", "model" + ext))
    return repo


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ledge", required=True)
    ap.add_argument("--home", default=os.environ.get("LEDGE_HOME", os.path.join(HERE, "..", ".ledge")))
    ap.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=150, help="in-process iterations per round")
    ap.add_argument("--cold-starts", type=int, default=10)
    ap.add_argument("--frames", type=int, default=150, help="photos per round of the 30 fps client")
    args, _ = ap.parse_known_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk")
    cores = os.cpu_count() or 1
    fixtures = os.path.join(os.path.abspath(args.home), "fixtures")
    models = os.path.join(fixtures, "models")
    model = os.path.join(models, "efficientnet_lite0.tflite")
    add_model = os.path.join(models, "add.onnx")
    photo = os.path.join(fixtures, "images", "chelsea.jpg")
    images = tempfile.mkdtemp(prefix="ledge-serve-bench-")
    shutil.copy(photo, images)
    vga = tempfile.mkdtemp(prefix="ledge-serve-bench-vga-")
    shutil.copy(os.path.join(fixtures, "images", "chelsea_640x480.jpg"), vga)
    repository = four_model_repository(images, models)
    add_body = os.path.join(images, "add.json")
    with open(add_body, "w") as f:
        json.dump({"inputs": [
            {"name": "a", "shape": [1, 4], "datatype": "FP32", "data": [1.0, 2.0, 3.0, 4.0]},
            {"name": "b", "shape": [1, 4], "datatype": "FP32", "data": [0.5, 0.25, 0.125, 0.0625]}]}, f)
    classify = "/v2/models/efficientnet_lite0/classify"
    size = os.path.getsize(model)
    rows = {"c1": [], "c8": [], "rss": [], "rest": [], "pss": [], "add": [], "decode": [], "decode_vga": [], "paced": []}

    for r in range(args.rounds):
        local = in_process(args.ledge, model, images, cores, args.runs)
        two = local if cores == 2 else in_process(args.ledge, model, images, 2, args.runs)
        rows["decode"].append((two["decode_ms"] + two["preprocess_ms"], two["invoke_ms"]))
        two = in_process(args.ledge, model, vga, 2, args.runs)
        rows["decode_vga"].append((two["decode_ms"] + two["preprocess_ms"], two["invoke_ms"]))
        server = Server(args.ledge, model)
        warm(server, classify, photo, "image/jpeg")
        result = wrk(server.url(classify), photo, "image/jpeg", 1, 1, args.duration)
        rows["c1"].append((result["p50_us"] / 1000, local["total_ms"]))
        paced_local = in_process(args.ledge, model, images, cores, args.frames, run_delay=1 / 30)
        rows["paced"].append((paced_p50(server, classify, photo, "image/jpeg", 1 / 30, args.frames), paced_local["total_ms"]))
        ceiling = in_process_ceiling(args.ledge, model, images, args.runs, cores)
        result = wrk(server.url(classify), photo, "image/jpeg", 8, 2, args.duration)
        rows["c8"].append((result["rps"], ceiling))
        rows["rss"].append(server.rss_bytes())
        time.sleep(3)
        rows["rest"].append(server.rss_bytes())
        rows["pss"].append(server.pss_bytes())
        server.stop()
        server = Server(args.ledge, add_model)
        warm(server, "/v2/models/add/infer", add_body, "application/json")
        infer = wrk(server.url("/v2/models/add/infer"), add_body, "application/json", 32, 2, args.duration)
        health = wrk(server.url("/v2/health/live"), None, None, 32, 2, args.duration,
                     script_args=[])
        server.stop()
        rows["add"].append((infer["rps"], health["rps"], infer["p50_us"] / 1000))
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)

    cold = {"one": [], "four": []}
    for _ in range(args.cold_starts):
        for key, kwargs in (("one", {"model": model}), ("four", {"repository": repository})):
            server = Server(args.ledge, **kwargs)
            cold[key].append(server.ready_s * 1000)
            server.stop()

    med = statistics.median
    print(f"\n`{' '.join(sys.argv)}` — default flags, {cores} cores, {args.rounds} interleaved rounds, "
          f"wrk {args.duration} s each, medians over rounds\n")
    print("| measure | server | in-process | ratio | goal |")
    print("|---|---|---|---|---|")
    ratios = [s / l for s, l in rows["c1"]]
    print(f"| image endpoint p50, c=1 | {med(s for s, _ in rows['c1']):.2f} ms "
          f"| {med(l for _, l in rows['c1']):.2f} ms ({cores} threads) | {med(ratios):.3f} | ≤ 1.05 |")
    ratios = [s / l for s, l in rows["paced"]]
    print(f"| image endpoint p50, one client at 30 fps (a photo every 33 ms: the server idle between) "
          f"| {med(s for s, _ in rows['paced']):.2f} ms | {med(l for _, l in rows['paced']):.2f} ms (a run every 33 ms, "
          f"--run-delay; back to back {med(l for _, l in rows['c1']):.2f} ms) | {med(ratios):.3f} | |")
    ratios = [s / c for s, c in rows["c8"]]
    print(f"| image endpoint throughput, c=8 | {med(s for s, _ in rows['c8']):.1f} img/s "
          f"| {med(c for _, c in rows['c8']):.1f} img/s ({cores} loops) | {med(ratios):.3f} | ≥ 0.95 |")
    budget = 30e6 + 1.2 * size
    print(f"| RSS after warm-up | {med(rows['rss']) / 1e6:.1f} MB | budget {budget / 1e6:.1f} MB "
          f"(30 MB + 1.2 × {size / 1e6:.2f} MB) | {med(rows['rss']) / budget:.3f} | ≤ 1.00 |")
    print(f"| RSS at rest, 3 s after the load (PSS {med(rows['pss']) / 1e6:.1f} MB) | {med(rows['rest']) / 1e6:.1f} MB "
          f"| budget {budget / 1e6:.1f} MB | {med(rows['rest']) / budget:.3f} | ≤ 1.00 |")
    for key, goal in (("one", 100), ("four", 150)):
        print(f"| cold start exec → ready, {key} model{'s' if key == 'four' else ''} (median of {len(cold[key])}, "
              f"min {min(cold[key]):.0f}) | {med(cold[key]):.0f} ms | | {med(cold[key]) / goal:.3f} of {goal} ms | ≤ {goal} ms |")
    ratios = [i / h for i, h, _ in rows["add"]]
    print(f"| add.onnx V2 JSON infer vs GET /v2/health/live, c=32 | {med(i for i, _, _ in rows['add']):.0f} req/s "
          f"(p50 {med(p for _, _, p in rows['add']):.2f} ms) | {med(h for _, h, _ in rows['add']):.0f} req/s (health) "
          f"| {med(ratios):.3f} | ≥ 0.80 |")
    for key, name in (("decode_vga", "chelsea_640x480.jpg"), ("decode", "chelsea.jpg (451×300)")):
        ratios = [d / i for d, i in rows[key]]
        print(f"| decode + preprocess of {name} to 224×224 vs 2-thread invoke p50 | {med(d for d, _ in rows[key]):.2f} ms "
              f"| {med(i for _, i in rows[key]):.2f} ms | {med(ratios):.3f} | ≤ 0.10 |")
    shutil.rmtree(images, ignore_errors=True)
    shutil.rmtree(vga, ignore_errors=True)


if __name__ == "__main__":
    main()
