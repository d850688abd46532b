#!/usr/bin/env python3
"""Check a running `ledge serve` with the real Triton HTTP client (tritonclient[http]).

Usage: python scripts/check_tritonclient.py --url 127.0.0.1:8000 --fixtures $LEDGE_HOME/fixtures

The server must serve efficientnet_lite0.tflite and mobilenet_gen.onnx under the
names given by --tflite-model and --onnx-model, e.g.

  mkdir -p /tmp/repo/efficientnet_lite0 /tmp/repo/mobilenet_gen
  cp $LEDGE_HOME/fixtures/models/efficientnet_lite0.tflite /tmp/repo/efficientnet_lite0/
  cp $LEDGE_HOME/fixtures/models/mobilenet_gen.onnx /tmp/repo/mobilenet_gen/
  ledge serve --model-repository /tmp/repo --port 8000

Outputs are compared with the reference runtimes' outputs for the same inputs:
efficientnet_lite0 with the fixed input of the reference case `tflite_fixed`
(LiteRT, uint8, within 1 quantization step), mobilenet_gen.onnx with the first
two images of the reference case `onnx_gen_b4` run by onnxruntime on one thread
(float32, max abs difference 1e-5) — the tolerances of the library's tests.

Prints one line per check ("ok: ..."); on the first failure prints
"FAIL: <check>: <why>" to stderr and exits 1.
"""
import argparse
import base64
import json
import os
import sys

import numpy as np
import onnxruntime as ort
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException


from check_common import CheckFailed, expect, ok, run_steps


class References:
    """Reference tensors from FIXTURES/reference/manifest.json."""

    def __init__(self, fixtures):
        self.dir = os.path.join(fixtures, "reference")
        self.models = os.path.join(fixtures, "models")
        with open(os.path.join(self.dir, "manifest.json")) as f:
            self.cases = json.load(f)["cases"]

    def tensors(self, case, role):
        return [np.fromfile(os.path.join(self.dir, t["file"]), dtype=np.dtype(t["dtype"]).newbyteorder("<"))
                .reshape(t["shape"]) for t in self.cases[case][role]]

    def tflite_fixed(self):
        (x,), (y,) = self.tensors("tflite_fixed", "inputs"), self.tensors("tflite_fixed", "outputs")
        return x, y

    def onnx_batch2(self):
        x = np.ascontiguousarray(self.tensors("onnx_gen_b4", "inputs")[0][:2])
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        sess = ort.InferenceSession(os.path.join(self.models, "mobilenet_gen.onnx"), opts,
                                    providers=["CPUExecutionProvider"])
        (y,) = sess.run(["output"], {"input": x})
        return x, y


def check_server(client):
    expect(client.is_server_live(), "is_server_live", "expected True")
    ok("is_server_live")
    expect(client.is_server_ready(), "is_server_ready", "expected True")
    ok("is_server_ready")
    meta = client.get_server_metadata()
    expect(meta.get("name") == "ledge", "get_server_metadata name", f"expected 'ledge', got {meta.get('name')!r}")
    expect("binary_tensor_data" in meta.get("extensions", []), "get_server_metadata extensions",
           f"expected 'binary_tensor_data' in {meta.get('extensions')!r}")
    ok(f"get_server_metadata: name ledge, version {meta.get('version')}, extensions {', '.join(meta['extensions'])}")


def check_model_metadata(client, name, platform, inputs, outputs):
    meta = client.get_model_metadata(name)
    expect(meta.get("name") == name, f"get_model_metadata({name}) name", f"got {meta.get('name')!r}")
    expect(meta.get("platform") == platform, f"get_model_metadata({name}) platform",
           f"expected {platform!r}, got {meta.get('platform')!r}")
    for role, want in (("inputs", inputs), ("outputs", outputs)):
        got = [(t["name"], t["datatype"], t["shape"]) for t in meta.get(role, [])]
        expect(got == want, f"get_model_metadata({name}) {role}", f"expected {want}, got {got}")
    ok(f"get_model_metadata({name}): platform {platform}, inputs {inputs}, outputs {outputs}")
    expect(client.is_model_ready(name), f"is_model_ready({name})", "expected True")
    ok(f"is_model_ready({name})")


