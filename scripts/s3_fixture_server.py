#!/usr/bin/env python3
"""A loopback S3-compatible object server for the s3:// model fetch tests, whose signature check
is the AWS SDK's own: every signed request is signed again by botocore's ``S3SigV4Auth`` from the
headers the request says it signed, and must match.

Serves ``GET|HEAD /<bucket>/<key>`` (path-style addressing, as MinIO and custom endpoints are
addressed) from ``ROOT/<bucket>/<key>``, with ``Range`` as ``fixture_http_server.py`` serves
``/files/``. A request must carry ``Authorization: AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/
s3/aws4_request, SignedHeaders=…, Signature=…`` for the access key and region given, sign
``host``, ``x-amz-date`` and ``x-amz-content-sha256`` (and ``x-amz-security-token`` when the
server has a session token, whose value must match), be dated within 15 minutes, and match
botocore's signature; else 403 with S3's XML error (``SignatureDoesNotMatch``,
``InvalidAccessKeyId``, ``AccessDenied``, ``RequestTimeTooSkewed``, ``InvalidToken``). The
bucket ``public`` is also readable without a signature. A missing object is 404 ``NoSuchKey``;
the bucket ``elsewhere`` answers as a bucket of another region does: 301 ``PermanentRedirect``
with ``x-amz-bucket-region: eu-west-1`` and no ``Location``.

It also hands out those keys (and the session token) as the AWS credential endpoints do:

- ``POST /sts/`` — STS ``AssumeRoleWithWebIdentity`` (form-encoded, unsigned): for
  ``RoleArn=`` ROLE and ``WebIdentityToken=`` WEB_TOKEN, the query protocol's XML
  ``<Credentials>``; else 403 ``AccessDenied`` (logged ``STS <role> -> ok|AccessDenied``).
- ``GET /container/credentials`` — the ECS / EKS Pod Identity endpoint: for
  ``Authorization:`` CONTAINER_TOKEN, JSON ``AccessKeyId``, ``SecretAccessKey``, ``Token``,
  ``Expiration``; else 401 (logged ``CONTAINER -> ok|denied``).

- ``GET /<bucket>/?list-type=2&prefix=P[&continuation-token=T]`` — ListObjectsV2, signed as
  above: the files under ``ROOT/<bucket>`` whose keys start with P, in key order, two per page
  (``IsTruncated`` and ``NextContinuationToken`` to go on), each with its size and its MD5 as the
  ETag (logged ``S3 LIST <bucket> <prefix> -> <count>``).
- ``PUT /latest/api/token`` then ``GET /latest/meta-data/iam/security-credentials/[ROLE]``
  — EC2's instance metadata service, version 2: a session token for a request with
  ``X-aws-ec2-metadata-token-ttl-seconds``, then (with that token) the role's name
  ``ledge-node-role`` and its credentials as JSON; 401 without the token (logged
  ``IMDS <path> -> ok|denied``).

Usage: ``s3_fixture_server.py ROOT ACCESS_KEY SECRET [SESSION_TOKEN] [--region R]`` (default
region us-east-1) — prints the port on stdout; logs ``REQUEST <METHOD> <PATH> <RANGE>`` and
``S3 <METHOD> <PATH> signed=<SignedHeaders or -> -> <status or code>`` to stderr.
"""

import datetime
import hashlib
import json
import os
from xml.sax.saxutils import escape
import re
import sys
from urllib.parse import parse_qs, unquote

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import fixture_http_server
from faulty_registry import log, main

ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
REGION = sys.argv[sys.argv.index("--region") + 1] if "--region" in sys.argv else "us-east-1"
if "--region" in sys.argv:
    ARGS.remove(REGION)
