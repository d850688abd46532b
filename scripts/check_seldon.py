#!/usr/bin/env python3
"""Check a running `ledge serve` with Seldon Core's own Python client (seldon_core.seldon_client.SeldonClient).

Usage: $LEDGE_HOME/venv-seldon/bin/python scripts/check_seldon.py \
           --microservice 127.0.0.1:8001 --gateway 127.0.0.1:8000 --fixtures $LEDGE_HOME/fixtures

Runs in its own venv (scripts/requirements-seldon.txt; seldon-core 1.18 needs numpy<2 and
protobuf<4, the main venv has newer ones). Two servers:
  --microservice  serves mobilenet_gen.onnx alone, under any name: Seldon's microservice
                  endpoints (/predict, /health/ping, /health/status) answer for the one model.
  --gateway       serves efficientnet_lite0.tflite as `efficientnet`, mobilenet_gen.onnx as
                  `gen` and add.onnx as `add` (e.g. a repository folder of three model folders): SeldonClient with gateway="ambassador" posts to
                  /seldon/NAMESPACE/MODEL/api/v1.0/predictions, the deployment name being the model.

Checks, each through the client (the health calls through `requests`, which the client uses):
  microservice: /health/ping and /health/status; SeldonClient.microservice(method="predict")
    (a form field json=...) with an ndarray (the reference batch of 1) and a tensor (batch of
    4), compared with onnxruntime's outputs in FIXTURES/reference/manifest.json (cases
    onnx_gen_b1, onnx_gen_b4) within 1e-5, names t:0..t:999; a wrong shape answered with
    Seldon's status (400, MICROSERVICE_BAD_DATA).
  gateway: predict(bin_data=chelsea.jpg) on efficientnet -> "Egyptian cat" first;
    predict(data=..., payload_type="tensor", meta=...) on gen with the tags echoed;
    predict(json_data={"a": {"ndarray": ...}, "b": {...}}) on add -> exactly a + b;
    gateway="seldon" (the bare /api/v1.0/predictions) refused with the served models named.

Prints one line per check ("ok: ..."). A failed check prints "FAIL: <check>: <why>" to stderr
and ends its step; the other steps still run, and the exit status is 1 when any check failed.
Every request has a timeout (--timeout, the socket default the client's requests inherit).
"""
import argparse
import json
import os
import socket
import sys

import numpy as np
import requests
from google.protobuf import json_format
from seldon_core.seldon_client import SeldonClient

from check_common import CheckFailed, expect, ok

TOLERANCE = 1e-5


def reference(fixtures, case):
    folder = os.path.join(fixtures, "reference")
    with open(os.path.join(folder, "manifest.json")) as f:
        entry = json.load(f)["cases"][case]

    def load(t):
        dtype = np.dtype(t["dtype"])
        return np.fromfile(os.path.join(folder, t["file"]), dtype=dtype.newbyteorder("<")).astype(dtype).reshape(t["shape"])

    return load(entry["inputs"][0]), load(entry["outputs"][0])


def as_dict(response):
    """A client response (proto or dict) as a dict."""
    if response is None or isinstance(response, dict):
        return response
    return json_format.MessageToDict(response)


def close(what, got, want):
    expect(got.shape == want.shape, f"{what} shape", f"expected {list(want.shape)}, got {list(got.shape)}")
    worst = float(np.abs(got - want).max())
    expect(worst <= TOLERANCE, what, f"differs from onnxruntime by {worst:g} (allowed {TOLERANCE:g})")
    return worst


