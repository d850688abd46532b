"""HTTPS and bearer-token checks against a live `ledge serve --tls-cert … --tls-key …` (one line per check).

Python's own ssl module is the client: it verifies the server's certificate against --ca (hostname
included), so a passing run shows the chain and the subjectAltName are right. Serving the fixture
model add.onnx (inputs a and b, FP32 [-1, 4]) is assumed for the inference check.

    check_tls.py --url https://127.0.0.1:PORT --ca ca.pem [--token TOKEN]
"""

import argparse
import http.client
import json
import ssl
import sys
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--token")
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
    except CheckFailed as failure:
        print(f"FAILED: {failure}", file=sys.stderr)
        return 1
    print("all tls checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
