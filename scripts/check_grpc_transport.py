#!/usr/bin/env python3
"""Check `ledge serve`'s gRPC transport settings (Triton's --grpc-keepalive-* flags,
--grpc-max-connection-age and --grpc-infer-response-compression-level) with a raw HTTP/2 peer,
which shows the frames a client library hides, and with tritonclient's gRPC client:
- keep-alive: the server pings a connection it has read nothing from for --grpc-keepalive-time and
  closes it when nothing arrives for --grpc-keepalive-timeout (a peer that lost power); a peer that
  answers keeps its connection, so does one busy sending calls that leaves the ping unanswered, one
  reading a large answer slowly (the ping waits behind it), and a tritonclient stream left quiet;
  a peer that froze before reading a large answer is closed, the answer cut; a silent TLS peer is closed
  as soon (not after the TLS handler's 5 s wait for its close_notify), an idle one or one stalled in
  its handshake does not hold a SIGTERM, and a slow TLS reader across a SIGTERM still gets its whole answer;
- ping policing: a client pinging with no call open gets two strikes, then GOAWAY ENHANCE_YOUR_CALM
  and the connection closed (gRPC's default); with --grpc-keepalive-permit-without-calls 1 and
  --grpc-http2-min-recv-ping-interval-without-data 0 every ping is answered;
- age: at --grpc-max-connection-age (±10 %) the server sends one GOAWAY naming the last stream and
  closes the connection once its calls end; a call crossing the GOAWAY is not taken and does not end
  the stream open beside it; a tritonclient idle past the age makes its next call (over a new
  connection), and a stream open at that age has every request answered;
- drain: at SIGTERM a client that froze with a stream open (it reads nothing, answers no PING) is
  closed by the exit timeout and half a second, and the server exits 0 without its exit watchdog;
- response compression: ModelInfer's response message is plain by default; gzip at `low` and deflate
  at `high` for a client accepting both (gRPC's C core's choice), the accepted one when only one is,
  plain when none is and for other methods; tritonclient reads the compressed answers as the plain ones;
- headers-only calls: a call whose client ends its stream with its headers is ended at once by trailers
  (grpc-swift waited for its message for ever), and a SIGTERM does not wait for such calls.

Usage: python scripts/check_grpc_transport.py --ledge PATH --model add.onnx

Starts its own servers on 127.0.0.1. Prints one line per check ("ok: ..."); on the first failure
prints "FAIL: <check>: <why>" to stderr and exits 1.
"""
import argparse
import os
import queue
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import zlib

os.environ.setdefault("GRPC_VERBOSITY", "NONE")

import numpy as np  # noqa: E402
import tritonclient.grpc as grpcclient  # noqa: E402
import tritonclient.grpc.service_pb2 as pb  # noqa: E402

from check_common import GRPCServe, expect, grpc_add_inputs, ok, run_steps, wait_for_peer_close  # noqa: E402

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE = 0, 1, 3, 4, 6, 7, 8
ACK = 1
ENHANCE_YOUR_CALM = 11
MAX_STREAM_ID = (1 << 31) - 1
END_STREAM, END_HEADERS = 1, 4
SERVICE = "/inference.GRPCInferenceService/"


def hpack_literal(name, value):
    """A header field as HPACK's literal without indexing, new name, no Huffman coding (RFC 7541 §6.2.2)."""
    def string(text):
        data, length, out = text.encode(), len(text.encode()), b""
        if length < 127:
            return bytes([length]) + data
        out, length = bytes([127]), length - 127
        while length >= 128:
            out, length = out + bytes([length % 128 + 128]), length // 128
        return out + bytes([length]) + data
    return b"\x00" + string(name) + string(value)


def request_headers(method, accept=None):
    """The HPACK block of a gRPC call's request headers, with `grpc-accept-encoding: accept` when given."""
    fields = [(":method", "POST"), (":scheme", "http"), (":path", SERVICE + method), (":authority", "127.0.0.1"),
              ("content-type", "application/grpc"), ("te", "trailers")]
    return b"".join(hpack_literal(n, v) for n, v in fields + ([("grpc-accept-encoding", accept)] if accept else []))