ACCESS_KEY, SECRET = ARGS[1], ARGS[2]
TOKEN = ARGS[3] if len(ARGS) > 3 else None
ROLE = "arn:aws:iam::123456789012:role/ledge-models"
WEB_TOKEN = "eks-projected-service-account-token"
CONTAINER_TOKEN = "eks-pod-identity-token"
IMDS_TOKEN = "imds-session-token"
NODE_ROLE = "ledge-node-role"
AUTH = re.compile(r"^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/s3/aws4_request, "
                  r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$")


class Handler(fixture_http_server.Handler):
    server_version = "s3-fixture/1"

    def s3_error(self, status, code, message):
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
                f"<Resource>{self.path}</Resource></Error>").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def refusal(self, bucket):
        """None when the request may read `bucket`, else (status, code, message)."""
        auth = self.headers.get("Authorization")
        if auth is None:
            return None if bucket == "public" else (403, "AccessDenied", "Access Denied")
        match = AUTH.match(auth)
        if not match:
            return 400, "AuthorizationHeaderMalformed", "The authorization header is malformed"
        key, day, region, signed, signature = match.groups()
        if key != ACCESS_KEY:
            return 403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
        if region != REGION:
            return 400, "AuthorizationHeaderMalformed", f"the region '{region}' is wrong; expecting '{REGION}'"
        names = signed.split(";")
        required = {"host", "x-amz-date", "x-amz-content-sha256"} | ({"x-amz-security-token"} if TOKEN else set())
        if not required <= set(names) or any(self.headers.get(n) is None for n in names):
            return 403, "AccessDenied", f"signed headers {signed} lack one of {sorted(required)}"
        if TOKEN and self.headers.get("x-amz-security-token") != TOKEN:
            return 403, "InvalidToken", "The provided token is malformed or otherwise invalid."
        stamp = self.headers["x-amz-date"]
        when = datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        if abs((datetime.datetime.now(datetime.timezone.utc) - when).total_seconds()) > 900 or stamp[:8] != day:
            return 403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large."
        # botocore signs every header of the request it is given: give it the signed ones only.
        request = AWSRequest(method=self.command, url=f"http://{self.headers['host']}{self.path}",
                             headers={n: self.headers[n] for n in names})
        request.context["timestamp"] = stamp
        signer = S3SigV4Auth(Credentials(ACCESS_KEY, SECRET, TOKEN), "s3", REGION)
        expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
        if expected != signature:
            return 403, "SignatureDoesNotMatch", ("The request signature we calculated does not match the signature you provided. "
                                                  "Check your key and signing method.")
        return None

    def credentials_answer(self, status, content_type, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def sts(self):
        form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode())
        role = form.get("RoleArn", [""])[0]
        if form.get("Action") != ["AssumeRoleWithWebIdentity"] or role != ROLE or form.get("WebIdentityToken") != [WEB_TOKEN]:
            log(f"STS {role} -> AccessDenied")
            body = ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
                    "<Code>AccessDenied</Code><Message>Not authorized to perform sts:AssumeRoleWithWebIdentity</Message>"
                    "</Error><RequestId>1</RequestId></ErrorResponse>")
            return self.credentials_answer(403, "text/xml", body)
        log(f"STS {role} -> ok")
        expiration = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = ('<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
                "<AssumeRoleWithWebIdentityResult><SubjectFromWebIdentityToken>system:serviceaccount:ml:ledge"
                f"</SubjectFromWebIdentityToken><Credentials><AccessKeyId>{ACCESS_KEY}</AccessKeyId>"
                f"<SecretAccessKey>{SECRET}</SecretAccessKey><SessionToken>{TOKEN or ''}</SessionToken>"
                f"<Expiration>{expiration}</Expiration></Credentials><AssumedRoleUser><Arn>{ROLE}/ledge</Arn>"
                "<AssumedRoleId>AROA:ledge</AssumedRoleId></AssumedRoleUser></AssumeRoleWithWebIdentityResult>"
                "<ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>")
        return self.credentials_answer(200, "text/xml", body)

    def container(self):
        if self.headers.get("Authorization") != CONTAINER_TOKEN:
            log("CONTAINER -> denied")
            return self.credentials_answer(401, "application/json", '{"code": "AccessDenied", "message": "bad token"}')
        log("CONTAINER -> ok")
        expiration = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        answer = {"AccessKeyId": ACCESS_KEY, "SecretAccessKey": SECRET, "Token": TOKEN, "Expiration": expiration}
        return self.credentials_answer(200, "application/json", json.dumps(answer))

    def imds(self, path):
        if self.command == "PUT":
            ok = path == "/latest/api/token" and self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
            log(f"IMDS {path} -> {'ok' if ok else 'denied'}")
            return self.credentials_answer(200, "text/plain", IMDS_TOKEN) if ok else self.credentials_answer(400, "text/plain", "")
        if self.headers.get("X-aws-ec2-metadata-token") != IMDS_TOKEN:
            log(f"IMDS {path} -> denied")
            return self.credentials_answer(401, "text/plain", "")
        log(f"IMDS {path} -> ok")
        folder = "/latest/meta-data/iam/security-credentials/"
        if path == folder:
            return self.credentials_answer(200, "text/plain", NODE_ROLE)
        if path != folder + NODE_ROLE:
            return self.credentials_answer(404, "text/plain", "")
        expiration = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M:%SZ")
        answer = {"Code": "Success", "LastUpdated": expiration, "Type": "AWS-HMAC", "AccessKeyId": ACCESS_KEY,
                  "SecretAccessKey": SECRET, "Token": TOKEN, "Expiration": expiration}
        return self.credentials_answer(200, "application/json", json.dumps(answer))

    def list_objects(self, bucket, query, signed):
        refused = self.refusal(bucket)
        if refused:
            log(f"S3 LIST {bucket} -> {refused[1]}")
            return self.s3_error(*refused)
        prefix = query.get("prefix", [""])[0]
        after = query.get("continuation-token", [""])[0]
        top = os.path.join(fixture_http_server.ROOT, bucket)
        keys = sorted(os.path.relpath(os.path.join(d, f), top).replace(os.sep, "/")
                      for d, _, files in os.walk(top) for f in files)
        keys = [k for k in keys if k.startswith(prefix) and k > after]
        page, more = keys[:2], len(keys) > 2
        entries = []
        for key in page:
            with open(os.path.join(top, key), "rb") as f:
                data = f.read()
            entries.append(f"<Contents><Key>{escape(key)}</Key><LastModified>2026-12-06T00:00:00.000Z</LastModified>"
                           f"<ETag>&quot;{hashlib.md5(data).hexdigest()}&quot;</ETag><Size>{len(data)}</Size>"
                           "<StorageClass>STANDARD</StorageClass></Contents>")
        tail = f"<NextContinuationToken>{escape(page[-1])}</NextContinuationToken>" if more else ""
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                f"<Name>{bucket}</Name><Prefix>{escape(prefix)}</Prefix><KeyCount>{len(page)}</KeyCount><MaxKeys>2</MaxKeys>"
                f"<IsTruncated>{'true' if more else 'false'}</IsTruncated>{''.join(entries)}{tail}</ListBucketResult>")
        log(f"S3 LIST {bucket} {prefix} signed={signed} -> {len(page)}")
        return self.credentials_answer(200, "application/xml", body)

    def route(self):
        log(f"REQUEST {self.command} {self.path} {self.headers.get('Range', '-')}")
        path = self.path.split("?", 1)[0]
        if path.startswith("/latest/"):
            return self.imds(path)
        if path == "/sts/" and self.command == "POST":
            return self.sts()
        if path == "/container/credentials" and self.command == "GET":
            return self.container()
        parts = path.lstrip("/").split("/", 1)
        match = AUTH.match(self.headers.get("Authorization", ""))
        signed = match.group(4) if match else "-"
        query = parse_qs(self.path.split("?", 1)[1]) if "?" in self.path else {}
        if query.get("list-type") == ["2"] and (len(parts) == 1 or not parts[1]):
            return self.list_objects(parts[0], query, signed)
        if len(parts) != 2 or not parts[1]:
            log(f"S3 {self.command} {path} signed={signed} -> InvalidRequest")
            return self.s3_error(400, "InvalidRequest", "expected /BUCKET/KEY")
        if parts[0] == "elsewhere":  # a bucket of another region: S3's 301 without a Location
            log(f"S3 {self.command} {path} signed={signed} -> PermanentRedirect")
            self.send_response(301)
            self.send_header("x-amz-bucket-region", "eu-west-1")
            body = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PermanentRedirect</Code><Message>The bucket you are '
                    b"attempting to access must be addressed using the specified endpoint.</Message></Error>")
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return None if self.command == "HEAD" else self.wfile.write(body)
        refused = self.refusal(parts[0])
        if refused:
            log(f"S3 {self.command} {path} signed={signed} -> {refused[1]}")
            return self.s3_error(*refused)
        relative = unquote(path.lstrip("/"))
        if self.local_path(relative) is None:
            log(f"S3 {self.command} {path} signed={signed} -> NoSuchKey")
            return self.s3_error(404, "NoSuchKey", "The specified key does not exist.")
        log(f"S3 {self.command} {path} signed={signed} -> 200")
        return self.serve_file(relative)

    do_GET = do_HEAD = do_POST = do_PUT = route


if __name__ == "__main__":
    main(Handler)
