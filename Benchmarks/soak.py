#!/usr/bin/env python3
"""Soak `ledge serve`: mixed good and bad traffic at 32 connections for a bounded time.

Three wrk loads run at once against one server (efficientnet_lite0 + add):
  12 connections  V2 JSON infer on add            -> every answer must be 2xx
   8 connections  classify chelsea.jpg            -> every answer must be 2xx
  12 connections  bad infer requests (overflowing and oversized shapes, trailing
                  commas, float shapes, wrong datatypes, malformed JSON) -> every answer 4xx
and no socket errors anywhere. With --grpc, two h2load loads over gRPC join them (a gRPC client
multiplexes its calls over one connection):
   1 connection × 8 streams  ModelInfer on add                       -> every call OK
   1 connection × 4 streams  ModelInfer with raw contents too short    -> every call INVALID_ARGUMENT
(h2load sees HTTP statuses, not gRPC's: the server's /metrics must count exactly as many gRPC
successes and failures as h2load made calls). RSS, open descriptors, threads and glibc's malloc
arena heaps are sampled every 5 s; drift is measured from the sample after warm-up (10 % of the run) to
the last, and every step of RSS after warm-up is printed with the threads and arena heaps around it.
SIGTERM at the end must exit 0.

Usage: Benchmarks/soak.py --ledge .build/release/ledge [--duration 600] [--grpc]
"""
import argparse
import json
import os
import re
import struct
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from serve_bench import free_port, http_status

HERE = os.path.dirname(os.path.abspath(__file__))
LUA = os.path.join(HERE, "wrk", "rotate_bodies.lua")

GOOD = {"inputs": [{"name": "a", "datatype": "FP32", "shape": [1, 4], "data": [1, 2, 3, 4]},
                   {"name": "b", "datatype": "FP32", "shape": [1, 4], "data": [1, 1, 1, 1]}]}
BAD = [
    '{"inputs":[{"name":"a","datatype":"FP32","shape":[4611686018427387905,4],"data":[1,2,3,4]}]}',
    '{"inputs":[{"name":"a","datatype":"FP32","shape":[1073741824,4],"data":[1,2,3,4]}]}',
    '{"inputs":[{"name":"a","datatype":"FP32","shape":[1,4],"data":[1,2,3,4,]}]}',
    '{"inputs":[{"name":"a","datatype":"FP32","shape":[1.0,4],"data":[1,2,3,4]}]}',
    '{"inputs":[{"name":"a","datatype":"INT8","shape":[1,4],"data":[1,2,3,4]}]}',
    '{"inputs": [',
]


def varint(n):
    out = b""
    while n >= 0x80:
        out, n = out + bytes([n & 0x7F | 0x80]), n >> 7
    return out + bytes([n])