def grpc_message(message):
    """A protobuf message as gRPC frames it: uncompressed, its length first."""
    body = message.SerializeToString()
    return struct.pack(">BI", 0, len(body)) + body


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


class Peer:
    """An HTTP/2 connection: it sends the preface and its SETTINGS, acknowledges the server's
    SETTINGS, makes calls when asked (``call``), and records every frame it reads with the time
    since it connected."""

    def __init__(self, port, receive_buffer=None, pace=None, tls=False):
        """`receive_buffer`: SO_RCVBUF, set before connecting; `pace`: read at most this many bytes a second;
        `tls`: over TLS (h2 by ALPN, the server's certificate not checked)."""
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", port))
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
            context.set_alpn_protocols(["h2"])
            self.sock = context.wrap_socket(self.sock)
        self.pace = pace
        self.start = time.monotonic()
        # The largest windows (SETTINGS_INITIAL_WINDOW_SIZE and the connection's): it never has to send WINDOW_UPDATE.
        self.sock.sendall(PREFACE + frame(SETTINGS, 0, 0, struct.pack(">HI", 4, MAX_STREAM_ID))
                          + frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", MAX_STREAM_ID - 65535)))
        self.pending = b""
        self.frames = []  # (seconds, kind, flags, payload) of the connection's frames
        self.frames_with_streams = []  # (seconds, kind, flags, stream, payload) of every frame
        self.closed_at = None

    def ping(self, data):
        self.sock.sendall(frame(PING, 0, 0, data))

    def call(self, stream, method, message, accept, answer_pings=True):
        """One unary call on `stream` with `grpc-accept-encoding: accept`: the response's DATA bytes."""
        self.send_call(stream, method, message, accept, answer_pings)
        expect(self.read_until(lambda: self.ended(stream), 30, answer_pings), f"{method}'s answer",
               f"frames {[(k, f) for _, k, f, _, _ in self.stream_frames()]}")
        return self.data_of(stream)

    def send_call(self, stream, method, message, accept="identity", answer_pings=True):
        """Sends a unary call on `stream` (headers and message, its side ended) and reads nothing of the answer."""
        data = grpc_message(message)
        self.read_until(lambda: self.of(SETTINGS), 30, answer_pings)  # the server's window, set there, before a large message
        chunks = [data[i:i + 16384] for i in range(0, len(data), 16384)]  # HTTP/2's smallest frame limit
        self.sock.sendall(frame(HEADERS, END_HEADERS, stream, request_headers(method, accept)) + b"".join(
            frame(DATA, END_STREAM if i == len(chunks) - 1 else 0, stream, c) for i, c in enumerate(chunks)))

    def open_call(self, stream, method):
        """Opens a call on `stream` (its HEADERS only) and leaves it open."""
        self.sock.sendall(frame(HEADERS, END_HEADERS, stream, request_headers(method)))

    def send_message(self, stream, message, end=False):
        """Sends one message (or none) on an open call, ending the client's side with `end`."""
        self.sock.sendall(frame(DATA, END_STREAM if end else 0, stream, grpc_message(message) if message is not None else b""))

    def ended(self, stream):
        """Whether the server ended `stream` (its trailers: HEADERS with END_STREAM)."""
        return any(k == HEADERS and f & END_STREAM and sid == stream for _, k, f, sid, _ in self.frames_with_streams)

    def data_of(self, stream):
        return b"".join(p for _, k, _, sid, p in self.frames_with_streams if k == DATA and sid == stream)

    def read_until(self, condition, seconds, answer_pings=True):
        """Reads until `condition()` holds or `seconds` pass or the connection closes; whether it holds."""
        deadline = time.monotonic() - self.start + seconds
        while not condition() and self.closed_at is None and time.monotonic() - self.start < deadline:
            self.read(until=deadline, answer_pings=answer_pings, once=True)
        return condition()

    def stream_frames(self):
        return self.frames_with_streams

    def read(self, until, answer_pings, once=False):
        """Reads frames until `until` seconds after connecting, or until the server closes the connection
        (with `once`, one read's frames)."""
        while self.closed_at is None:
            left = until - (time.monotonic() - self.start)
            if left <= 0:
                return
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(8192 if self.pace else 65536)
                if self.pace:
                    time.sleep(len(chunk) / self.pace)
            except socket.timeout:
                return
            except (ConnectionResetError, ssl.SSLEOFError):  # a TLS peer closed without close_notify
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
                stream = int.from_bytes(self.pending[5:9], "big") & MAX_STREAM_ID
                self.pending = self.pending[9 + length:]
                self.frames_with_streams.append((time.monotonic() - self.start, kind, flags, stream, payload))
                if stream == 0:
                    self.frames.append((time.monotonic() - self.start, kind, flags, payload))
                if kind == SETTINGS and not flags & ACK:
                    self.sock.sendall(frame(SETTINGS, ACK, 0))
                if kind == PING and not flags & ACK and answer_pings:
                    self.sock.sendall(frame(PING, ACK, 0, payload))
            if once:
                return

    def of(self, kind, ack=False):
        return [(t, payload) for t, k, flags, payload in self.frames if k == kind and bool(flags & ACK) == ack]

    def goaways(self):
        """(seconds, last stream id, error code) of each GOAWAY read."""
        return [(t, int.from_bytes(p[:4], "big") & MAX_STREAM_ID, int.from_bytes(p[4:8], "big")) for t, p in self.of(GOAWAY)]

    def close(self):
        self.sock.close()


def message_coding(data):
    """(coding, message bytes) of one length-prefixed gRPC message: `plain`, `gzip` or `deflate` (zlib-wrapped)."""
    expect(len(data) >= 5 and int.from_bytes(data[1:5], "big") == len(data) - 5, "one gRPC message", f"{len(data)} bytes")
    flag, body = data[0], data[5:]
    if flag == 0:
        return "plain", body
    if body[:2] == b"\x1f\x8b":
        return "gzip", zlib.decompress(body, 16 + zlib.MAX_WBITS)
    return "deflate", zlib.decompress(body)


def add_request(n, rows=1):
    """ModelInfer of add.onnx: a = n and b = 1 in every element of `rows` × 4, so the sum is n + 1."""
    request = pb.ModelInferRequest(model_name="add")
    for name, values in (("a", np.full((rows, 4), n, np.float32)), ("b", np.ones((rows, 4), np.float32))):
        request.inputs.add(name=name, datatype="FP32", shape=[rows, 4])
        request.raw_input_contents.append(values.tobytes())
    return request


def add_sum(data):
    """The sum in a plain ModelInferResponse message read from a call's DATA bytes."""
    coding, body = message_coding(data)
    expect(coding == "plain", "a plain answer", coding)
    return np.frombuffer(pb.ModelInferResponse.FromString(body).raw_output_contents[0], np.float32)


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
        # A timeout of 2 s: a client starved of CPU on a loaded machine still answers in time.
        server = GRPCServe(args.ledge, args.model, "--grpc-keepalive-time", "1000", "--grpc-keepalive-timeout", "2000")
        silent = Peer(server.port)
        silent.read(until=10, answer_pings=False)
        silent.close()
        pings = silent.of(PING)
        expect(len(pings) == 1 and silent.closed_at is not None, "a peer that does not answer pings is closed",
               f"pings at {[round(t, 2) for t, _ in pings]}, closed at {silent.closed_at}")
        pinged = pings[0][0]
        expect(pinged >= 0.95 and silent.closed_at - pinged >= 1.95, "the ping after 1 s of silence, the close 2 s later",
               f"ping at {pinged:.2f} s, closed at {silent.closed_at:.2f} s")
        answering = Peer(server.port)
        answering.read(until=4.5, answer_pings=True)
        answering.close()
        count = len(answering.of(PING))
        expect(answering.closed_at is None and count >= 2 and not answering.goaways(), "a peer that answers keeps its connection",
               f"{count} pings, closed at {answering.closed_at}, GOAWAY {answering.goaways()}")
        # A peer busy sending never answers the ping it was sent while quiet (as a client whose answer waits
        # behind its upload): what it sends is the sign of life; its calls go on, none refused.
        busy = Peer(server.port)
        busy.read(until=1.3, answer_pings=False)
        calls, stream = 0, 1
        while time.monotonic() - busy.start < 3.8:  # past the 3.0 s a timeout from the ping would close at
            answer = add_sum(busy.call(stream, "ModelInfer", add_request(stream), "identity", answer_pings=False))
            expect(np.array_equal(answer, np.full(4, stream + 1, np.float32)), "a busy peer's call", f"{answer}")
            calls, stream = calls + 1, stream + 2
            time.sleep(0.1)
        busy.close()
        expect(len(busy.of(PING)) >= 1 and not busy.of(PING, ack=True) and busy.closed_at is None and not busy.goaways(),
               "a busy peer that does not answer the ping keeps its connection",
               f"pings {len(busy.of(PING))}, closed at {busy.closed_at}, GOAWAY {busy.goaways()}")
        # A peer reading a large answer slowly (a device on a thin link) reads the ping only after the bytes
        # queued before it, later than the timeout: the bytes it acknowledges are its sign of life.
        rows = 100_000  # a 1.6 MB answer, read at 300 KB/s: over 5 s, where the ping goes out after 1 s
        slow = Peer(server.port, receive_buffer=32768, pace=300_000)
        sent = time.monotonic()
        answer = add_sum(slow.call(1, "ModelInfer", add_request(2, rows), "identity"))
        download = time.monotonic() - sent
        expect(np.array_equal(answer, np.full(rows * 4, 3, np.float32)), "a slow reader's answer", f"{answer[:8]}")
        slow.read(until=time.monotonic() - slow.start + 0.5, answer_pings=True)  # the ping it answers is read
        slow.close()
        expect(slow.closed_at is None and not slow.goaways() and len(slow.of(PING)) >= 1 and download > 4,
               "a slow reader keeps its connection", f"pings {len(slow.of(PING))}, closed at {slow.closed_at}, "
               f"GOAWAY {slow.goaways()}, answer read in {download:.1f} s")
        # A peer that froze before reading a 16 MB answer, more than the sockets' buffers hold: it stops
        # acknowledging once its receive buffer is full, and is closed within two timeouts of the ping
        # (1 + 2 × 2 s), its answer cut.
        rows = 1_000_000
        frozen = Peer(server.port, receive_buffer=32768)
        frozen.send_call(1, "ModelInfer", add_request(1, rows))
        time.sleep(6)
        frozen.read(until=time.monotonic() - frozen.start + 10, answer_pings=False)
        frozen.close()
        received = len(frozen.data_of(1))
        expect(frozen.closed_at is not None and received < rows * 16, "a peer frozen with its answer unread is closed",
               f"closed at {frozen.closed_at}, {received} of {rows * 16} answer bytes read")
        # Over TLS, the close does not wait the TLS handler's 5 s for the close_notify a silent peer never sends.
        with tempfile.TemporaryDirectory() as folder:
            cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
                            "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
            tls_server = GRPCServe(args.ledge, args.model, "--grpc-keepalive-time", "1000", "--grpc-keepalive-timeout", "2000",
                                   "--tls-cert", cert, "--tls-key", key)
            quiet = Peer(tls_server.port, tls=True)
            quiet.read(until=15, answer_pings=False)
            # The server's TLS session may end (close_notify) before its socket closes: the socket's end is its FIN or reset.
            wait_for_peer_close(quiet.sock, 20 - (time.monotonic() - quiet.start))
            fin = time.monotonic() - quiet.start
            quiet.close()
            tls_server.kill()
            # An idle TLS peer that never sends close_notify does not hold a SIGTERM (the TLS handler waited 5 s
            # for it), nor does a client stalled in its handshake (it held it until the exit timeout), and a slow TLS reader of a 640 KB answer across a SIGTERM still gets all of it: the connection
            # is closed once the answer is out. (Default keep-alive: the one above closes an idle peer within a second.)
            tls_server = GRPCServe(args.ledge, args.model, "--tls-cert", cert, "--tls-key", key)
            idle = Peer(tls_server.port, tls=True)
            idle.read_until(lambda: idle.of(SETTINGS), 5, answer_pings=False)
            stalled = socket.create_connection(("127.0.0.1", tls_server.port))  # a handshake begun, never finished
            stalled.sendall(bytes.fromhex("16030100c8010000c40303"))
            time.sleep(0.2)
            began = time.monotonic()
            tls_server.process.send_signal(signal.SIGTERM)
            try:
                idle_code = tls_server.process.wait(40)
            except subprocess.TimeoutExpired:
                idle_code = None
            idle_exit = time.monotonic() - began
            idle.read(until=time.monotonic() - idle.start + 2, answer_pings=False)
            idle.close()
            stalled.close()
            rows = 40_000
            tls_server = GRPCServe(args.ledge, args.model, "--tls-cert", cert, "--tls-key", key)
            reader = Peer(tls_server.port, tls=True, receive_buffer=32768, pace=200_000)
            reader.send_call(1, "ModelInfer", add_request(1, rows))
            time.sleep(0.5)
            tls_server.process.send_signal(signal.SIGTERM)
            reader.read(until=time.monotonic() - reader.start + 30, answer_pings=True)
            code = tls_server.process.wait(30)
            reader.close()
        tls_pings = quiet.of(PING)
        expect(len(tls_pings) == 1 and quiet.closed_at is not None and 1.95 <= fin - tls_pings[0][0] < 4.5,
               "a silent TLS peer's socket is closed a timeout after the ping", f"pings at {[round(t, 2) for t, _ in tls_pings]}, "
               f"TLS closed at {quiet.closed_at}, FIN at {fin:.2f} s")
        tls_closed = fin - tls_pings[0][0]
        expect(idle_code == 0 and idle_exit < 2.5 and idle.goaways(),
               "SIGTERM with an idle TLS peer that never sends close_notify and a handshake stalled exits at once",
               f"exit {idle_code} after {idle_exit:.2f} s, GOAWAY {idle.goaways()}")
        expect(code == 0 and reader.ended(1) and np.array_equal(add_sum(reader.data_of(1)), np.full(rows * 4, 2, np.float32)),
               "a slow TLS reader across SIGTERM gets its whole answer", f"exit {code}, ended {reader.ended(1)}, "
               f"{len(reader.data_of(1))} answer bytes")
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
                time.sleep(2.5)  # quiet: pings, each answered
        client.stop_stream()
        client.close()
        server.kill()
        ok(f"keep-alive 1000 ms, timeout 2000 ms: a silent peer pinged at {pinged:.2f} s and closed at {silent.closed_at:.2f} s; "
           f"a peer that answers still open after 4.5 s ({count} pings); a peer sending calls without answering the ping "
           f"still open, its {calls} calls answered; a peer reading a 1.6 MB answer at 300 KB/s for over 4 s still open, one frozen before reading a 16 MB answer closed; "
           f"a silent TLS peer's socket closed {tls_closed:.1f} s after its ping; SIGTERM with an idle TLS peer and a stalled TLS handshake: GOAWAY, exit 0 at once; a slow TLS reader across SIGTERM: its 640 KB answer whole, exit 0; "
           f"a tritonclient stream quiet for 2.5 s answered before and after")

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
        expect(len(goaways) == 1 and goaways[0][1:] == (0, 0) and not peer.of(PING) and peer.closed_at is not None,
               "one GOAWAY naming no stream, then the close", f"GOAWAY {goaways}, pings {peer.of(PING)}, closed at {peer.closed_at}")
        expect(0.44 <= goaways[0][0] <= 1.0, "the GOAWAY at 500 ms ± 10 % (or read later on a loaded machine)", f"{goaways[0][0]:.2f} s")
        # A call that crosses the GOAWAY (sent before the client read it) is not taken, and does not end the
        # call still open on the connection: its answers go on, then the connection closes after it.
        crossing_server = GRPCServe(args.ledge, args.model, "--grpc-max-connection-age", "1000")
        crossed = Peer(crossing_server.port)
        crossed.open_call(1, "ModelStreamInfer")
        crossed.send_message(1, add_request(1))
        expect(crossed.read_until(lambda: len(crossed.data_of(1)) > 0, 10), "the open stream's first answer")
        expect(crossed.read_until(lambda: crossed.goaways(), 10) and crossed.goaways()[0][1:] == (1, 0),
               "the age's GOAWAY naming stream 1", f"{crossed.goaways()}")
        # Stream 3, sent as if before the GOAWAY was read: not taken, never answered.
        crossed.sock.sendall(frame(HEADERS, END_HEADERS, 3, request_headers("ModelInfer"))
                             + frame(DATA, END_STREAM, 3, grpc_message(add_request(3)))
                             + frame(RST_STREAM, 0, 3, struct.pack(">I", 8)))  # CANCEL, as grpcio gives up such a call
        before = len(crossed.data_of(1))
        crossed.send_message(1, add_request(2))
        answered = crossed.read_until(lambda: len(crossed.data_of(1)) > before, 10)
        expect(answered and crossed.closed_at is None and len(crossed.goaways()) == 1,
               "the open stream answered after a crossing call", f"GOAWAY {crossed.goaways()}, closed at {crossed.closed_at}")
        second = pb.ModelStreamInferResponse.FromString(message_coding(crossed.data_of(1)[before:])[1])
        expect(np.array_equal(np.frombuffer(second.infer_response.raw_output_contents[0], np.float32), np.full(4, 3, np.float32)),
               "the open stream's second answer", f"{second}")
        crossed.send_message(1, None, end=True)
        closed = crossed.read_until(lambda: crossed.closed_at is not None, 10)
        expect(closed and not crossed.data_of(3), "the connection closed once the stream ended, the crossing call unanswered",
               f"closed at {crossed.closed_at}, {len(crossed.data_of(3))} bytes for stream 3")
        crossed.close()
        crossing_server.kill()
        # A client idle past its connection's age (it reads only every 5 s): its next call goes over a new one.
        idle = []
        for _ in range(3):
            client = grpcclient.InferenceServerClient(f"127.0.0.1:{server.port}")
            infer_add(client, 1)
            time.sleep(1)
            infer_add(client, 2)
            client.close()
            idle.append("ok")
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
        ok(f"--grpc-max-connection-age 500: one GOAWAY (last stream 0) at {goaways[0][0]:.2f} s, closed at {peer.closed_at:.2f} s; "
           "a call crossing the GOAWAY is not taken and the stream open beside it is answered, then the connection closes; "
           f"3 of 3 tritonclients idle 1 s past the age made their next call; a stream open {open_for:.1f} s had its 10 requests "
           "answered in order, then an infer on a new connection equals a + b")

    def drain():
        server = GRPCServe(args.ledge, args.model, "--exit-timeout-secs", "1")
        frozen = Peer(server.port)
        frozen.read(until=0.3, answer_pings=False)
        frozen.open_call(1, "ModelStreamInfer")
        time.sleep(0.3)  # the call is open; from now on the peer reads nothing
        server.process.send_signal(signal.SIGTERM)
        try:
            code = server.process.wait(timeout=30)
        finally:
            frozen.close()
        errors = [line for line in server.process.stderr.read().splitlines() if line.startswith("error:")]
        expect(code == 0 and not errors, "SIGTERM with a frozen client's stream open: closed by the exit timeout, exit 0",
               f"exit {code}, {errors}")
        ok("SIGTERM with --exit-timeout-secs 1 and a frozen client's ModelStreamInfer open: its connection closed, "
           "exit 0, no error line (the exit watchdog did not have to end the process)")

    def compression():
        seen, stream = {}, 1
        for level in ("none", "low", "med", "high"):
            server = GRPCServe(args.ledge, args.model, *(["--grpc-infer-response-compression-level", level] if level != "none" else []))
            peer = Peer(server.port)
            for accept in ("identity,deflate,gzip", "identity,gzip", "identity"):
                coding, body = message_coding(peer.call(stream, "ModelInfer", add_request(stream), accept))
                stream += 2
                answer = pb.ModelInferResponse.FromString(body)
                got = np.frombuffer(answer.raw_output_contents[0], np.float32)
                expect(answer.model_name == "add" and np.array_equal(got, np.full(4, stream - 2 + 1, np.float32)),
                       f"ModelInfer answered {coding} at {level}", f"{answer}")
                seen[(level, accept)] = coding
            coding, body = message_coding(peer.call(stream, "ServerMetadata", pb.ServerMetadataRequest(), "identity,deflate,gzip"))
            stream += 2
            expect(coding == "plain" and pb.ServerMetadataResponse.FromString(body).name == "ledge", f"ServerMetadata at {level}",
                   coding)
            peer.close()
            if level == "high":  # tritonclient reads compressed answers: unary and on a stream
                client = grpcclient.InferenceServerClient(f"127.0.0.1:{server.port}")
                infer_add(client, 4)
                answers = queue.Queue()
                client.start_stream(callback=lambda result, error: answers.put((result, error)))
                client.async_stream_infer("add", grpc_add_inputs(np.full((1, 4), 5, np.float32), np.ones((1, 4), np.float32)))
                result, error = answers.get(timeout=30)
                client.stop_stream()
                client.close()
                expect(error is None and np.array_equal(result.as_numpy("sum"), np.full((1, 4), 6, np.float32)),
                       "tritonclient's stream answer at high", f"{error}")
            server.kill()
        want = {("none", "identity,deflate,gzip"): "plain", ("none", "identity,gzip"): "plain", ("none", "identity"): "plain",
                ("low", "identity,deflate,gzip"): "gzip", ("low", "identity,gzip"): "gzip", ("low", "identity"): "plain",
                ("med", "identity,deflate,gzip"): "deflate", ("med", "identity,gzip"): "gzip", ("med", "identity"): "plain",
                ("high", "identity,deflate,gzip"): "deflate", ("high", "identity,gzip"): "gzip", ("high", "identity"): "plain"}
        expect(seen == want, "the algorithm each level picks", f"{seen}")
        ok("ModelInfer responses: plain by default; accepting identity,deflate,gzip: low gzip, med and high deflate; accepting "
           "identity,gzip: gzip at every level; accepting identity: plain; ServerMetadata plain; each answer a + b; tritonclient's "
           "unary and stream answers at high equal a + b")

    def headers_only():
        # A call whose client ends its stream with its headers (no message) is ended at once, as one whose message is
        # missing; before, grpc-swift waited for a message for ever, each such call holding a stream slot.
        server = GRPCServe(args.ledge, args.model, "--exit-timeout-secs", "3")
        peer = Peer(server.port)
        peer.read_until(lambda: peer.of(SETTINGS), 30)
        calls = list(range(1, 2 * 120, 2))  # more than the 100 concurrent streams the server allows

        def headers_only_call(stream):
            peer.sock.sendall(frame(HEADERS, END_HEADERS | END_STREAM, stream, request_headers("ModelInfer")))

        headers_only_call(1)
        expect(peer.read_until(lambda: peer.ended(1), 10), "a headers-only call ended by trailers", "nothing in 10 s")
        for n in calls[1:]:  # one after the other: at most one open at a time, as the server ends each
            headers_only_call(n)
            peer.read_until(lambda: peer.ended(n), 10)
        expect(all(peer.ended(n) for n in calls) and not any(peer.data_of(n) for n in calls) and not peer.goaways(),
               "each headers-only call ended by trailers, without a message", f"GOAWAY {peer.goaways()}")
        answer = add_sum(peer.call(2 * 120 + 1, "ModelInfer", add_request(7), "identity"))
        expect(np.array_equal(answer, np.full(4, 8, np.float32)), "a call after them", f"{answer}")
        for n in range(2 * 120 + 3, 2 * 120 + 3 + 2 * 10, 2):  # left unanswered at SIGTERM, if they were
            headers_only_call(n)
        peer.read(until=time.monotonic() - peer.start + 0.5, answer_pings=True)
        started = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        code = server.process.wait(timeout=30)
        took = time.monotonic() - started
        peer.close()
        expect(code == 0 and took < 3, "SIGTERM after headers-only calls exits before the exit timeout", f"exit {code} after {took:.2f} s")
        ok(f"{len(calls)} calls ended with their headers (more than the 100 concurrent streams allowed): each ended at once by "
           "trailers without a message, the connection kept; a call after them equals a + b; SIGTERM exit 0 before the exit timeout")

    return run_steps([("keep-alive", keepalive), ("ping policing", policing), ("age", age), ("drain", drain),
                      ("compression", compression), ("headers-only calls", headers_only)],
                     "all gRPC transport checks passed")


if __name__ == "__main__":
    sys.exit(main())
