"""HTTPS and bearer-token checks against a live `ledge serve --tls-cert … --tls-key …` (one line per check).

Python's own ssl module is the client: it verifies the server's certificate against --ca (hostname
included), so a passing run shows the chain and the subjectAltName are right. Serving the fixture
model add.onnx (inputs a and b, FP32 [-1, 4]) is assumed for the inference check.

    check_tls.py --url https://127.0.0.1:PORT --ca ca.pem [--token TOKEN] [--sigterm PID]

A slow reader (a 32 KB receive buffer, 300 KB/s) of a ~600 KB answer with `Connection: close` reads
all of it, then the server's close_notify. With --sigterm, a last check holds an idle keep-alive connection that never sends close_notify (as
Python's ssl does not), sends SIGTERM to the server PID and times the server's close_notify and the
socket's end (its FIN): the drain closes an idle connection after 1 s, and the TLS handler then waits
only 0.25 s for the peer's close_notify (swift-nio-ssl's default was 5 s).
"""

import argparse
import http.client
import json
import os
import signal
import socket
import ssl
import sys
import time
import urllib.parse

from check_common import CheckFailed, expect, ok, wait_for_peer_close


def request(url, context, method, path, token=None, body=None):
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPSConnection(parts.hostname, parts.port, context=context, timeout=30)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    try:
        connection.request(method, path, body=body, headers=headers)
        version = connection.sock.version()  # before the response: a refused body's connection closes after it
        response = connection.getresponse()
        data = response.read()
        return response.status, dict((k.lower(), v) for k, v in response.getheaders()), data, version
    finally:
        connection.close()


def slow_closing_read(url, context, rows, rate, token=None):
    """Posts an add.onnx infer of `rows` × 4 with `Connection: close` from a socket with a 32 KB receive
    buffer, reads the answer at `rate` bytes/s; the body's length, its Content-Length and how it ended."""
    parts = urllib.parse.urlsplit(url)
    body = json.dumps({"inputs": [{"name": name, "shape": [rows, 4], "datatype": "FP32", "data": [value] * (4 * rows)}
                                  for name, value in (("a", 1.5), ("b", 0.25))]}).encode()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32768)
    sock.settimeout(30)
    sock.connect((parts.hostname, parts.port))
    sock = context.wrap_socket(sock, server_hostname=parts.hostname, suppress_ragged_eofs=False)
    authorization = f"Authorization: Bearer {token}\r\n".encode() if token is not None else b""
    sock.sendall(b"POST /v2/models/add/infer HTTP/1.1\r\nHost: ledge\r\nContent-Type: application/json\r\n" + authorization
                 + b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    received, ending = b"", "close_notify"
    while True:
        try:
            chunk = sock.recv(16384)
        except (ssl.SSLEOFError, ConnectionResetError) as error:
            ending = type(error).__name__
            break
        if not chunk:
            break
        received += chunk
        time.sleep(len(chunk) / rate)
    sock.close()
    head, _, answer = received.partition(b"\r\n\r\n")
    expect(head.startswith(b"HTTP/1.1 200"), "a large infer(add)", head[:40].decode(errors="replace"))
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), None)
    return len(answer), length, ending


def idle_at_sigterm(url, context, pid):
    """Seconds from SIGTERM to the server's close_notify and to its FIN on an idle keep-alive connection."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPSConnection(parts.hostname, parts.port, context=context, timeout=30)
    connection.request("GET", "/v2/health/live")
    response = connection.getresponse()
    response.read()
    expect(response.status == 200, "GET /v2/health/live before SIGTERM", f"status {response.status}")
    sock = connection.sock
    began = time.monotonic()
    os.kill(pid, signal.SIGTERM)
    expect(sock.recv(1) == b"", "the server's close_notify on an idle connection", "data after SIGTERM")
    notified = time.monotonic() - began
    wait_for_peer_close(sock, 20)
    fin = time.monotonic() - began
    sock.close()  # no close_notify: a raw close of the socket
    return notified, fin


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--token")
    parser.add_argument("--sigterm", type=int, metavar="PID")
    args = parser.parse_args()
    trusted = ssl.create_default_context(cafile=args.ca)
    try:
        status, _, body, version = request(args.url, trusted, "GET", "/v2/health/ready")
        expect(status == 200, "GET /v2/health/ready", f"status {status}: {body!r}")
        ok(f"GET /v2/health/ready over {version}: {status}")

        infer = json.dumps({
            "inputs": [
                {"name": "a", "datatype": "FP32", "shape": [1, 4], "data": [1, 2, 3, 4]},
                {"name": "b", "datatype": "FP32", "shape": [1, 4], "data": [1, 1, 1, 1]},
            ]
        })
        if args.token is not None:
            status, headers, body, _ = request(args.url, trusted, "GET", "/v2")
            expect(status == 401, "GET /v2 without a token", f"status {status}: {body!r}")
            expect(headers.get("www-authenticate", "").startswith("Bearer"), "WWW-Authenticate", repr(headers))
            ok(f"GET /v2 without a token: {status} {json.loads(body)['error']}")
            status, _, body, _ = request(args.url, trusted, "POST", "/v2/models/add/infer", token=args.token + "x", body=infer)
            expect(status == 401, "infer with a wrong token", f"status {status}: {body!r}")
            ok(f"infer(add) with a wrong token: {status} {json.loads(body)['error']}")

        status, _, body, _ = request(args.url, trusted, "POST", "/v2/models/add/infer", token=args.token, body=infer)
        expect(status == 200, "infer(add)", f"status {status}: {body!r}")
        outputs = json.loads(body)["outputs"]
        expect(outputs[0]["data"] == [2, 3, 4, 5], "infer(add) data", repr(outputs))
        ok(f"infer(add) over TLS{' with the token' if args.token else ''}: {status}, exactly a + b")

        try:
            request(args.url, ssl.create_default_context(), "GET", "/v2/health/ready")
            raise CheckFailed("a client without --ca trusted the server's certificate")
        except ssl.SSLCertVerificationError as error:
            ok(f"without the CA: {error.verify_message}")

        # The TLS handler's short wait for close_notify (0.25 s) starts once the answer is out: a slow reader of a
        # closing connection still reads all of it.
        got, length, ending = slow_closing_read(args.url, trusted, 30_000, 300_000, args.token)
        expect(length is not None and got == length and ending == "close_notify", "a slow reader's answer on a closing connection",
               f"{got} of {length} bytes, then {ending}")
        ok(f"a slow reader (300 KB/s) of a {length // 1000} KB answer with Connection: close: all of it, then close_notify")

        if args.sigterm is not None:
            notified, fin = idle_at_sigterm(args.url, trusted, args.sigterm)
            expect(fin < 3, "an idle client's connection ends soon after SIGTERM",
                   f"close_notify {notified:.2f} s, FIN {fin:.2f} s after SIGTERM")
            ok(f"an idle client at SIGTERM: close_notify after {notified:.1f} s, the socket closed after {fin:.1f} s")
    except CheckFailed as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        return 1
    print("all tls checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