def infer(client, model, input_name, output_name, datatype, x, binary, request_id):
    tensor = httpclient.InferInput(input_name, list(x.shape), datatype)
    tensor.set_data_from_numpy(x, binary_data=binary)
    wanted = [httpclient.InferRequestedOutput(output_name, binary_data=binary)]
    result = client.infer(model, [tensor], outputs=wanted, request_id=request_id)
    response = result.get_response()
    what = f"infer({model}, {'binary' if binary else 'JSON'})"
    expect(response.get("id") == request_id, f"{what} id", f"expected {request_id!r} echoed, got {response.get('id')!r}")
    names = [o["name"] for o in response.get("outputs", [])]
    expect(names == [output_name], f"{what} outputs", f"expected only {output_name!r}, got {names}")
    output = result.get_output(output_name)
    has_binary = "binary_data_size" in output.get("parameters", {})
    expect(has_binary == binary and ("data" in output) != binary, f"{what} output encoding",
           f"expected {'binary data' if binary else 'JSON data'}, got {sorted(output)} {output.get('parameters')}")
    y = result.as_numpy(output_name)
    expect(y is not None, f"{what} output", f"no tensor {output_name!r}")
    return what, y


def check_tflite(client, name, refs):
    x, want = refs.tflite_fixed()
    for binary in (False, True):
        what, y = infer(client, name, "images", "Softmax", "UINT8", x, binary, f"tflite-{int(binary)}")
        expect(y.dtype == np.uint8 and list(y.shape) == [1, 1000], f"{what} Softmax",
               f"expected UINT8 [1, 1000], got {y.dtype} {list(y.shape)}")
        worst = int(np.abs(y.astype(np.int32) - want.astype(np.int32)).max())
        expect(worst <= 1, f"{what} Softmax", f"differs from LiteRT by {worst} quantization steps (allowed 1)")
        ok(f"{what}: UINT8 [1, 1000], id echoed, within {worst} step(s) of LiteRT, top-1 {int(y[0].argmax())}")


def check_onnx(client, name, refs):
    x, want = refs.onnx_batch2()
    for binary in (False, True):
        what, y = infer(client, name, "input", "output", "FP32", x, binary, f"onnx-{int(binary)}")
        expect(y.dtype == np.float32 and list(y.shape) == [2, 1000], f"{what} output",
               f"expected FP32 [2, 1000], got {y.dtype} {list(y.shape)}")
        worst = float(np.abs(y - want).max())
        expect(worst <= 1e-5, f"{what} output", f"differs from onnxruntime by {worst:g} (allowed 1e-05)")
        ok(f"{what}: FP32 [2, 1000], id echoed, max abs difference {worst:.1e} from onnxruntime")


def check_compression(client, name, refs):
    """request_compression_algorithm (Content-Encoding) and response_compression_algorithm (Accept-Encoding)."""
    x, want = refs.onnx_batch2()
    for algorithm in ("gzip", "deflate"):
        for binary in (False, True):
            tensor = httpclient.InferInput("input", list(x.shape), "FP32")
            tensor.set_data_from_numpy(x, binary_data=binary)
            wanted = [httpclient.InferRequestedOutput("output", binary_data=binary)]
            result = client.infer(name, [tensor], outputs=wanted, request_compression_algorithm=algorithm,
                                  response_compression_algorithm=algorithm)
            y = result.as_numpy("output")
            what = f"infer({name}, {'binary' if binary else 'JSON'}, {algorithm})"
            expect(y is not None and list(y.shape) == [2, 1000], what, f"got {None if y is None else list(y.shape)}")
            worst = float(np.abs(y - want).max())
            expect(worst <= 1e-5, what, f"differs from onnxruntime by {worst:g} (allowed 1e-05)")
            ok(f"{what}: FP32 [2, 1000], max abs difference {worst:.1e} from onnxruntime")


