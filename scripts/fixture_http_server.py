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
- ``GET /hub/api/models/<owner>/<repo>/revision/<revision>``  the Hub's model API: ``sha`` (the
  revision's commit: the SHA-1 of its folder's name, which ``resolve`` also takes) and
  ``siblings`` (``rfilename`` of every file under the revision's folder); gated and missing repos
  and revisions refused as ``resolve`` refuses them; a repo folder holding ``.listing.json``
  answers that file instead. Logged as ``HUB API <owner>/<repo>@<revision>``.
- ``GET /cdn/<path>``               the file, as ``/files/<path>``; 400 when the request carries an
  ``Authorization`` header (as a pre-signed URL refuses one). A Hub file named by a
  ``<revision>/<path>`` line of its repo folder's ``.cut`` is cut as ``/cut/`` cuts, the first time.
- ``GET /storage/v1/b/<bucket>/o/<object>?alt=media``  Google Cloud Storage's JSON API media
  download (with ``STORAGE_EMULATOR_HOST=127.0.0.1:PORT``), from ``ROOT/gcs/<bucket>/<object>``
  (the object name percent-decoded, ``/`` included), with Range: anonymous when the bucket folder
  holds ``.public``, else ``Authorization: Bearer`` of a token this server issued; refusals as
  Google's JSON errors (401 anonymous, 403 a token it did not issue, 404 ``No such object``).
  Logged as ``GCS <bucket>/<object> token=<issued kind>|none|unknown``.
- ``GET /storage/v1/b/<bucket>/o?prefix=P[&pageToken=T]``  the JSON API's object list, two per page
  (``nextPageToken``), names, sizes and an ETag from each file's mtime and size; authorized as
  objects are. Logged as ``GCS LIST <bucket> <prefix> -> <count> token=…``.
- ``POST /token``                   OAuth's token endpoint: ``grant_type`` JWT bearer (the RS256
  signature checked with ``openssl`` against ``ROOT/gcs/.service-account.pub``, and ``iss``,
  ``aud`` = this URL, the read-only storage scope, one hour) or ``refresh_token`` (the
  ``client_id``, ``client_secret`` and ``refresh_token`` of ``ROOT/gcs/.user.json``); answers
  ``access_token``, else 400 with OAuth's ``error`` and ``error_description``. Logged as
  ``TOKEN <grant> <iss or client_id>`` or ``TOKEN refused <why>``.
- ``GET /computeMetadata/v1/instance/service-accounts/default/token``  the metadata server's
  token (``GCE_METADATA_HOST=127.0.0.1:PORT``); 403 without ``Metadata-Flavor: Google``.
- anything else: 404.

