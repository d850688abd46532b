#!/usr/bin/env python3
"""A loopback file server for fetch tests: serves a folder, honours Range, injects faults.

Routes (``<path>`` is relative to ROOT and may not leave it):

- ``GET|HEAD /files/<path>``      the file (``application/gzip`` for ``.tar.gz`` and ``.tgz``, else
  ``application/octet-stream``); ``Range: bytes=N-`` or ``bytes=N-M`` gives 206
  with ``Content-Range``, a start past the end gives 416.
- ``GET /missing/<anything>``     404 Not Found.
- ``GET /cut/<path>``             the first request for a path: the head (full
  ``Content-Length``) and half of the body, then the connection closes; later requests
  are served as ``/files/<path>``.
- ``GET /stall/<path>``           the head and half of the body, then nothing for 60 s
  (for idle time limits), then the connection closes.
- ``GET /redirect/<n>/<path>``    302 to ``/redirect/<n-1>/<path>``, and to
  ``/files/<path>`` when ``n`` is 0.
- ``GET /busy/<n>/<path>``        the first ``n`` requests for a path: 503 with
  ``Retry-After: 0``; later ones are served as ``/files/<path>``.
- ``GET /hub/<owner>/<repo>/resolve/<revision>/<path>``  the Hugging Face Hub's file URL (with
  ``HF_ENDPOINT=http://127.0.0.1:PORT/hub``), from ``ROOT/hub/<owner>/<repo>/<revision>/<path>``:
  a 302 to ``/cdn/hub/<owner>/<repo>/<revision>/<path>`` as the Hub redirects to its CDN; a repo
  whose folder holds ``.gated`` (a token) asks for ``Authorization: Bearer <token>``, else 401;
  no repo, revision or file: 404. Refusals carry the Hub's ``X-Error-Code`` and ``X-Error-Message``
  headers (``GatedRepo``, ``RepoNotFound``, ``RevisionNotFound``, ``EntryNotFound``).
- ``GET /cdn/<path>``               the file, as ``/files/<path>``; 400 when the request carries an
  ``Authorization`` header (as a pre-signed URL refuses one).
- anything else: 404.

Usage: ``fixture_http_server.py ROOT [CERT KEY]`` — binds 127.0.0.1 on a free port (HTTPS
with the PEM certificate CERT and its key KEY when given), prints the port number and a
newline on stdout, and logs each request to stderr as
``REQUEST <METHOD> <PATH> <RANGE>`` (``-`` without a Range header) and each cut as
``CUT <PATH> after <N> bytes`` (also for stalls). Stops on SIGTERM or SIGINT.
"""

import http.server
import os
import re
import socket
import sys
import threading
import time

from faulty_registry import log, main  # the same logging and serving loop