class Checker:
    def __init__(self, microservice, gateway, fixtures):
        self.microservice, self.gateway, self.fixtures = microservice, gateway, fixtures

    def health(self):
        ping = requests.get(f"http://{self.microservice}/health/ping")
        expect(ping.status_code == 200 and ping.text == "pong", "/health/ping", f"got {ping.status_code} {ping.text!r}")
        status = requests.get(f"http://{self.microservice}/health/status").json()
        expect(status == {"meta": {}, "strData": "healthy"}, "/health/status", f"got {status!r}")
        ok("health: /health/ping pong, /health/status healthy")

    def microservice_predict(self):
        client = SeldonClient(microservice_endpoint=self.microservice)
        for case, payload_type in (("onnx_gen_b1", "ndarray"), ("onnx_gen_b4", "tensor")):
            x, want = reference(self.fixtures, case)
            what = f"microservice predict ({payload_type}, batch {x.shape[0]})"
            result = client.microservice(method="predict", data=x, payload_type=payload_type)
            expect(result.success, what, f"not a success: {result.msg!r} {as_dict(result.response)!r}")
            data = as_dict(result.response)["data"]
            if payload_type == "ndarray":
                got = np.array(data["ndarray"], dtype=np.float32)
            else:
                got = np.array(data["tensor"]["values"], dtype=np.float32).reshape(data["tensor"]["shape"])
            worst = close(what, got, want)
            names = data.get("names", [])
            expect(names == [f"t:{i}" for i in range(want.shape[1])], f"{what} names", f"got {names[:3]}... ({len(names)})")
            ok(f"{what}: {payload_type} [{', '.join(map(str, got.shape))}] within {worst:g} of onnxruntime, names t:0..t:{len(names) - 1}")

    def microservice_error(self):
        client = SeldonClient(microservice_endpoint=self.microservice)
        result = client.microservice(method="predict", data=np.zeros((1, 3, 2, 2), dtype=np.float32), payload_type="ndarray")
        status = (as_dict(result.response) or {}).get("status", {})
        expect(not result.success and result.msg.lower() == "bad request", "microservice wrong shape",
               f"expected a 400, got {result.msg!r}")
        expect(status.get("reason") == "MICROSERVICE_BAD_DATA" and status.get("status") == "FAILURE" and status.get("code") == -1,
               "microservice wrong shape status", f"got {status!r}")
        expect("does not match input" in status.get("info", ""), "microservice wrong shape info", f"got {status.get('info')!r}")
        ok(f"microservice wrong shape: 400 {status['reason']}: {status['info']}")

    def gateway_client(self, **kwargs):
        return SeldonClient(gateway="ambassador", transport="rest", gateway_endpoint=self.gateway, namespace="default",
                            client_return_type="dict", **kwargs)

    def gateway_bin_data(self):
        with open(os.path.join(self.fixtures, "images", "chelsea.jpg"), "rb") as f:
            image = f.read()
        result = self.gateway_client().predict(deployment_name="efficientnet", bin_data=image)
        what = "gateway predict(efficientnet, bin_data chelsea.jpg)"
        expect(result.success, what, f"not a success: {result.msg!r} {result.response!r}")
        data = result.response["data"]
        names, scores = data["names"], data["ndarray"][0]
        expect(len(names) == 5 and len(scores) == 5, f"{what} top 5", f"got {names!r} {scores!r}")
        expect(names[0] == "Egyptian cat", f"{what} top", f"expected 'Egyptian cat', got {names[0]!r}")
        expect(scores == sorted(scores, reverse=True), f"{what} order", f"scores not best first: {scores!r}")
        ok(f"{what}: top {names[0]!r} {scores[0]:.3f}")

    def gateway_tensor(self):
        x, want = reference(self.fixtures, "onnx_gen_b1")
        result = self.gateway_client().predict(deployment_name="gen", data=x, payload_type="tensor", meta={"trace": "seldon-check"})
        what = "gateway predict(gen, tensor)"
        expect(result.success, what, f"not a success: {result.msg!r} {result.response!r}")
        tensor = result.response["data"]["tensor"]
        worst = close(what, np.array(tensor["values"], dtype=np.float32).reshape(tensor["shape"]), want)
        meta = result.response["meta"]
        expect(meta.get("tags") == {"trace": "seldon-check"}, f"{what} tags", f"expected the tags echoed, got {meta!r}")
        expect(list(meta.get("requestPath", {})) == ["gen"], f"{what} requestPath", f"got {meta!r}")
        ok(f"{what}: within {worst:g} of onnxruntime, tags echoed, requestPath {meta['requestPath']}")

    def gateway_json_data(self):
        a = np.arange(8, dtype=np.float32).reshape(2, 4)
        b = np.full((2, 4), 0.5, dtype=np.float32)
        payload = {"a": {"ndarray": a.tolist()}, "b": {"tensor": {"shape": [2, 4], "values": b.ravel().tolist()}}}
        result = self.gateway_client().predict(deployment_name="add", json_data=payload)
        what = "gateway predict(add, json_data a and b)"
        expect(result.success, what, f"not a success: {result.msg!r} {result.response!r}")
        out = result.response["jsonData"]["sum"]
        got = np.array(out["ndarray"], dtype=np.float32)
        expect(np.array_equal(got, a + b), what, f"expected exactly a + b, got {got.tolist()}")
        ok(f"{what}: sum {list(got.shape)} exactly a + b")

    def bare_path_refused(self):
        result = SeldonClient(gateway="seldon", transport="rest", gateway_endpoint=self.gateway,
                              client_return_type="dict").predict(data=np.zeros((1, 4), dtype=np.float32))
        what = "gateway=seldon predict (bare /api/v1.0/predictions, 3 models)"
        info = (result.response or {}).get("status", {}).get("info", "")
        expect(not result.success and result.msg.startswith("400:"), what, f"expected a 400, got {result.msg!r}")
        expect("efficientnet" in info and "gen" in info and "add" in info, f"{what} info", f"got {info!r}")
        ok(f"{what}: {result.msg}: {info}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--microservice", required=True, help="host:port of a server serving mobilenet_gen.onnx alone")
    parser.add_argument("--gateway", required=True, help="host:port of a server serving efficientnet, gen and add")
    parser.add_argument("--fixtures", default=os.path.join(os.environ.get("LEDGE_HOME", ".ledge"), "fixtures"),
                        help="the fixtures folder with images/ and reference/manifest.json (default $LEDGE_HOME/fixtures)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds allowed for each socket operation (default 60)")
    args = parser.parse_args()
    socket.setdefaulttimeout(args.timeout)  # requests leaves its timeout to the socket default
    os.environ["NO_PROXY"] = "*"  # loopback only: no HTTP(S)_PROXY from the environment
    checker = Checker(args.microservice, args.gateway, args.fixtures)
    steps = [checker.health, checker.microservice_predict, checker.microservice_error, checker.gateway_bin_data,
             checker.gateway_tensor, checker.gateway_json_data, checker.bare_path_refused]
    failed = 0
    for step in steps:
        try:
            step()
        except CheckFailed as e:
            print(f"FAIL: {e}", file=sys.stderr, flush=True)
            failed += 1
        except Exception as e:  # a client or connection error fails the step in progress, on one line
            print(f"FAIL: {step.__name__}: {type(e).__name__}: {e}".replace("\n", " "), file=sys.stderr, flush=True)
            failed += 1
    if failed:
        print(f"{failed} seldon check step(s) failed", file=sys.stderr)
        return 1
    print("all seldon checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
