#!/usr/bin/env python3
"""Check `ledge serve`'s gRPC connection management (Triton's --grpc-keepalive-* flags and
--grpc-max-connection-age) with a raw HTTP/2 peer, which shows the frames a client library hides,
and with tritonclient's gRPC client:
- keep-alive: the server pings a connection it has read nothing from for --grpc-keepalive-time and
  closes it when the ping goes unanswered for --grpc-keepalive-timeout (a peer that lost power); a
  peer that answers keeps its connection, and so does a tritonclient stream left quiet;
- ping policing: a client pinging with no call open gets two strikes, then GOAWAY ENHANCE_YOUR_CALM
  and the connection closed (gRPC's default); with --grpc-keepalive-permit-without-calls 1 and
  --grpc-http2-min-recv-ping-interval-without-data 0 every ping is answered;
- age: at --grpc-max-connection-age the server sends GOAWAY (every stream id), a PING, then once
  answered a GOAWAY naming the last stream, and closes; a tritonclient stream open at that age has
  every request answered, and the client's next call goes over a new connection.

Usage: python scripts/check_grpc_keepalive.py --ledge PATH --model add.onnx

Starts its own servers on 127.0.0.1. Prints one line per check ("ok: ..."); on the first failure
prints "FAIL: <check>: <why>" to stderr and exits 1.
"""
import argparse
import os
import queue
import socket
import struct
import sys
import time

os.environ.setdefault("GRPC_VERBOSITY", "NONE")

import numpy as np  # noqa: E402
import tritonclient.grpc as grpcclient  # noqa: E402

from check_common import GRPCServe, expect, grpc_add_inputs, ok, run_steps  # noqa: E402

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, SETTINGS, PING, GOAWAY = 0, 1, 4, 6, 7
ACK = 1
ENHANCE_YOUR_CALM = 11
MAX_STREAM_ID = (1 << 31) - 1


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


