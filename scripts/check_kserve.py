#!/usr/bin/env python3
"""Check a running `ledge serve` with KServe's own Python client (kserve.InferenceRESTClient).

Usage: $LEDGE_HOME/venv-kserve/bin/python scripts/check_kserve.py --url http://127.0.0.1:8000 \
           --fixtures $LEDGE_HOME/fixtures --model efficientnet_lite0:efficientnet --model add:add

Runs in its own venv (scripts/requirements-kserve.txt; kserve needs protobuf<7, the main
venv has 7.x). Each --model NAME:KIND names a served model and what it is:
  efficientnet  efficientnet_lite0.tflite: `images` UINT8 [1,224,224,3] -> `Softmax` UINT8 [1,1000]
  add           add.onnx: `a`, `b` FP32 [N,4] -> `sum` = a + b
e.g. with both in one server:
  ledge serve --model $LEDGE_HOME/fixtures/models/efficientnet_lite0.tflite --name efficientnet_lite0 \
      --model $LEDGE_HOME/fixtures/models/add.onnx --name add --port 8000

Everything goes through kserve's async REST client with RESTConfig(protocol="v2"):
is_server_live, is_server_ready, is_model_ready, and infer with JSON tensors and with
binary tensors (InferInput.set_data_from_numpy(binary_data=True), outputs requested with
binary_data, so both directions use the Inference-Header-Content-Length extension).
kserve's client has no model metadata call, so GET /v2/models/NAME goes through the
client's own httpx session and error handling.

Then KServe's v1 protocol with the same client (RESTConfig(protocol="v1")): is_model_ready, predict of
each model's rows ({"instances": …}) and TF Serving's columns ({"inputs": …}, which the client
sends as it is), an image file as {"b64": …} against the same photo resized by Pillow and sent as
numbers, and the refusals (explain: 501, as KServe's model server without an explainer).

With --grpc-target HOST:PORT, KServe's V2 over gRPC (a ServingRuntime's grpc-v2) with kserve's own
InferenceGRPCClient: readiness, each model's infer with raw and with typed contents, and an
unknown model's NOT_FOUND with the server's text.

Outputs are compared with the reference outputs in FIXTURES/reference/manifest.json
(scripts/make_references.py): efficientnet with the fixed input of the case
`tflite_fixed` (LiteRT, within 1 quantization step), add with the inputs of the case
`add_b2` (exactly a + b, and equal to onnxruntime's output).

Prints one line per check ("ok: ..."). A failed check prints "FAIL: <check>: <why>" to
stderr and ends its step; the other steps still run, and the exit status is 1 when any
check failed. Every request has a timeout (--timeout), so the script never hangs.
"""
import argparse
import asyncio
import json
import os
import sys

import httpx
import numpy as np
from kserve import InferenceRESTClient, RESTConfig
from kserve.protocol.infer_type import InferInput, InferRequest, RequestedOutput

HEADER_LENGTH = "inference-header-content-length"
UNKNOWN = "no_such_model"


from check_common import CheckFailed, expect, ok


class Kind:
    """What a served model is: its metadata, reference inputs and how to judge its output."""

    def __init__(self, platform, inputs, outputs):
        self.platform, self.inputs, self.outputs = platform, inputs, outputs


KINDS = {
    "efficientnet": Kind("tflite", [("images", "UINT8", [1, 224, 224, 3])], [("Softmax", "UINT8", [1, 1000])]),
    "add": Kind("onnxruntime_onnx", [("a", "FP32", [-1, 4]), ("b", "FP32", [-1, 4])], [("sum", "FP32", [-1, 4])]),
}


class References:
    """Reference tensors from FIXTURES/reference/manifest.json."""

    def __init__(self, fixtures):
        self.dir = os.path.join(fixtures, "reference")
        with open(os.path.join(self.dir, "manifest.json")) as f:
            self.cases = json.load(f)["cases"]

    def case(self, case):
        def load(role):
            return {t["name"]: np.fromfile(os.path.join(self.dir, t["file"]),
                                           dtype=np.dtype(t["dtype"]).newbyteorder("<"))
                    .astype(np.dtype(t["dtype"])).reshape(t["shape"]) for t in self.cases[case][role]}
        return load("inputs"), load("outputs")