def check_classification(client, name, fixtures):
    """The classification extension: chelsea_224.jpg, Softmax as its top 3 classes ("score:index:label")."""
    from PIL import Image
    x = np.asarray(Image.open(os.path.join(fixtures, "images", "chelsea_224.jpg")).convert("RGB"), dtype=np.uint8)[None]
    for binary in (False, True):
        inp = httpclient.InferInput("images", list(x.shape), "UINT8")
        inp.set_data_from_numpy(x, binary_data=binary)
        out = httpclient.InferRequestedOutput("Softmax", binary_data=binary, class_count=3)
        what = f"classification {name} ({'binary' if binary else 'JSON'})"
        y = client.infer(name, [inp], outputs=[out]).as_numpy("Softmax")
        expect(y is not None and list(y.shape) == [1, 3], what, f"expected BYTES [1, 3], got {None if y is None else list(y.shape)}")
        top = [(v.decode() if isinstance(v, bytes) else str(v)).split(":", 2) for v in y[0]]
        expect(len(top[0]) == 3 and top[0][1] == "285" and top[0][2] == "Egyptian cat", what,
               f"expected the top class 285 'Egyptian cat', got {y[0].tolist()}")
        scores = [float(s) for s, _, _ in top]
        expect(scores == sorted(scores, reverse=True), what, f"scores not in descending order: {scores}")
        ok(f"{what}: top 3 {[':'.join(c) for c in top]}")