class Peer:
    """An HTTP/2 connection with no call: it sends the preface and its SETTINGS, acknowledges the
    server's SETTINGS, and records every frame it reads with the time since it connected."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.start = time.monotonic()
        self.sock.sendall(PREFACE + frame(SETTINGS, 0, 0))
        self.pending = b""
        self.frames = []  # (seconds, kind, flags, payload)
        self.closed_at = None

    def ping(self, data):
        self.sock.sendall(frame(PING, 0, 0, data))

    def read(self, until, answer_pings):
        """Reads frames until `until` seconds after connecting, or until the server closes the connection."""
        while self.closed_at is None:
            left = until - (time.monotonic() - self.start)
            if left <= 0:
                return
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                self.closed_at = time.monotonic() - self.start
                return
            self.pending += chunk
            while len(self.pending) >= 9:
                length = int.from_bytes(self.pending[:3], "big")
                if len(self.pending) < 9 + length:
                    break
                kind, flags, payload = self.pending[3], self.pending[4], self.pending[9:9 + length]
                self.pending = self.pending[9 + length:]
                self.frames.append((time.monotonic() - self.start, kind, flags, payload))
                if kind == SETTINGS and not flags & ACK:
                    self.sock.sendall(frame(SETTINGS, ACK, 0))
                if kind == PING and not flags & ACK and answer_pings:
                    self.sock.sendall(frame(PING, ACK, 0, payload))

    def of(self, kind, ack=False):
        return [(t, payload) for t, k, flags, payload in self.frames if k == kind and bool(flags & ACK) == ack]

    def goaways(self):
        """(seconds, last stream id, error code) of each GOAWAY read."""
        return [(t, int.from_bytes(p[:4], "big") & MAX_STREAM_ID, int.from_bytes(p[4:8], "big")) for t, p in self.of(GOAWAY)]

    def close(self):
        self.sock.close()


def infer_add(client, n):
    a, b = np.full((1, 4), n, dtype=np.float32), np.arange(4, dtype=np.float32).reshape(1, 4)
    got = client.infer("add", grpc_add_inputs(a, b)).as_numpy("sum")
    expect(np.array_equal(got, a + b), "infer add", f"got {got}, expected {a + b}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ledge", required=True)
    parser.add_argument("--model", required=True)
    args = parser.parse_args()

    def keepalive():
        server = GRPCServe(args.ledge, args.model, "--grpc-keepalive-time", "300", "--grpc-keepalive-timeout", "500")
        silent = Peer(server.port)
        silent.read(until=10, answer_pings=False)
        silent.close()
        pings = silent.of(PING)
        expect(len(pings) == 1 and silent.closed_at is not None, "a peer that does not answer pings is closed",
               f"pings at {[round(t, 2) for t, _ in pings]}, closed at {silent.closed_at}")
        pinged = pings[0][0]
        expect(pinged >= 0.25 and silent.closed_at - pinged >= 0.45, "the ping after 300 ms of silence, the close 500 ms later",
               f"ping at {pinged:.2f} s, closed at {silent.closed_at:.2f} s")
        answering = Peer(server.port)
        answering.read(until=2, answer_pings=True)
        answering.close()
        count = len(answering.of(PING))
        expect(answering.closed_at is None and count >= 3 and not answering.goaways(), "a peer that answers keeps its connection",
               f"{count} pings, closed at {answering.closed_at}, GOAWAY {answering.goaways()}")
        # A stream open and quiet (a camera between events): grpcio polls its connection while a call is
        # open, so it answers the pings at once. (An idle grpcio channel reads only when its backup poller
        # runs, every 5 s: a keep-alive timeout under that closes idle tritonclients.)
        client = grpcclient.InferenceServerClient(f"127.0.0.1:{server.port}")
        answers = queue.Queue()
        client.start_stream(callback=lambda result, error: answers.put((result, error)))
        for n in (1, 2):
            a, b = np.full((1, 4), n, dtype=np.float32), np.ones((1, 4), np.float32)
            client.async_stream_infer("add", grpc_add_inputs(a, b), request_id=f"q{n}")
            result, error = answers.get(timeout=30)
            expect(error is None and result.get_response().id == f"q{n}" and np.array_equal(result.as_numpy("sum"), a + b),
                   "a quiet stream's answers", f"q{n}: {error}")
            if n == 1:
                time.sleep(1.5)  # quiet: several pings, each answered
        client.stop_stream()
        client.close()
        server.kill()
        ok(f"keep-alive 300 ms, timeout 500 ms: a silent peer pinged at {pinged:.2f} s and closed at {silent.closed_at:.2f} s; "
           f"a peer that answers still open after 2 s ({count} pings); a tritonclient stream quiet for 1.5 s answered before and after")

    def policing():
        server = GRPCServe(args.ledge, args.model)
        peer = Peer(server.port)
        peer.read(until=0.3, answer_pings=True)
        for n in range(4):
            peer.ping(struct.pack(">Q", n))
            peer.read(until=0.3 + 0.2 * (n + 1), answer_pings=True)
        peer.read(until=5, answer_pings=True)
        peer.close()
        acks, goaways = len(peer.of(PING, ack=True)), peer.goaways()
        # HTTP/2 answers every PING; the fourth is the third strike.
        expect(acks == 4 and [g[2] for g in goaways] == [ENHANCE_YOUR_CALM] and goaways[0][0] >= 0.85 and peer.closed_at is not None,
               "pings with no call open: the third strike gets GOAWAY ENHANCE_YOUR_CALM", f"{acks} acks, GOAWAY {goaways}, closed at {peer.closed_at}")
        server.kill()
        permissive = GRPCServe(args.ledge, args.model, "--grpc-keepalive-permit-without-calls", "1",
                            "--grpc-http2-min-recv-ping-interval-without-data", "0")
        peer = Peer(permissive.port)
        for n in range(10):
            peer.ping(struct.pack(">Q", n))
            peer.read(until=0.1 * (n + 1), answer_pings=True)
        peer.read(until=1.5, answer_pings=True)
        peer.close()
        acks = len(peer.of(PING, ack=True))
        expect(acks == 10 and not peer.goaways() and peer.closed_at is None, "pings permitted without calls",
               f"{acks} acks, GOAWAY {peer.goaways()}, closed at {peer.closed_at}")
        permissive.kill()
        ok("4 pings 200 ms apart with no call open: the 4th (the third strike) gets GOAWAY ENHANCE_YOUR_CALM and the connection closed; with "
           "--grpc-keepalive-permit-without-calls 1 --grpc-http2-min-recv-ping-interval-without-data 0: 10 of 10 answered, still open")

    def age():
        server = GRPCServe(args.ledge, args.model, "--grpc-max-connection-age", "500")
        peer = Peer(server.port)
        peer.read(until=5, answer_pings=True)
        peer.close()
        goaways = peer.goaways()
        expect(len(goaways) == 2 and goaways[0][1:] == (MAX_STREAM_ID, 0) and goaways[1][1:] == (0, 0),
               "GOAWAY for every stream, then for none opened", str(goaways))
        expect(goaways[0][0] >= 0.45 and len(peer.of(PING)) == 1 and peer.closed_at is not None,
               "the first GOAWAY at 500 ms, a PING, the close", f"GOAWAY {goaways}, pings {peer.of(PING)}, closed at {peer.closed_at}")
        client = grpcclient.InferenceServerClient(f"127.0.0.1:{server.port}")
        answers = queue.Queue()
        client.start_stream(callback=lambda result, error: answers.put((result, error)))
        started = time.monotonic()
        for n in range(10):  # over 1.5 s: the stream outlives its connection's age
            client.async_stream_infer("add", grpc_add_inputs(np.full((1, 4), n, dtype=np.float32), np.ones((1, 4), np.float32)),
                                      request_id=f"s{n}")
            time.sleep(0.15)
        got = [answers.get(timeout=30) for _ in range(10)]
        client.stop_stream()
        open_for = time.monotonic() - started
        for n, (result, error) in enumerate(got):
            expect(error is None and result.get_response().id == f"s{n}"
                   and np.array_equal(result.as_numpy("sum"), np.full((1, 4), n + 1, np.float32)),
                   "the stream's answers", f"s{n}: {error}")
        infer_add(client, 3)
        client.close()
        server.kill()
        ok(f"--grpc-max-connection-age 500: GOAWAY (last stream {MAX_STREAM_ID}) at {goaways[0][0]:.2f} s, a PING, GOAWAY "
           f"(last stream 0), closed at {peer.closed_at:.2f} s; a tritonclient stream open {open_for:.1f} s had its 10 requests "
           "answered in order, then an infer on a new connection equals a + b")

    return run_steps([("keep-alive", keepalive), ("ping policing", policing), ("age", age)], "all gRPC connection checks passed")


if __name__ == "__main__":
    sys.exit(main())