class Checker:
    def __init__(self, url, timeout):
        self.url = url
        self.timeout = timeout
        # An explicit transport: RESTConfig builds one from `retries` but never uses it, and
        # with none httpx would send loopback requests through any HTTP(S)_PROXY in the environment.
        self.client = InferenceRESTClient(RESTConfig(protocol="v2", timeout=timeout,
                                                     transport=httpx.AsyncHTTPTransport(retries=0)))

    async def call(self, coroutine):
        # httpx's timeout is per phase (connect, read, ...); this bounds the whole call.
        return await asyncio.wait_for(coroutine, self.timeout + 5)

    async def server_live(self):
        live = await self.call(self.client.is_server_live(self.url))
        expect(live is True, "is_server_live", f"expected True, got {live!r} (kserve reads the 'live' field of GET /v2/health/live)")
        ok("is_server_live: True")

    async def server_ready(self):
        ready = await self.call(self.client.is_server_ready(self.url))
        expect(ready is True, "is_server_ready", f"expected True, got {ready!r} (kserve reads the 'ready' field of GET /v2/health/ready)")
        ok("is_server_ready: True")

    async def model_metadata(self, name, kind):
        ready = await self.call(self.client.is_model_ready(self.url, name))
        expect(ready is True, f"is_model_ready({name})", f"expected True, got {ready!r}")
        ok(f"is_model_ready({name}): True")
        # kserve has no metadata call: the same httpx session, URL building and error handling.
        client = self.client
        response = await self.call(client._client.get(client._construct_url(self.url, f"v2/models/{name}")))
        if not response.is_success:
            raise client._construct_http_status_error(response)
        meta = response.json()
        expect(meta.get("name") == name, f"model metadata({name}) name", f"got {meta.get('name')!r}")
        expect(meta.get("platform") == kind.platform, f"model metadata({name}) platform",
               f"expected {kind.platform!r}, got {meta.get('platform')!r}")
        for role, want in (("inputs", kind.inputs), ("outputs", kind.outputs)):
            got = [(t.get("name"), t.get("datatype"), t.get("shape")) for t in meta.get(role, [])]
            expect(got == want, f"model metadata({name}) {role}", f"expected {want}, got {got}")
        ok(f"model metadata({name}): platform {kind.platform}, inputs {kind.inputs}, outputs {kind.outputs}")

    async def infer(self, model, inputs, output_name, binary, request_id):
        """Infer through kserve with `inputs` ({name: array}); returns (label, output array)."""
        tensors = []
        for name, x in inputs.items():
            tensor = InferInput(name, list(x.shape), {np.uint8: "UINT8", np.float32: "FP32"}[x.dtype.type])
            tensor.set_data_from_numpy(x, binary_data=binary)
            tensors.append(tensor)
        request = InferRequest(model, tensors, request_id=request_id,
                               request_outputs=[RequestedOutput(output_name, {"binary_data": binary})])
        headers = {}
        result = await self.call(self.client.infer(self.url, request, model_name=model, response_headers=headers))
        what = f"infer({model}, {'binary' if binary else 'JSON'})"
        expect(result.id == request_id, f"{what} id", f"expected {request_id!r} echoed, got {result.id!r}")
        expect(result.model_name == model, f"{what} model_name", f"expected {model!r}, got {result.model_name!r}")
        names = [o.name for o in result.outputs]
        expect(names == [output_name], f"{what} outputs", f"expected only {output_name!r}, got {names}")
        # kserve turns binary outputs into JSON lists while parsing, so the wire format shows
        # only in the response headers.
        header = {k.lower(): v for k, v in headers.items()}.get(HEADER_LENGTH)
        content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
        if binary:
            expect(header is not None and content_type.startswith("application/octet-stream"),
                   f"{what} response encoding",
                   f"expected binary data ({HEADER_LENGTH}, application/octet-stream), got {content_type!r}, header {header!r}")
        else:
            expect(header is None and content_type.startswith("application/json"), f"{what} response encoding",
                   f"expected JSON, got {content_type!r}, {HEADER_LENGTH} {header!r}")
        y = result.get_output_by_name(output_name).as_numpy()
        return what, y

    async def efficientnet(self, name, refs):
        inputs, outputs = refs.case("tflite_fixed")
        want = outputs["Softmax"]
        for binary in (False, True):
            what, y = await self.infer(name, inputs, "Softmax", binary, f"kserve-efficientnet-{int(binary)}")
            expect(y.dtype == np.uint8 and list(y.shape) == [1, 1000], f"{what} Softmax",
                   f"expected UINT8 [1, 1000], got {y.dtype} {list(y.shape)}")
            worst = int(np.abs(y.astype(np.int32) - want.astype(np.int32)).max())
            expect(worst <= 1, f"{what} Softmax", f"differs from LiteRT by {worst} quantization steps (allowed 1)")
            ok(f"{what}: UINT8 [1, 1000], id echoed, within {worst} step(s) of LiteRT, top-1 {int(y[0].argmax())}")

    async def add(self, name, refs):
        inputs, outputs = refs.case("add_b2")
        want = inputs["a"] + inputs["b"]
        expect(np.array_equal(want, outputs["sum"]), "add reference", "a + b differs from onnxruntime's sum")
        for binary in (False, True):
            what, y = await self.infer(name, inputs, "sum", binary, f"kserve-add-{int(binary)}")
            expect(y.dtype == np.float32 and y.shape == want.shape, f"{what} sum",
                   f"expected FP32 {list(want.shape)}, got {y.dtype} {list(y.shape)}")
            expect(np.array_equal(y, want), f"{what} sum", f"expected exactly a + b, max abs difference {float(np.abs(y - want).max()):g}")
            ok(f"{what}: FP32 {list(y.shape)}, id echoed, exactly a + b")

    async def v1(self, models, refs, fixtures):
        """KServe's v1 protocol (TF Serving's rows and columns) with the same client, RESTConfig(protocol="v1")."""
        import base64
        from PIL import Image
        client = InferenceRESTClient(RESTConfig(protocol="v1", timeout=self.timeout, transport=httpx.AsyncHTTPTransport(retries=0)))
        try:
            for name, kind in models:
                ready = await self.call(client.is_model_ready(self.url, name))
                expect(ready is True, f"v1 is_model_ready({name})", f"expected True, got {ready!r}")
                if kind == "add":
                    inputs, _ = refs.case("add_b2")
                    instances = [{"a": a.tolist(), "b": b.tolist()} for a, b in zip(inputs["a"], inputs["b"])]
                    answer = await self.call(client.infer(self.url, {"instances": instances}, model_name=name))
                    got = np.array(answer["predictions"], dtype=np.float32)
                    expect(np.array_equal(got, inputs["a"] + inputs["b"]), f"v1 predict({name})", f"got {answer}")
                    # TF Serving's columnar form through the same client (it sends the dict as it is).
                    columns = {"signature_name": "serving_default", "inputs": {"a": inputs["a"].tolist(), "b": inputs["b"].tolist()}}
                    answer = await self.call(client.infer(self.url, columns, model_name=name))
                    got = np.array(answer["outputs"], dtype=np.float32)
                    expect(np.array_equal(got, inputs["a"] + inputs["b"]), f"v1 predict({name}) inputs", f"got {answer}")
                    ok(f"v1 predict({name}): {len(instances)} instances of {{'a', 'b'}}, predictions exactly a + b; "
                       f"the same as columns ('inputs'), outputs exactly a + b")
                else:
                    inputs, outputs = refs.case("tflite_fixed")
                    answer = await self.call(client.infer(self.url, {"instances": [inputs["images"][0].tolist()]}, model_name=name))
                    got = np.array(answer["predictions"], dtype=np.int32)
                    worst = int(np.abs(got - outputs["Softmax"].astype(np.int32)).max())
                    expect(got.shape == (1, 1000) and worst <= 1, f"v1 predict({name})", f"shape {got.shape}, {worst} steps from LiteRT")
                    # A file as TF Serving sends binary values, against the same photo resized by Pillow and sent as numbers.
                    path = os.path.join(fixtures, "images", "chelsea.png")
                    pixels = np.asarray(Image.open(path).convert("RGB").resize((224, 224), Image.BILINEAR), dtype=np.uint8)
                    encoded = {"b64": base64.b64encode(open(path, "rb").read()).decode()}
                    both = await self.call(client.infer(self.url, {"instances": [encoded, pixels.tolist()]}, model_name=name))
                    rows = both["predictions"]
                    expect(len(rows) == 2 and rows[0] == rows[1], f"v1 predict({name}) b64", "the file's row differs from Pillow's")
                    column = await self.call(client.infer(self.url, {"inputs": [encoded, encoded]}, model_name=name))
                    expect(column["outputs"] == [rows[0], rows[0]], f"v1 predict({name}) inputs b64", "the column's rows differ")
                    ok(f"v1 predict({name}): numbers within {worst} step(s) of LiteRT; a PNG as {{'b64': …}} gives the row of "
                       f"Pillow's 224x224 tensor, top-1 {int(np.argmax(rows[0]))}, as does a column of two")
            try:
                await self.call(client.is_model_ready(self.url, UNKNOWN))
                raise CheckFailed(f"v1 is_model_ready({UNKNOWN}): no error raised")
            except httpx.HTTPStatusError as e:
                expect(e.response.status_code == 404 and f"unknown model '{UNKNOWN}'" in str(e), f"v1 is_model_ready({UNKNOWN})", str(e))
            try:
                await self.call(client.infer(self.url, {"signature_name": "predict", "inputs": [[1, 2, 3, 4]]}, model_name=models[0][0]))
                raise CheckFailed("v1 predict with signature 'predict': no error raised")
            except httpx.HTTPStatusError as e:
                expect(e.response.status_code == 400 and e.response.json() == {"error": "field 'signature_name' is 'predict': model "
                       f"'{models[0][0]}' is served under one signature, 'serving_default'"}, "v1 signature_name", str(e))
            try:
                await self.call(client.explain(self.url, models[0][0], {"instances": [[1, 2, 3, 4]]}))
                raise CheckFailed("v1 explain: no error raised")
            except httpx.HTTPStatusError as e:
                expect(e.response.status_code == 501 and e.response.json() == {"error": f"model '{models[0][0]}' has no explainer: "
                       "ledge serves :predict only"}, "v1 explain", str(e))
            ok(f"v1 errors: is_model_ready({UNKNOWN}) 404 \"unknown model '{UNKNOWN}'\", signature_name 'predict' 400, "
               "explain 501 (no explainer, as KServe's model server)")
        finally:
            await asyncio.wait_for(client.close(), 10)

    async def grpc(self, target, models, refs):
        """KServe's V2 over gRPC (what a ServingRuntime's grpc-v2 promises) with KServe's own InferenceGRPCClient."""
        from kserve import InferenceGRPCClient
        import grpc
        client = InferenceGRPCClient(target, timeout=self.timeout)
        try:
            live, ready = await client.is_server_live(), await client.is_server_ready()
            expect(live is True and ready is True, "grpc is_server_live / is_server_ready", f"{live!r} {ready!r}")
            for name, kind in models:
                expect(await client.is_model_ready(name) is True, f"grpc is_model_ready({name})")
                case, output = ("add_b2", "sum") if kind == "add" else ("tflite_fixed", "Softmax")
                inputs, outputs = refs.case(case)
                for binary in (True, False):
                    tensors = []
                    for input_name, x in inputs.items():
                        tensor = InferInput(input_name, list(x.shape), {np.uint8: "UINT8", np.float32: "FP32"}[x.dtype.type])
                        tensor.set_data_from_numpy(x, binary_data=binary)
                        tensors.append(tensor)
                    request_id = f"kserve-grpc-{name}-{int(binary)}"
                    result = await client.infer(InferRequest(name, tensors, request_id=request_id))
                    what = f"grpc infer({name}, {'raw' if binary else 'typed'})"
                    expect(result.id == request_id, f"{what} id", f"expected {request_id!r}, got {result.id!r}")
                    y = result.get_output_by_name(output).as_numpy()
                    if kind == "add":
                        expect(np.array_equal(y, inputs["a"] + inputs["b"]), what, f"expected exactly a + b, got {y}")
                        ok(f"{what}: FP32 {list(y.shape)}, id echoed, exactly a + b")
                    else:
                        worst = int(np.abs(y.astype(np.int32) - outputs["Softmax"].astype(np.int32)).max())
                        expect(y.shape == (1, 1000) and worst <= 1, what, f"shape {y.shape}, {worst} steps from LiteRT")
                        ok(f"{what}: UINT8 [1, 1000], id echoed, within {worst} step(s) of LiteRT")
            tensor = InferInput("a", [1, 4], "FP32")
            tensor.set_data_from_numpy(np.zeros((1, 4), dtype=np.float32))
            # The client logs the failure it raises (with a traceback) on its trace logger: this one is expected.
            import logging
            from kserve.logging import KSERVE_TRACE_LOGGER_NAME
            logging.getLogger(KSERVE_TRACE_LOGGER_NAME).disabled = True
            try:
                await client.infer(InferRequest(UNKNOWN, [tensor]))
                raise CheckFailed(f"grpc infer({UNKNOWN}): no error raised")
            except grpc.aio.AioRpcError as e:
                expect(e.code() == grpc.StatusCode.NOT_FOUND and e.details() == f"unknown model '{UNKNOWN}'",
                       f"grpc infer({UNKNOWN})", f"{e.code()} {e.details()!r}")
                ok(f"grpc infer({UNKNOWN}): {e.code()} \"{e.details()}\"")
        finally:
            await asyncio.wait_for(client.close(), 10)

    async def errors(self):
        ready = await self.call(self.client.is_model_ready(self.url, UNKNOWN))
        expect(ready is False, f"is_model_ready({UNKNOWN})", f"expected False, got {ready!r}")
        ok(f"is_model_ready({UNKNOWN}): False")
        x = np.zeros((1, 4), dtype=np.float32)
        tensor = InferInput("a", [1, 4], "FP32")
        tensor.set_data_from_numpy(x, binary_data=False)
        try:
            await self.call(self.client.infer(self.url, InferRequest(UNKNOWN, [tensor]), model_name=UNKNOWN))
        except httpx.HTTPStatusError as e:
            expect(e.response.status_code == 404, f"infer({UNKNOWN})",
                   f"expected HTTPStatusError 404, got {e.response.status_code} {e}")
            message = str(e)
            expect(f"unknown model '{UNKNOWN}'" in message, f"infer({UNKNOWN}) message",
                   f"expected the server's error \"unknown model '{UNKNOWN}'\" in {message!r}")
            ok(f"infer({UNKNOWN}): HTTPStatusError {message!r}")
        else:
            raise CheckFailed(f"infer({UNKNOWN}): no error raised")