def check_encoded_image(client, name, fixtures, url):
    """A PNG as a BYTES input in binary data, decoded and preprocessed by the server: the same Softmax as
    the photo resized by Pillow (bilinear, which Ledge's resize equals) and sent as UINT8; in JSON data, refused."""
    import urllib.error
    import urllib.request
    from PIL import Image
    path = os.path.join(fixtures, "images", "chelsea.png")
    x = np.asarray(Image.open(path).convert("RGB").resize((224, 224), Image.BILINEAR), dtype=np.uint8)[None]
    pillow = httpclient.InferInput("images", list(x.shape), "UINT8")
    pillow.set_data_from_numpy(x, binary_data=True)
    want = client.infer(name, [pillow]).as_numpy("Softmax")
    encoded = httpclient.InferInput("images", [1], "BYTES")
    encoded.set_data_from_numpy(np.array([open(path, "rb").read()], dtype=object), binary_data=True)
    got = client.infer(name, [encoded]).as_numpy("Softmax")
    expect(np.array_equal(got, want), f"{name}: a PNG as BYTES", "differs from Pillow's tensor")
    ok(f"infer({name}, a PNG as BYTES in binary data): the Softmax of Pillow's 224x224 UINT8 tensor, equal")

    def post(data, parameters=None):
        tensor = {"name": "images", "datatype": "BYTES", "shape": [1], "data": data}
        if parameters:
            tensor["parameters"] = parameters
        body = json.dumps({"inputs": [tensor]}).encode()
        request = urllib.request.Request(f"http://{url}/v2/models/{name}/infer", data=body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    # In JSON, as MLServer takes files: base64 strings with content_type "base64" (curl's way).
    status, answer = post([base64.b64encode(open(path, "rb").read()).decode()], {"content_type": "base64"})
    expect(status == 200 and answer["outputs"][0]["data"] == want.flatten().tolist(), "base64 in JSON", f"{status} {str(answer)[:200]}")
    ok(f"infer({name}, a PNG as base64 in JSON data, content_type base64): the same Softmax")
    status, answer = post(["not bytes"])
    expect(status == 400 and answer == {"error": "input 'images': encoded images go in binary data (parameters.binary_data_size), as base64 "
                                        "strings with parameters.content_type \"base64\", or in gRPC's raw_input_contents or "
                                        "contents.bytes_contents"}, "JSON data", f"{status} {answer}")
    ok(f"infer({name}, BYTES in JSON data): 400 {answer['error']!r}")
    status, answer = post(["not base64!"], {"content_type": "base64"})
    expect(status == 400 and answer == {"error": "input 'images': data[0] is not a base64 string (parameters.content_type \"base64\")"},
           "not base64", f"{status} {answer}")
    ok(f"infer({name}, content_type base64 of no base64): 400 {answer['error']!r}")


def check_statistics(client, name):
    """Triton's statistics extension (GET /v2/models/NAME/stats), after the calls above: the ONNX model
    had six successful batch-2 requests (two plain, four compressed)."""
    stats = client.get_inference_statistics(model_name=name)["model_stats"]
    expect(len(stats) == 1, f"get_inference_statistics({name})", f"expected one model, got {len(stats)}")
    s = stats[0]
    infer = s["inference_stats"]
    expect(infer["compute_infer"]["count"] == infer["success"]["count"] and infer["compute_infer"]["ns"] > 0
           and s["last_inference"] > 0, f"get_inference_statistics({name})", f"got {s}")
    sizes = [b["batch_size"] for b in s["batch_stats"]]
    ok(f"get_inference_statistics({name}): version {s['version']}, {infer['success']['count']} requests, "
       f"{s['inference_count']} inferences, {s['execution_count']} executions, batch sizes {sizes}, {infer['fail']['count']} failed")
    names = [m["name"] for m in client.get_inference_statistics()["model_stats"]]
    ok(f"get_inference_statistics(): {', '.join(names)}")


def check_log_settings(client):
    """Triton's logging extension (GET/POST /v2/logging): read, raise to verbose, restore."""
    before = client.get_log_settings()
    expect(before.get("log_info") is True and before.get("log_verbose_level") == 0, "get_log_settings", f"got {before}")
    raised = client.update_log_settings({"log_verbose_level": 1})
    expect(raised.get("log_verbose_level") == 1, "update_log_settings", f"got {raised}")
    after = client.update_log_settings({"log_verbose_level": 0})
    expect(after == before, "update_log_settings (restore)", f"got {after}, expected {before}")
    ok(f"log settings: {', '.join(f'{k}={v}' for k, v in sorted(before.items()))}; verbose 1 and back")


def check_errors(client):
    try:
        client.get_model_metadata("no_such_model")
    except InferenceServerException as e:
        expect(e.status() == "404" and e.message() == "unknown model 'no_such_model'", "unknown model error",
               f"expected 404 \"unknown model 'no_such_model'\", got {e.status()} {e.message()!r}")
    else:
        raise CheckFailed("unknown model error: get_model_metadata('no_such_model') did not raise")
    expect(not client.is_model_ready("no_such_model"), "is_model_ready(no_such_model)", "expected False")
    ok("unknown model: InferenceServerException 404 \"unknown model 'no_such_model'\"")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="host:port of the server (http://host:port/v2 also accepted)")
    parser.add_argument("--fixtures", default=os.path.join(os.environ.get("LEDGE_HOME", ".ledge"), "fixtures"),
                        help="the fixtures folder with reference/manifest.json (default $LEDGE_HOME/fixtures)")
    parser.add_argument("--tflite-model", default="efficientnet_lite0", help="the served name of efficientnet_lite0.tflite")
    parser.add_argument("--onnx-model", default="mobilenet_gen", help="the served name of mobilenet_gen.onnx")
    args = parser.parse_args()
    url = args.url.removeprefix("http://").split("/")[0]
    client = httpclient.InferenceServerClient(url=url, network_timeout=60.0, connection_timeout=10.0)
    steps = [
        ("reference outputs", lambda: refs.append(References(args.fixtures))),
        ("server", lambda: check_server(client)),
        (f"model {args.tflite_model}", lambda: check_model_metadata(
            client, args.tflite_model, "tflite",
            [("images", "UINT8", [1, 224, 224, 3])], [("Softmax", "UINT8", [1, 1000])])),
        (f"model {args.onnx_model}", lambda: check_model_metadata(
            client, args.onnx_model, "onnxruntime_onnx",
            [("input", "FP32", [-1, 3, 224, 224])], [("output", "FP32", [-1, 1000])])),
        (f"infer {args.tflite_model}", lambda: check_tflite(client, args.tflite_model, refs[0])),
        (f"infer {args.onnx_model}", lambda: check_onnx(client, args.onnx_model, refs[0])),
        (f"compression {args.onnx_model}", lambda: check_compression(client, args.onnx_model, refs[0])),
        (f"classification {args.tflite_model}", lambda: check_classification(client, args.tflite_model, args.fixtures)),
        (f"encoded image {args.tflite_model}", lambda: check_encoded_image(client, args.tflite_model, args.fixtures, url)),
        (f"statistics {args.onnx_model}", lambda: check_statistics(client, args.onnx_model)),
        ("log settings", lambda: check_log_settings(client)),
        ("errors", lambda: check_errors(client)),
    ]
    refs = []
    return run_steps(steps, "all tritonclient checks passed")


if __name__ == "__main__":
    sys.exit(main())
