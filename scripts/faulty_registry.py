#!/usr/bin/env python3
"""A loopback registry that fails every blob upload half-way, for push tests.

Speaks just enough of the OCI distribution API for a client to start a push:

- ``GET /v2/``                          200 ``{}``
- ``HEAD|GET /v2/<name>/blobs/<digest>`` 404 ``BLOB_UNKNOWN``
- ``POST /v2/<name>/blobs/uploads/``    202, ``Location: /v2/<name>/blobs/uploads/<uuid>`` (relative)
- ``PATCH|PUT /v2/<name>/blobs/uploads/<uuid>...`` reads about half of the body
  (half of ``Content-Length``, or half of the first chunk when chunked), then
  answers 500 ``{"errors":[{"code":"UNKNOWN","message":"injected failure"}]}``
  with ``Retry-After: 0`` (a client that tries again does so at once) and
  ``Connection: close``. The same happens to a ``POST`` upload that
  carries a body (a monolithic upload).
- ``PUT /v2/<name>/manifests/<reference>`` is recorded (``MANIFEST-PUT`` line)
  and answered 500 too; push tests assert that none arrived.
- anything else: 404 ``UNSUPPORTED``.

After a 500 the server shuts its sending side, then drains what the client
still sends (at most 2 s) before closing: the client reads the 500 instead of
a connection reset (closing a socket with unread data makes the kernel send RST).

Usage: ``faulty_registry.py`` — binds 127.0.0.1 on a free port, prints the
port number and a newline on stdout, and logs to stderr, one line each:
``REQUEST <METHOD> <TARGET>``, ``FAILED <METHOD> <TARGET> after <N> bytes``,
``MANIFEST-PUT <TARGET>``. Stops on SIGTERM or SIGINT.
"""

import http.server
import json
import re
import signal
import socket
import ssl
import sys
import threading
import time
import uuid

NAME = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
BLOB = re.compile(rf"^/v2/({NAME})/blobs/([A-Za-z0-9_+.-]+:[A-Fa-f0-9]+)$")
UPLOAD_START = re.compile(rf"^/v2/({NAME})/blobs/uploads/?$")
UPLOAD = re.compile(rf"^/v2/({NAME})/blobs/uploads/([A-Za-z0-9-]+)$")
MANIFEST = re.compile(rf"^/v2/({NAME})/manifests/([^/]+)$")

LOG_LOCK = threading.Lock()


def log(line):
    with LOG_LOCK:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "faulty-registry/1"

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass  # our own lines only

    # --- helpers -----------------------------------------------------------

    def path_only(self):
        return self.path.split("?", 1)[0]

    def send_json(self, status, body, headers=None, close=False):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Docker-Distribution-Api-Version", "registry/2.0")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()

    def error(self, status, code, message, close=False, headers=None):
        self.send_json(status, {"errors": [{"code": code, "message": message}]}, headers=headers, close=close)

    def read_body(self, limit=None):
        """Reads the whole body, or at most `limit` bytes of it; returns the count read."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self.read_chunked(limit)
        length = int(self.headers.get("Content-Length") or 0)
        want = length if limit is None else min(length, limit)
        got = 0
        while got < want:
            piece = self.rfile.read(min(65536, want - got))
            if not piece:
                break
            got += len(piece)
        return got

    def read_chunked(self, limit):
        got = 0
        while limit is None or got < limit:
            size_line = self.rfile.readline(1024)
            if not size_line:
                break
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                self.rfile.readline(1024)  # the trailer's empty line
                break
            want = size if limit is None else min(size, limit - got)
            piece = self.rfile.read(want)
            got += len(piece)
            if want < size:
                break
            self.rfile.readline(1024)  # CRLF after the chunk
        return got

    def fail_half_way(self):
        """Reads about half the body, answers 500, then closes the connection gracefully."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            size_line = self.rfile.readline(1024)
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            got = len(self.rfile.read(size // 2)) if size > 0 else 0
        else:
            got = self.read_body(limit=int(self.headers.get("Content-Length") or 0) // 2)
        log(f"FAILED {self.command} {self.path} after {got} bytes")
        self.error(500, "UNKNOWN", "injected failure", close=True, headers={"Retry-After": "0"})
        try:
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(0.2)
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline:
                try:
                    if not self.connection.recv(65536):
                        break
                except socket.timeout:
                    continue
        except OSError:
            pass

    # --- methods -----------------------------------------------------------

    def route(self):
        log(f"REQUEST {self.command} {self.path}")
        path = self.path_only()
        if path in ("/v2", "/v2/") and self.command in ("GET", "HEAD"):
            return self.send_json(200, {})
        if BLOB.match(path) and self.command in ("GET", "HEAD"):
            return self.error(404, "BLOB_UNKNOWN", "blob unknown to registry")
        match = UPLOAD_START.match(path)
        if match and self.command == "POST":
            chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
            has_body = chunked or int(self.headers.get("Content-Length") or 0) > 0
            if has_body:
                return self.fail_half_way()
            upload = str(uuid.uuid4())
            location = f"/v2/{match.group(1)}/blobs/uploads/{upload}"
            return self.send_json(
                202, {}, headers={"Location": location, "Docker-Upload-UUID": upload, "Range": "0-0"})
        if UPLOAD.match(path) and self.command in ("PATCH", "PUT"):
            return self.fail_half_way()
        if MANIFEST.match(path) and self.command == "PUT":
            log(f"MANIFEST-PUT {self.path}")
            self.read_body()
            return self.error(500, "UNKNOWN", "injected failure", headers={"Retry-After": "0"})
        if MANIFEST.match(path) and self.command in ("GET", "HEAD"):
            return self.error(404, "MANIFEST_UNKNOWN", "manifest unknown")
        self.read_body()
        return self.error(404, "UNSUPPORTED", "not supported by the faulty registry")

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = route


def main(handler=Handler, tls=None):
    """Serves `handler` on a free loopback port (printed on stdout) until SIGTERM or SIGINT;
    over TLS when `tls` is (certificate PEM, key PEM), each handshake on its request's thread."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
    sys.stdout.write(f"{server.server_address[1]}\n")
    sys.stdout.flush()

    def stop(*_):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever()
    server.server_close()


if __name__ == "__main__":
    main()