def model_arg(text):
    name, sep, kind = text.rpartition(":")
    if not sep or not name or kind not in KINDS:
        raise argparse.ArgumentTypeError(f"expected NAME:KIND with KIND one of {', '.join(KINDS)}, got {text!r}")
    return name, kind


async def run(args):
    url = args.url if "://" in args.url else f"http://{args.url}"
    url = url.removesuffix("/").removesuffix("/v2")
    checker = Checker(url, args.timeout)
    refs = []
    steps = [("reference outputs", lambda: load_refs(refs, args.fixtures)), ("server live", checker.server_live),
             ("server ready", checker.server_ready)]
    for name, kind in args.model:
        steps.append((f"model {name}", lambda name=name, kind=kind: checker.model_metadata(name, KINDS[kind])))
    for name, kind in args.model:
        steps.append((f"infer {name}", lambda name=name, kind=kind: getattr(checker, kind)(name, refs[0])))
    steps.append(("errors", checker.errors))
    steps.append(("v1", lambda: checker.v1(args.model, refs[0], args.fixtures)))
    if args.grpc_target:
        steps.append(("grpc", lambda: checker.grpc(args.grpc_target, args.model, refs[0])))
    failed = 0
    try:
        for label, step in steps:
            if label.startswith("infer") and not refs:
                print(f"FAIL: {label}: no reference outputs", file=sys.stderr, flush=True)
                failed += 1
                continue
            try:
                await step()
            except CheckFailed as e:
                print(f"FAIL: {e}", file=sys.stderr, flush=True)
                failed += 1
            except (asyncio.TimeoutError, httpx.TimeoutException) as e:
                print(f"FAIL: {label}: {type(e).__name__}: no answer within {args.timeout:g} s", file=sys.stderr, flush=True)
                failed += 1
            except Exception as e:  # a client or connection error fails the step in progress, on one line
                print(f"FAIL: {label}: {type(e).__name__}: {e}".replace("\n", " "), file=sys.stderr, flush=True)
                failed += 1
    finally:
        await asyncio.wait_for(checker.client.close(), 10)
    if failed:
        print(f"{failed} kserve check step(s) failed", file=sys.stderr)
        return 1
    print("all kserve checks passed")
    return 0


async def load_refs(refs, fixtures):
    refs.append(References(fixtures))
    ok(f"reference outputs: {os.path.join(fixtures, 'reference', 'manifest.json')}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="http://host:port of the server (host:port also accepted)")
    parser.add_argument("--fixtures", default=os.path.join(os.environ.get("LEDGE_HOME", ".ledge"), "fixtures"),
                        help="the fixtures folder with reference/manifest.json (default $LEDGE_HOME/fixtures)")
    parser.add_argument("--model", type=model_arg, action="append", required=True, metavar="NAME:KIND",
                        help=f"a served model and its kind ({', '.join(KINDS)}); repeat for several")
    parser.add_argument("--grpc-target", metavar="HOST:PORT", help="the server's gRPC port: KServe's InferenceGRPCClient checks it too")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds allowed for each request (default 30)")
    args = parser.parse_args()
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
