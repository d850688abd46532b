#!/usr/bin/env python3
"""A loopback registry behind a bearer-token service, for the push client's token flow.

A working, in-memory OCI distribution API (blobs checked against their digest,
manifests kept by digest and tag) that accepts only ``Authorization: Bearer``
tokens, which its own ``/token`` endpoint hands out for HTTP basic credentials,
the way Docker Hub, GHCR and Harbor do:

- any ``/v2/...`` request without a valid token: 401 with
  ``WWW-Authenticate: Bearer realm="http://127.0.0.1:PORT/token",service="ledge-test",scope="..."``
- ``GET /token?service=ledge-test&scope=repository:NAME:pull,push`` with the right
  basic credentials: 200 ``{"token": "..."}`` (logged ``TOKEN <user> <scope>``);
  wrong or missing credentials: 401.
- ``HEAD /v2/<name>/blobs/<digest>``: 200 if stored, else 404
- ``POST /v2/<name>/blobs/uploads/``: 202 with a relative ``Location``;
  ``PUT`` there with ``?digest=``: 201 when the body has that digest, else 400
- ``PUT /v2/<name>/manifests/<ref>``: 201 (logged ``MANIFEST-PUT <target>``);
  ``GET``/``HEAD`` answers what was stored.

With ``--busy`` the first token request, blob HEAD, blob upload PUT and manifest PUT
are each answered "later" once, with ``Retry-After: 0``: 429 ``TOOMANYREQUESTS`` for the
token and the manifest, 503 ``UNAVAILABLE`` for the blob requests (logged ``BUSY <method> <path>``).

Usage: ``token_registry.py USER:PASSWORD [--busy]`` — prints the port on stdout, logs to stderr.
"""

import base64
import hashlib
import secrets
import sys
import threading
import urllib.parse
import uuid

from faulty_registry import BLOB, MANIFEST, UPLOAD, UPLOAD_START, Handler, log, main

CREDENTIALS = sys.argv[1] if len(sys.argv) > 1 else "ledge:s3cret-pass"
BUSY = {"token", "head", "upload", "manifest"} if "--busy" in sys.argv[2:] else set()
TOKENS = set()
BLOBS = {}
MANIFESTS = {}
LOCK = threading.Lock()


class TokenHandler(Handler):
    server_version = "token-registry/1"

    def challenge(self):
        port = self.server.server_address[1]
        realm = f'Bearer realm="http://127.0.0.1:{port}/token",service="ledge-test"'
        self.read_body()
        self.send_json(401, {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]},
                       headers={"WWW-Authenticate": realm})

    def token(self):
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        auth = self.headers.get("Authorization", "")
        given = base64.b64decode(auth[6:]).decode() if auth.startswith("Basic ") else ""
        if given != CREDENTIALS or query.get("service") != ["ledge-test"]:
            return self.send_json(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]})
        token = secrets.token_hex(16)
        with LOCK:
            TOKENS.add(token)
        log(f"TOKEN {given.split(':')[0]} {query.get('scope', [''])[0]}")
        return self.send_json(200, {"token": token, "expires_in": 300})

    def busy(self, kind):
        """True (the request answered 429 or 503) the first time a request of `kind` comes with --busy."""
        with LOCK:
            if kind not in BUSY:
                return False
            BUSY.discard(kind)
        self.read_body()
        log(f"BUSY {self.command} {self.path_only()}")
        status, code = (429, "TOOMANYREQUESTS") if kind in ("token", "manifest") else (503, "UNAVAILABLE")
        self.error(status, code, "try again later", headers={"Retry-After": "0"})
        return True

    def route(self):
        log(f"REQUEST {self.command} {self.path}")
        path = self.path_only()
        if path == "/token" and self.command == "GET":
            return None if self.busy("token") else self.token()
        auth = self.headers.get("Authorization", "")
        with LOCK:
            valid = auth.startswith("Bearer ") and auth[7:] in TOKENS
        if not valid:
            return self.challenge()
        if path in ("/v2", "/v2/"):
            return self.send_json(200, {})
        blob = BLOB.match(path)
        if blob and self.command == "HEAD" and self.busy("head"):
            return None
        if UPLOAD.match(path) and self.command == "PUT" and self.busy("upload"):
            return None
        if MANIFEST.match(path) and self.command == "PUT" and self.busy("manifest"):
            return None
        if blob and self.command in ("GET", "HEAD"):
            with LOCK:
                known = blob.group(2) in BLOBS
            return self.send_json(200, {}) if known else self.error(404, "BLOB_UNKNOWN", "blob unknown")
        start = UPLOAD_START.match(path)
        if start and self.command == "POST":
            self.read_body()
            location = f"/v2/{start.group(1)}/blobs/uploads/{uuid.uuid4()}"
            return self.send_json(202, {}, headers={"Location": location, "Range": "0-0"})
        if UPLOAD.match(path) and self.command == "PUT":
            digest = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).get("digest", [""])[0]
            data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if "sha256:" + hashlib.sha256(data).hexdigest() != digest:
                return self.error(400, "DIGEST_INVALID", "digest does not match")
            with LOCK:
                BLOBS[digest] = data
            return self.send_json(201, {}, headers={"Docker-Content-Digest": digest})
        manifest = MANIFEST.match(path)
        if manifest and self.command == "PUT":
            data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            digest = "sha256:" + hashlib.sha256(data).hexdigest()
            with LOCK:
                MANIFESTS[(manifest.group(1), manifest.group(2))] = data
                MANIFESTS[(manifest.group(1), digest)] = data
            log(f"MANIFEST-PUT {self.path}")
            return self.send_json(201, {}, headers={"Docker-Content-Digest": digest})
        if manifest and self.command in ("GET", "HEAD"):
            with LOCK:
                data = MANIFESTS.get((manifest.group(1), manifest.group(2)))
            if data is None:
                return self.error(404, "MANIFEST_UNKNOWN", "manifest unknown")
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command == "GET":
                self.wfile.write(data)
            return None
        self.read_body()
        return self.error(404, "UNSUPPORTED", "not supported by the token registry")

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = route


if __name__ == "__main__":
    main(TokenHandler)