def field(number, payload):
    """A length-delimited protobuf field."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def add_call(a, b):
    """A length-prefixed gRPC ModelInferRequest for add.onnx with FP32 [1, 4] inputs given as raw bytes
    (field numbers of Protos/grpc_service.proto)."""
    message = field(1, b"add")
    for name in (b"a", b"b"):
        message += field(5, field(1, name) + field(2, b"FP32") + field(3, varint(1) + varint(4)))
    message += field(7, struct.pack("<4f", *a)) + field(7, struct.pack("<%df" % len(b), *b))
    return struct.pack(">BI", 0, len(message)) + message


def h2load_summary(out):
    """(started, done, succeeded, failed + errored + timeout) of an h2load run. With -D, the calls in
    flight when the time is up are started, not done: the server may still have answered them."""
    m = re.search(r"requests: \d+ total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, "
                  r"(\d+) timeout", out)
    if not m:
        sys.exit(f"h2load printed no summary:\n{out}")
    started, done, succeeded, failed, errored, timeout = map(int, m.groups())
    return started, done, succeeded, failed + errored + timeout


def grpc_counts(port):
    """(successes, failures) of gRPC inference requests in /metrics."""
    import urllib.request
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    counts = [0, 0]
    for m in re.finditer(r'^ledge_inference_request_(success|failure)_total\{([^}]*)\} (\S+)$', text, re.M):
        if 'protocol="grpc"' in m[2]:
            counts[m[1] == "failure"] += int(float(m[3]))
    return tuple(counts)


HEAP = 64 << 20  # glibc's arena heaps: 64 MiB-aligned, 64 MiB reserved each


def arena_heaps(pid):
    """glibc's malloc arena heaps other than the main (brk) one: (count, resident bytes). An arena heap is an
    anonymous read-write mapping at a 64 MiB-aligned address that, with the reserved (---p) rest after it,
    spans 64 MiB."""
    maps, current = [], None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            fields = line.split()
            if not fields[0].endswith(":") and "-" in fields[0]:
                start, end = (int(x, 16) for x in fields[0].split("-"))
                current = {"start": start, "end": end, "perm": fields[1], "anon": len(fields) == 5, "rss": 0}
                maps.append(current)
            elif fields[0] == "Rss:" and current is not None:
                current["rss"] = int(fields[1]) * 1024
    count = resident = 0
    for i, m in enumerate(maps):
        if not (m["anon"] and m["perm"].startswith("rw") and m["start"] % HEAP == 0):
            continue
        end = m["end"]
        if i + 1 < len(maps) and maps[i + 1]["start"] == end and maps[i + 1]["perm"] == "---p":
            end = maps[i + 1]["end"]
        if end - m["start"] == HEAP:
            count, resident = count + 1, resident + m["rss"]
    return count, resident


def sample(pid):
    """(RSS, open descriptors, threads, arena heaps, their resident bytes) of the server."""
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(l.split()[1]) * 1024 for l in f if l.startswith("VmRSS:"))
    return (rss, len(os.listdir(f"/proc/{pid}/fd")), len(os.listdir(f"/proc/{pid}/task")), *arena_heaps(pid))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ledge", required=True)
    ap.add_argument("--home", default=os.environ.get("LEDGE_HOME", os.path.join(HERE, "..", ".ledge")))
    ap.add_argument("--duration", type=int, default=600, help="seconds of load")
    ap.add_argument("--grpc", action="store_true", help="also gRPC ModelInfer calls, good and bad, under h2load")
    args, _ = ap.parse_known_args()
    fixtures = os.path.join(args.home, "fixtures")
    work = tempfile.mkdtemp(prefix="ledge-soak-")
    good = os.path.join(work, "good.json")
    with open(good, "w") as f:
        json.dump(GOOD, f)
    bad = []
    for i, body in enumerate(BAD):
        bad.append(os.path.join(work, f"bad{i}.json"))
        with open(bad[-1], "w") as f:
            f.write(body)
    if args.grpc and shutil.which("h2load") is None:
        sys.exit("h2load is not installed: apt-get install nghttp2-client")
    grpc_frames = {"good": add_call([1, 2, 3, 4], [1, 1, 1, 1]), "bad": add_call([1, 2, 3, 4], [1, 1, 1])}
    for name, frame in grpc_frames.items():
        with open(os.path.join(work, f"{name}.grpc"), "wb") as f:
            f.write(frame)
    port, grpc_port = free_port(), free_port()
    server = subprocess.Popen(
        [args.ledge, "serve", "--port", str(port), "--grpc-port", str(grpc_port), "--log-level", "error", "--no-probe",
         "-m", os.path.join(fixtures, "models", "efficientnet_lite0.tflite"), "--name", "efficientnet_lite0",
         "-m", os.path.join(fixtures, "models", "add.onnx"), "--name", "add"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while http_status(port, "/v2/health/ready", 0.2) != 200:
        if server.poll() is not None or time.time() > deadline:
            sys.exit(f"ledge serve did not start: {server.stderr.read().decode()}")
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}/v2/models"
    loads = {
        "infer (good)": ([f"{base}/add/infer", "--", "application/json", good], 12),
        "classify (good)": ([f"{base}/efficientnet_lite0/classify", "--", "image/jpeg",
                             os.path.join(fixtures, "images", "chelsea.jpg")], 8),
        "infer (bad)": ([f"{base}/add/infer", "--", "application/json", *bad], 12),
    }
    procs = {name: subprocess.Popen(["wrk", "-t", "1", "-c", str(c), "-d", f"{args.duration}s", "--timeout", "10s",
                                     "-s", LUA, *cmd], stdout=subprocess.PIPE, text=True)
             for name, (cmd, c) in loads.items()}
    if args.grpc:
        for name, streams in (("good", 8), ("bad", 4)):
            procs[f"gRPC ModelInfer ({name})"] = subprocess.Popen(
                ["h2load", "-c", "1", "-m", str(streams), "-t", "1", "-D", str(args.duration), "-d",
                 os.path.join(work, f"{name}.grpc"), "-H", "content-type: application/grpc", "-H", "te: trailers",
                 f"http://127.0.0.1:{grpc_port}/inference.GRPCInferenceService/ModelInfer"], stdout=subprocess.PIPE, text=True)
    samples, start = [], time.time()
    # Sampled while every load runs: once one ends, its connections close and the descriptors fall.
    while all(p.poll() is None for p in procs.values()):
        samples.append((time.time() - start, *sample(server.pid)))
        time.sleep(5)
    for p in procs.values():
        p.wait()
    results, grpc_results = {}, {}
    for name, p in procs.items():
        out = p.stdout.read()
        if name.startswith("gRPC"):
            grpc_results[name] = h2load_summary(out)
            continue
        line = next(l for l in out.splitlines() if l.startswith("WRK_JSON "))
        results[name] = json.loads(line[len("WRK_JSON "):])
    counted = grpc_counts(port) if args.grpc else None
    server.send_signal(signal.SIGTERM)
    exit_code = server.wait(timeout=60)
    shutil.rmtree(work, ignore_errors=True)  # the request bodies: nothing of the run stays behind

    unexpected = 0
    print(f"\n`{' '.join(sys.argv)}`\n")
    print("| load | requests | non-2xx | socket errors | p99 |")
    print("|---|---|---|---|---|")
    for name, r in results.items():
        socket_errors = r["connect"] + r["read"] + r["write"] + r["timeout"]
        wrong = (r["requests"] - r["non_2xx"]) if "bad" in name else r["non_2xx"]
        unexpected += wrong + socket_errors
        print(f"| {name} | {r['requests']} | {r['non_2xx']} | {socket_errors} | {r['p99_us'] / 1000:.1f} ms |")
    if args.grpc:
        # Every call a 200 with its gRPC status in the trailers; /metrics has the OKs and the INVALID_ARGUMENTs:
        # at least the calls h2load saw done, at most those it started.
        for (name, (started, done, succeeded, errors)), count, outcome in zip(grpc_results.items(), counted, ("OK", "failed")):
            wrong = (done - succeeded) + (0 if done <= count <= started else 1)
            unexpected += wrong + errors
            print(f"| {name} | {done} done, {started} started | {count} {outcome} in /metrics | {errors} | |")
    warm = next(s for s in samples if s[0] >= args.duration * 0.1)
    last = samples[-1]
    trend = [next((s for s in samples if s[0] >= args.duration * f), last) for f in (0.1, 0.25, 0.5, 0.75)] + [last]
    print("RSS over time: " + ", ".join(f"{s[0]:.0f} s {s[1] / 1e6:.1f} MB" for s in trend))
    # Where RSS stepped up after warm-up, and what else changed then: a thread Swift's pool (libdispatch) added
    # fills a malloc arena of its own (see README, Benchmarks: soak).
    after = [s for s in samples if s[0] >= warm[0]]
    for before, now in zip(after, after[1:]):
        if now[1] - before[1] >= 512 << 10:
            print(f"step at {now[0]:.0f} s: RSS {before[1] / 1e6:.1f} -> {now[1] / 1e6:.1f} MB, threads {before[3]} -> {now[3]}, "
                  f"arena heaps {before[4]} ({before[5] / 1e6:.1f} MB) -> {now[4]} ({now[5] / 1e6:.1f} MB)")
    print(f"threads {warm[3]} -> {last[3]}; malloc arena heaps {warm[4]} ({warm[5] / 1e6:.1f} MB resident) -> "
          f"{last[4]} ({last[5] / 1e6:.1f} MB)")
    total = sum(r["requests"] for r in results.values()) + sum(r[1] for r in grpc_results.values())
    print(f"\ntotal requests {total}, unexpected {unexpected}; "
          f"RSS {warm[1] / 1e6:.1f} MB after warm-up -> {last[1] / 1e6:.1f} MB at the end "
          f"(drift {100 * (last[1] - warm[1]) / warm[1]:+.2f} %); descriptors {warm[2]} -> {last[2]}; "
          f"SIGTERM exit {exit_code}")
    sys.exit(0 if unexpected == 0 and exit_code == 0 else 1)


if __name__ == "__main__":
    main()