ROOT = os.path.realpath(sys.argv[1]) if len(sys.argv) > 1 else os.getcwd()
CUT_LOCK = threading.Lock()
CUT_DONE = set()
BUSY = {}  # /busy/ path -> requests so far
RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fixture-http/1"

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass  # our own lines only

    def local_path(self, relative):
        path = os.path.realpath(os.path.join(ROOT, relative))
        if path != ROOT and not path.startswith(ROOT + os.sep):
            return None
        return path if os.path.isfile(path) else None

    def plain(self, status, text, headers=None):
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def serve_file(self, relative, cut=False, stall=False):
        path = self.local_path(relative)
        if path is None:
            return self.plain(404, "not found\n")
        size = os.path.getsize(path)
        start, end, status = 0, size - 1, 200
        match = RANGE.match(self.headers.get("Range", ""))
        if match:
            start = int(match.group(1))
            end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
            if start >= size:
                return self.plain(416, "range not satisfiable\n", {"Content-Range": f"bytes */{size}"})
            status = 206
        length = end - start + 1
        self.send_response(status)
        # gzip archives as a web server labels them (KServe's storage initializer insists on it).
        archive = path.endswith((".tar.gz", ".tgz"))
        self.send_header("Content-Type", "application/gzip" if archive else "application/octet-stream")
        self.send_header("Content-Length", str(length))
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        if self.command == "HEAD":
            return
        send = length // 2 if cut or stall else length
        with open(path, "rb") as file:
            file.seek(start)
            left = send
            while left > 0:
                piece = file.read(min(65536, left))
                if not piece:
                    break
                self.wfile.write(piece)
                left -= len(piece)
        self.wfile.flush()
        if cut or stall:
            log(f"CUT {self.path} after {send} bytes")
            if stall:
                time.sleep(60)
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def route(self):
        log(f"REQUEST {self.command} {self.path} {self.headers.get('Range', '-')}")
        path = self.path.split("?", 1)[0]
        if path.startswith("/files/"):
            return self.serve_file(path[len("/files/"):])
        if path.startswith("/missing/"):
            return self.plain(404, "not found\n")
        if path.startswith("/cut/"):
            relative = path[len("/cut/"):]
            with CUT_LOCK:
                first = relative not in CUT_DONE
                CUT_DONE.add(relative)
            return self.serve_file(relative, cut=first)
        if path.startswith("/stall/"):
            return self.serve_file(path[len("/stall/"):], stall=True)
        match = re.match(r"^/busy/(\d+)/(.+)$", path)
        if match:
            with CUT_LOCK:
                BUSY[path] = BUSY.get(path, 0) + 1
                busy = BUSY[path] <= int(match.group(1))
            if busy:
                return self.plain(503, "busy\n", {"Retry-After": "0"})
            return self.serve_file(match.group(2))
        match = re.match(r"^/hub/([^/]+)/([^/]+)/resolve/([^/]+)/(.+)$", path)
        if match:
            return self.hub(*match.groups())
        if path.startswith("/cdn/"):
            log(f"CDN {path} authorization={'yes' if self.headers.get('Authorization') else 'no'}")
            if self.headers.get("Authorization"):
                return self.plain(400, "a pre-signed URL takes no Authorization header\n")
            return self.serve_file(path[len("/cdn/"):])
        match = re.match(r"^/redirect/(\d+)/(.+)$", path)
        if match:
            hops, relative = int(match.group(1)), match.group(2)
            location = f"/files/{relative}" if hops == 0 else f"/redirect/{hops - 1}/{relative}"
            return self.plain(302, "moved\n", {"Location": location})
        return self.plain(404, "not found\n")

    def hub(self, owner, repo, revision, relative):
        """The Hub's resolve endpoint for one file (see the module's docstring)."""
        authorization = self.headers.get("Authorization")
        log(f"HUB {owner}/{repo}@{revision}/{relative} authorization={'yes' if authorization else 'no'}")
        folder = os.path.join(ROOT, "hub", owner, repo)

        def refuse(status, code, message):
            return self.plain(status, message + "\n", {"X-Error-Code": code, "X-Error-Message": message})

        if not os.path.isdir(folder):
            return refuse(404, "RepoNotFound", f"Repository Not Found for url: {self.path}.")
        gated = os.path.join(folder, ".gated")
        if os.path.isfile(gated):
            with open(gated) as file:
                token = file.read().strip()
            if authorization != f"Bearer {token}":
                return refuse(401, "GatedRepo", f"Access to model {owner}/{repo} is restricted. You must have access to it "
                                                "and be authenticated to access it. Please log in.")
        if not os.path.isdir(os.path.join(folder, revision)):
            return refuse(404, "RevisionNotFound", f"Invalid rev id: {revision}")
        if self.local_path(f"hub/{owner}/{repo}/{revision}/{relative}") is None:
            return refuse(404, "EntryNotFound", f"{relative} does not exist on \"{revision}\"")
        return self.plain(302, "found\n", {"Location": f"/cdn/hub/{owner}/{repo}/{revision}/{relative}"})

    do_GET = do_HEAD = route


if __name__ == "__main__":
    main(Handler, tls=tuple(sys.argv[2:4]) if len(sys.argv) >= 4 else None)
