"""HTTPS and bearer-token checks against a live `ledge serve --tls-cert … --tls-key …` (one line per check).

Python's own ssl module is the client: it verifies the server's certificate against --ca (hostname
included), so a passing run shows the chain and the subjectAltName are right. Serving the fixture
model add.onnx (inputs a and b, FP32 [-1, 4]) is assumed for the inference check.

    check_tls.py --url https://127.0.0.1:PORT --ca ca.pem [--token TOKEN] [--sigterm PID]

With --sigterm, a last check holds an idle keep-alive connection that never sends close_notify (as
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

from check_common import CheckFailed, expect, ok


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


TCP_CLOSED = (7, 8)  # TCP states (tcpi_state) once the peer closed: CLOSE (a reset), CLOSE_WAIT (its FIN)


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
    while sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0] not in TCP_CLOSED and time.monotonic() - began < 20:
        time.sleep(0.01)
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