Usage: ``fixture_http_server.py ROOT [CERT KEY]`` — binds 127.0.0.1 on a free port (HTTPS
with the PEM certificate CERT and its key KEY when given), prints the port number and a
newline on stdout, and logs each request to stderr as
``REQUEST <METHOD> <PATH> <RANGE>`` (``-`` without a Range header) and each cut as
``CUT <PATH> after <N> bytes`` (also for stalls). Stops on SIGTERM or SIGINT.
"""

import base64
import hashlib
import http.server
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

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
        match = re.match(r"^/storage/v1/b/([^/]+)/o/([^/]+)$", path)
        if match and self.path.endswith("?alt=media"):
            return self.gcs_object(match.group(1), urllib.parse.unquote(match.group(2)))
        match = re.match(r"^/storage/v1/b/([^/]+)/o$", path)
        if match:
            return self.gcs_list(match.group(1), urllib.parse.parse_qs(self.path.split("?", 1)[1] if "?" in self.path else ""))
        if path == "/computeMetadata/v1/instance/service-accounts/default/token":
            if self.headers.get("Metadata-Flavor") != "Google":
                return self.plain(403, "Missing Metadata-Flavor:Google header.\n")
            log("METADATA token")
            return self.json(200, {"access_token": issue("metadata"), "expires_in": 3599, "token_type": "Bearer"})
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
        match = re.match(r"^/hub/api/models/([^/]+)/([^/]+)/revision/([^/]+)$", path)
        if match:
            return self.hub(*match.groups(), None)
        match = re.match(r"^/hub/([^/]+)/([^/]+)/resolve/([^/]+)/(.+)$", path)
        if match:
            return self.hub(*match.groups())
        if path.startswith("/cdn/"):
            log(f"CDN {path} authorization={'yes' if self.headers.get('Authorization') else 'no'}")
            if self.headers.get("Authorization"):
                return self.plain(400, "a pre-signed URL takes no Authorization header\n")
            return self.serve_file(path[len("/cdn/"):], cut=self.hub_cut(path[len("/cdn/hub/"):]))
        match = re.match(r"^/redirect/(\d+)/(.+)$", path)
        if match:
            hops, relative = int(match.group(1)), match.group(2)
            location = f"/files/{relative}" if hops == 0 else f"/redirect/{hops - 1}/{relative}"
            return self.plain(302, "moved\n", {"Location": location})
        return self.plain(404, "not found\n")

    def hub(self, owner, repo, revision, relative):
        """The Hub's resolve endpoint for one file, or its model API when `relative` is None
        (see the module's docstring)."""
        authorization = self.headers.get("Authorization")
        what = f"API {owner}/{repo}@{revision}" if relative is None else f"{owner}/{repo}@{revision}/{relative}"
        log(f"HUB {what} authorization={'yes' if authorization else 'no'}")
        folder = os.path.join(ROOT, "hub", owner, repo)
        if os.path.isdir(folder):
            # A commit names its revision's folder.
            for name in os.listdir(folder):
                if hashlib.sha1(name.encode()).hexdigest() == revision:
                    revision = name

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
        if relative is None:
            top = os.path.join(folder, revision)
            override = os.path.join(folder, ".listing.json")
            if os.path.isfile(override):  # a Hub (or mirror) that lists what it likes
                with open(override) as file:
                    return self.json(200, json.load(file))
            files = sorted(os.path.relpath(os.path.join(d, f), top) for d, _, names in os.walk(top) for f in names)
            return self.json(200, {"id": f"{owner}/{repo}", "sha": hashlib.sha1(revision.encode()).hexdigest(),
                                   "siblings": [{"rfilename": f} for f in files]})
        if self.local_path(f"hub/{owner}/{repo}/{revision}/{relative}") is None:
            return refuse(404, "EntryNotFound", f"{relative} does not exist on \"{revision}\"")
        return self.plain(302, "found\n", {"Location": f"/cdn/hub/{owner}/{repo}/{revision}/{relative}"})

    def hub_cut(self, relative):
        """Whether to cut this CDN answer (``OWNER/REPO/REVISION/PATH``): the first request for a
        ``REVISION/PATH`` line of the repository's ``.cut`` file."""
        parts = relative.split("/", 2)
        marker = os.path.join(ROOT, "hub", *parts[:2], ".cut") if len(parts) == 3 else None
        if marker is None or not os.path.isfile(marker):
            return False
        with open(marker) as file:
            if parts[2] not in file.read().split():
                return False
        with CUT_LOCK:
            first = "cdn/" + relative not in CUT_DONE
            CUT_DONE.add("cdn/" + relative)
        return first

    def gcs_refuse(self, code, message):
        return self.json(code, {"error": {"code": code, "message": message, "errors": [{"message": message, "domain": "global"}]}})

    def gcs_allowed(self, bucket, what):
        """Whether the request may read `bucket` (after logging `what`); when not, the refusal is sent."""
        authorization = self.headers.get("Authorization", "")
        kind = TOKENS.get(authorization[len("Bearer "):]) if authorization.startswith("Bearer ") else None
        log(f"GCS {what} token={kind or ('unknown' if authorization else 'none')}")
        if os.path.isfile(os.path.join(ROOT, "gcs", bucket, ".public")) or kind:
            return True
        if authorization:
            self.gcs_refuse(403, "Invalid Credentials")
        else:
            self.gcs_refuse(401, "Anonymous caller does not have storage.objects.get access to the Google Cloud Storage object. "
                                 "Permission 'storage.objects.get' denied on resource (or it may not exist).")
        return False

    def gcs_object(self, bucket, name):
        if not self.gcs_allowed(bucket, f"{bucket}/{name}"):
            return
        if self.local_path(f"gcs/{bucket}/{name}") is None:
            return self.gcs_refuse(404, f"No such object: {bucket}/{name}")
        return self.serve_file(f"gcs/{bucket}/{name}")

    def gcs_list(self, bucket, query):
        """The JSON API's list: objects under `prefix`, two per page (pageToken: the last name of the page)."""
        prefix, after = query.get("prefix", [""])[0], query.get("pageToken", [""])[0]
        folder = os.path.join(ROOT, "gcs", bucket)
        names = sorted(os.path.relpath(os.path.join(top, name), folder) for top, _, files in os.walk(folder) for name in files)
        names = [n for n in names if n.startswith(prefix) and n > after and not os.path.basename(n).startswith(".")]
        page = names[:2]
        if not self.gcs_allowed(bucket, f"LIST {bucket} {prefix} -> {len(page)}"):
            return
        if not os.path.isdir(folder):
            return self.gcs_refuse(404, "The specified bucket does not exist.")
        items = []
        for name in page:
            info = os.stat(os.path.join(folder, name))
            items.append({"kind": "storage#object", "name": name, "bucket": bucket, "size": str(info.st_size),
                          "generation": str(info.st_mtime_ns), "etag": f"E{info.st_mtime_ns:x}{info.st_size:x}"})
        body = {"kind": "storage#objects", "items": items}
        if len(names) > 2:
            body["nextPageToken"] = page[-1]
        return self.json(200, body)

    def json(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        log(f"REQUEST POST {self.path} -")
        length = int(self.headers.get("Content-Length", "0"))
        form = {k: v[0] for k, v in urllib.parse.parse_qs(self.rfile.read(length).decode()).items()}
        if self.path != "/token":
            return self.plain(404, "not found\n")

        def refuse(error, why):
            log(f"TOKEN refused {why}")
            return self.json(400, {"error": error, "error_description": why})
        grant = form.get("grant_type")
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            why, issuer = check_assertion(form.get("assertion", ""), f"http://{self.headers.get('Host')}/token")
            if why:
                return refuse("invalid_grant", why)
            log(f"TOKEN jwt-bearer {issuer}")
            return self.json(200, {"access_token": issue("service_account"), "expires_in": 3599, "token_type": "Bearer"})
        if grant == "refresh_token":
            with open(os.path.join(ROOT, "gcs", ".user.json")) as file:
                user = json.load(file)
            if any(form.get(key) != user[key] for key in ("client_id", "client_secret", "refresh_token")):
                return refuse("invalid_grant", "Bad Request")
            log(f"TOKEN refresh_token {form['client_id']}")
            return self.json(200, {"access_token": issue("authorized_user"), "expires_in": 3599, "token_type": "Bearer"})
        return refuse("unsupported_grant_type", f"Invalid grant_type: {grant}")

    do_GET = do_HEAD = route


TOKENS = {}  # access token -> how it was issued


def issue(kind):
    with CUT_LOCK:
        token = f"ya29.{kind}.{len(TOKENS) + 1}"
        TOKENS[token] = kind
    return token


def unbase64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def check_assertion(assertion, audience):
    """Why a service account's JWT is refused (None when it is good), and its issuer."""
    parts = assertion.split(".")
    if len(parts) != 3:
        return "the assertion is not a JWT", None
    try:
        header, claims = json.loads(unbase64(parts[0])), json.loads(unbase64(parts[1]))
        signature = unbase64(parts[2])
    except ValueError:
        return "the assertion's parts are not base64url JSON", None
    if header.get("alg") != "RS256":
        return f"alg {header.get('alg')!r}, expected RS256", None
    with tempfile.TemporaryDirectory() as folder:
        with open(os.path.join(folder, "input"), "wb") as file:
            file.write(f"{parts[0]}.{parts[1]}".encode())
        with open(os.path.join(folder, "signature"), "wb") as file:
            file.write(signature)
        verified = subprocess.run(
            ["openssl", "dgst", "-sha256", "-verify", os.path.join(ROOT, "gcs", ".service-account.pub"),
             "-signature", os.path.join(folder, "signature"), os.path.join(folder, "input")], capture_output=True)
    if verified.returncode != 0:
        return "Invalid JWT Signature.", None
    now = time.time()
    if claims.get("aud") != audience:
        return f"aud {claims.get('aud')!r}, expected {audience!r}", None
    if "https://www.googleapis.com/auth/devstorage.read_only" not in claims.get("scope", "").split():
        return f"scope {claims.get('scope')!r} has no devstorage.read_only", None
    if not (abs(claims.get("iat", 0) - now) < 300 and claims.get("exp", 0) - claims.get("iat", 0) == 3600):
        return "iat must be now and exp an hour later", None
    return None, claims.get("iss")


if __name__ == "__main__":
    main(Handler, tls=tuple(sys.argv[2:4]) if len(sys.argv) >= 4 else None)
