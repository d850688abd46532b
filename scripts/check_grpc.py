#!/usr/bin/env python3
"""Check a running `ledge serve` over gRPC with the real Triton gRPC client (tritonclient[grpc])
and with Python grpcio directly.

Usage: python scripts/check_grpc.py --target 127.0.0.1:8001 --fixtures $LEDGE_HOME/fixtures [--malformed N]
       python scripts/check_grpc.py --target 127.0.0.1:8001 --fixtures ... --shutdown PID --metrics http://127.0.0.1:8000/metrics
       python scripts/check_grpc.py --target 127.0.0.1:8001 --tls-ca ca.pem --token TOKEN

The server must serve efficientnet_lite0.tflite, mobilenet_gen.onnx and add.onnx under those
names (without extension). Outputs are compared with the reference runtimes' outputs for the same
inputs, with the tolerances of the library's tests: efficientnet_lite0 with the input of the
reference case `tflite_fixed` (LiteRT, uint8, within 1 quantization step), mobilenet_gen.onnx with
the first two images of `onnx_gen_b4` (onnxruntime, float32, max abs difference 1e-5).

Encoded images: JPEG and PNG files as a BYTES input of efficientnet_lite0 and mobilenet_gen (the
server decodes and preprocesses them): a PNG equal to the same photo resized by Pillow and sent as
UINT8, a JPEG classified, a batch of two, typed bytes_contents, and the refusals' texts.

--malformed N: also send malformed messages with grpcio directly (N is the server's
--max-body-size, to send a message just over it); each must get its status code and the
server must keep serving.

--tls-ca CA --token TOKEN: over TLS verified against CA (add.onnx served with that token): ServerLive
without the token, ModelInfer refused without it and answered with it; plaintext on the port fails.

--shutdown PID --exit-timeout S: open a stream, SIGTERM PID, see the stream answered while the server drains, then
the server close it and exit after S seconds (its --exit-timeout-secs), not before.

--shutdown PID: open a stream of 20 requests and 4 unary calls (mobilenet_gen, batch 8: the server's
--max-body-size must allow 4.8 MB), send SIGTERM to PID once the server's own in-flight gauge counts
all four, and check that every one completes.

Prints one line per check ("ok: ..."); on the first failure prints "FAIL: <check>: <why>" to
stderr and exits 1.
"""
import argparse
import os
import queue
import signal
import sys
import threading
import time

import grpc
import numpy as np
import tritonclient.grpc as grpcclient
from tritonclient.grpc import service_pb2, service_pb2_grpc
from tritonclient.utils import InferenceServerException

from check_common import CheckFailed, expect, grpc_add_inputs, ok, reference, run_steps


def check_server(client):
    expect(client.is_server_live(), "is_server_live", "expected True")
    expect(client.is_server_ready(), "is_server_ready", "expected True")
    meta = client.get_server_metadata()
    expect(meta.name == "ledge", "server metadata", f"expected name 'ledge', got {meta.name!r}")
    ok(f"live, ready; server metadata: name ledge, extensions {', '.join(meta.extensions)}")
    for name, platform, inputs in (
            ("efficientnet_lite0", "tflite", [("images", "UINT8", [1, 224, 224, 3])]),
            ("mobilenet_gen", "onnxruntime_onnx", [("input", "FP32", [-1, 3, 224, 224])])):
        expect(client.is_model_ready(name), f"is_model_ready({name})", "expected True")
        meta = client.get_model_metadata(name)
        got = [(t.name, t.datatype, list(t.shape)) for t in meta.inputs]
        expect(meta.platform == platform and got == inputs, f"model metadata({name})",
               f"expected {platform} {inputs}, got {meta.platform} {got}")
        ok(f"model {name}: ready, platform {platform}, inputs {inputs}")


def infer(client, model, input_name, output_name, datatype, x, request_id):
    tensor = grpcclient.InferInput(input_name, list(x.shape), datatype)
    tensor.set_data_from_numpy(x)
    result = client.infer(model, [tensor], outputs=[grpcclient.InferRequestedOutput(output_name)], request_id=request_id)
    response = result.get_response()
    expect(response.id == request_id, f"infer({model}) id", f"expected {request_id!r}, got {response.id!r}")
    expect(len(response.raw_output_contents) == 1, f"infer({model})", "expected the output in raw_output_contents")
    return result.as_numpy(output_name)


def check_infer(client, fixtures):
    (x,), (want,) = reference(fixtures, "tflite_fixed", "inputs"), reference(fixtures, "tflite_fixed", "outputs")
    y = infer(client, "efficientnet_lite0", "images", "Softmax", "UINT8", x, "tflite-raw")
    expect(y.dtype == np.uint8 and list(y.shape) == [1, 1000], "infer(efficientnet_lite0)", f"got {y.dtype} {list(y.shape)}")
    worst = int(np.abs(y.astype(np.int32) - want.astype(np.int32)).max())
    expect(worst <= 1, "infer(efficientnet_lite0)", f"differs from LiteRT by {worst} quantization steps (allowed 1)")
    ok(f"infer(efficientnet_lite0, raw): UINT8 [1, 1000], id echoed, within {worst} step(s) of LiteRT")
    x = np.ascontiguousarray(reference(fixtures, "onnx_gen_b4", "inputs")[0][:2])
    want = reference(fixtures, "onnx_gen_b4", "outputs")[0][:2]
    y = infer(client, "mobilenet_gen", "input", "output", "FP32", x, "onnx-raw")
    expect(y.dtype == np.float32 and list(y.shape) == [2, 1000], "infer(mobilenet_gen)", f"got {y.dtype} {list(y.shape)}")
    worst = float(np.abs(y - want).max())
    expect(worst <= 1e-5, "infer(mobilenet_gen)", f"differs from onnxruntime by {worst:g} (allowed 1e-05)")
    ok(f"infer(mobilenet_gen, raw, batch 2): FP32 [2, 1000], id echoed, max abs difference {worst:.1e} from onnxruntime")


def check_compression(client, fixtures):
    """tritonclient's compression_algorithm: the request message sent gzip- or deflate-compressed."""
    x = np.ascontiguousarray(reference(fixtures, "onnx_gen_b4", "inputs")[0][:2])
    want = reference(fixtures, "onnx_gen_b4", "outputs")[0][:2]
    for algorithm in ("gzip", "deflate"):
        tensor = grpcclient.InferInput("input", list(x.shape), "FP32")
        tensor.set_data_from_numpy(x)
        result = client.infer("mobilenet_gen", [tensor], compression_algorithm=algorithm)
        y = result.as_numpy("output")
        what = f"infer(mobilenet_gen, {algorithm})"
        expect(y is not None and list(y.shape) == [2, 1000], what, f"got {None if y is None else list(y.shape)}")
        worst = float(np.abs(y - want).max())
        expect(worst <= 1e-5, what, f"differs from onnxruntime by {worst:g} (allowed 1e-05)")
        ok(f"{what}: FP32 [2, 1000], max abs difference {worst:.1e} from onnxruntime")


def check_statistics(client):
    """Triton's statistics extension (ModelStatistics), after the calls above: mobilenet_gen had three
    successful batch-2 requests (one raw, two compressed)."""
    stats = client.get_inference_statistics("mobilenet_gen").model_stats
    expect(len(stats) == 1, "get_inference_statistics(mobilenet_gen)", f"expected one model, got {len(stats)}")
    s = stats[0]
    infer = s.inference_stats
    expect(infer.compute_infer.count == infer.success.count and infer.compute_infer.ns > 0 and s.last_inference > 0,
           "get_inference_statistics(mobilenet_gen)", f"compute_infer {infer.compute_infer} for {infer.success.count} requests")
    sizes = [b.batch_size for b in s.batch_stats]
    ok(f"get_inference_statistics(mobilenet_gen): version {s.version}, {infer.success.count} requests, "
       f"{s.inference_count} inferences, {s.execution_count} executions, batch sizes {sizes}, {infer.fail.count} failed")
    names = [m.name for m in client.get_inference_statistics().model_stats]
    ok(f"get_inference_statistics(): {', '.join(names)}")


def check_log_settings(client):
    """Triton's logging extension (LogSettings): read, raise to verbose, restore."""
    def plain(response):
        return {k: getattr(v, v.WhichOneof("parameter_choice")) for k, v in response.settings.items()}
    before = plain(client.get_log_settings())
    expect(before.get("log_info") is True and before.get("log_verbose_level") == 0, "get_log_settings", f"got {before}")
    raised = plain(client.update_log_settings({"log_verbose_level": 1}))
    expect(raised.get("log_verbose_level") == 1, "update_log_settings", f"got {raised}")
    after = plain(client.update_log_settings({"log_verbose_level": 0}))
    expect(after == before, "update_log_settings (restore)", f"got {after}, expected {before}")
    ok(f"log settings: {', '.join(f'{k}={v}' for k, v in sorted(before.items()))}; verbose 1 and back")


def check_stream(client):
    answers = queue.Queue()
    client.start_stream(callback=lambda result, error: answers.put((result, error)))
    sent = []
    for n in range(20):
        a = np.full((1, 4), n, dtype=np.float32)
        b = np.arange(4, dtype=np.float32).reshape(1, 4)
        client.async_stream_infer("add", grpc_add_inputs(a, b), request_id=f"s{n}", enable_empty_final_response=n % 2 == 0)
        sent.append(a + b)
    got = [answers.get(timeout=60) for _ in range(20)]
    client.stop_stream()
    ids = [r.get_response().id if r is not None else None for r, _ in got]
    expect(ids == [f"s{n}" for n in range(20)], "stream", f"expected ids s0..s19 in order, got {ids}")
    for n, ((result, error), want) in enumerate(zip(got, sent)):
        expect(error is None and np.array_equal(result.as_numpy("sum"), want), "stream", f"wrong answer: {error}")
        # Triton's final-response flag on the answers whose requests asked for it (even n), only those.
        flag = result.get_response().parameters.get("triton_final_response")
        expect((flag is not None and flag.bool_param) == (n % 2 == 0), "stream", f"s{n}: triton_final_response {flag}")
    ok("stream: 20 requests answered in order, ids matching, each exactly a + b; triton_final_response on the 10 that asked")


def check_classification(client, fixtures):
    from PIL import Image
    x = np.asarray(Image.open(os.path.join(fixtures, "images", "chelsea_224.jpg")).convert("RGB"), dtype=np.uint8)[None]
    tensor = grpcclient.InferInput("images", list(x.shape), "UINT8")
    tensor.set_data_from_numpy(x)
    result = client.infer("efficientnet_lite0", [tensor], outputs=[grpcclient.InferRequestedOutput("Softmax", class_count=3)])
    y = result.as_numpy("Softmax")
    expect(y is not None and list(y.shape) == [1, 3], "classification", f"expected BYTES [1, 3], got {y}")
    top = [v.decode().split(":", 2) for v in y[0]]
    expect(top[0][1:] == ["285", "Egyptian cat"], "classification", f"expected the top class 285 'Egyptian cat', got {y[0].tolist()}")
    ok(f"classification (class_count=3): top 3 {[':'.join(c) for c in top]}")


def check_encoded_images(client, target, fixtures):
    """JPEG and PNG bytes as a BYTES input of the image model, decoded and preprocessed by the server."""
    from PIL import Image
    images = os.path.join(fixtures, "images")

    def encoded(model, names, outputs=None, name="images"):
        data = np.array([open(os.path.join(images, n), "rb").read() for n in names], dtype=object)
        tensor = grpcclient.InferInput(name, [len(names)], "BYTES")
        tensor.set_data_from_numpy(data)
        return client.infer(model, [tensor], outputs=outputs)

    # A PNG (decoded exactly) against the same photo resized by Pillow (bilinear, which Ledge's resize equals) and sent as UINT8.
    x = np.asarray(Image.open(os.path.join(images, "chelsea.png")).convert("RGB").resize((224, 224), Image.BILINEAR), dtype=np.uint8)
    want = infer(client, "efficientnet_lite0", "images", "Softmax", "UINT8", x[None], "pillow")
    got = encoded("efficientnet_lite0", ["chelsea.png"]).as_numpy("Softmax")
    expect(got.dtype == np.uint8 and np.array_equal(got, want), "a PNG as BYTES", "differs from Pillow's tensor")
    top = [v.decode() for v in encoded("efficientnet_lite0", ["chelsea.jpg"], [grpcclient.InferRequestedOutput("Softmax", class_count=3)])
           .as_numpy("Softmax")[0]]
    expect(top[0].endswith(":285:Egyptian cat"), "a JPEG as BYTES", str(top))
    # A batch of two on the model with a dynamic batch: each row as the photo alone gives it.
    pair = encoded("mobilenet_gen", ["chelsea.jpg", "coffee.png"], name="input").as_numpy("output")
    alone = [encoded("mobilenet_gen", [n], name="input").as_numpy("output")[0] for n in ["chelsea.jpg", "coffee.png"]]
    worst = float(np.abs(pair - np.stack(alone)).max())
    expect(list(pair.shape) == [2, 1000] and worst <= 1e-5, "two images as BYTES [2]", f"{pair.shape}, {worst:g}")
    # Typed contents (bytes_contents) as grpcio sends them, refusals with the library's text.
    stub = service_pb2_grpc.GRPCInferenceServiceStub(grpc.insecure_channel(target, options=[("grpc.max_send_message_length", 1 << 26)]))

    def typed(model, blobs, shape, name="images"):
        request = service_pb2.ModelInferRequest(model_name=model)
        request.inputs.add(name=name, datatype="BYTES", shape=shape).contents.bytes_contents.extend(blobs)
        return stub.ModelInfer(request, timeout=30)

    png = open(os.path.join(images, "chelsea.png"), "rb").read()
    answer = typed("efficientnet_lite0", [png], [1])
    expect(np.array_equal(np.frombuffer(answer.raw_output_contents[0], np.uint8).reshape(1, 1000), want), "contents.bytes_contents")
    refusals = []
    for label, model, blobs, shape, message in [
        ("two images for a batch of one", "efficientnet_lite0", [png, png], [2],
         "input 'images': 2 encoded images make a tensor of shape [2, 224, 224, 3], the model expects [1, 224, 224, 3]"),
        ("not an image", "efficientnet_lite0", [b"GIF89a"], [1],
         "input 'images': not a JPEG or PNG image"),
        ("a truncated JPEG", "efficientnet_lite0", [open(os.path.join(images, "chelsea.jpg"), "rb").read()[:2000]], [1], None),
        ("a model without an image input", "add", [png], [1], "input 'a': datatype BYTES does not match the model: expected FP32"),
    ]:
        try:
            typed(model, blobs, shape, "a" if model == "add" else "images")
            raise CheckFailed(f"{label}: the call succeeded")
        except grpc.RpcError as e:
            expect(e.code() == grpc.StatusCode.INVALID_ARGUMENT and (message is None or e.details() == message), label,
                   f"{e.code().name} {e.details()!r}")
            refusals.append(f"{label}: {e.details()!r}")
    ok(f"encoded images (BYTES): chelsea.png equal to Pillow's 224x224 UINT8 tensor, raw and typed; chelsea.jpg top "
       f"{top[0]}; 2 images to mobilenet_gen within {worst:.1e} of each alone")
    ok(f"encoded images refused, INVALID_ARGUMENT: {'; '.join(refusals)}")


def check_errors(client):
    try:
        client.infer("no_such_model", grpc_add_inputs(np.ones((1, 4), np.float32), np.ones((1, 4), np.float32)))
    except InferenceServerException as e:
        expect(e.status() == "StatusCode.NOT_FOUND" and e.message() == "unknown model 'no_such_model'", "unknown model",
               f"got {e.status()} {e.message()!r}")
        ok(f"unknown model: InferenceServerException {e.status()} {e.message()!r}")
    else:
        raise CheckFailed("unknown model: infer('no_such_model') did not raise")
    expect(not client.is_model_ready("no_such_model"), "is_model_ready(no_such_model)", "expected False")


def raw_add_request(a_bytes, b_bytes, datatype="FP32"):
    request = service_pb2.ModelInferRequest(model_name="add")
    for name in ("a", "b"):
        request.inputs.add(name=name, datatype=datatype, shape=[1, 4])
    request.raw_input_contents.extend([a_bytes, b_bytes])
    return request


def check_malformed(target, max_body):
    channel = grpc.insecure_channel(target, options=[("grpc.max_send_message_length", max_body * 3)])
    stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
    good = np.arange(4, dtype=np.float32).tobytes()
    both = raw_add_request(good, good)
    both.inputs[0].contents.fp32_contents.extend([1, 2, 3, 4])
    missing = service_pb2.ModelInferRequest(model_name="add")
    missing.inputs.add(name="a", datatype="FP32", shape=[1, 4])
    missing.raw_input_contents.append(good)
    huge = raw_add_request(good, good)
    huge.raw_input_contents[0] = b"\0" * (max_body + 1)
    far = raw_add_request(good, good)
    far.raw_input_contents[0] = b"\0" * (2 * max_body + 1)
    cases = [
        ("raw contents of the wrong size", raw_add_request(good[:12], good), grpc.StatusCode.INVALID_ARGUMENT,
         "input 'a': raw_input_contents[0] holds 12 bytes but shape [1, 4] of FP32 needs 16"),
        ("raw and typed contents", both, grpc.StatusCode.INVALID_ARGUMENT,
         "input 'a' has contents while the request has raw_input_contents: expected one or the other"),
        ("wrong datatype", raw_add_request(good, good, "INT32"), grpc.StatusCode.INVALID_ARGUMENT,
         "input 'a': datatype INT32 does not match the model: expected FP32"),
        ("missing input", missing, grpc.StatusCode.INVALID_ARGUMENT, "model 'add' expects input 'b', missing from 'inputs'"),
        ("oversized message", huge, grpc.StatusCode.RESOURCE_EXHAUSTED,
         f"request message of {huge.ByteSize()} bytes exceeds the limit of {max_body} bytes (--max-body-size)"),
        # Over twice the limit the transport resets the stream before reading it (see SizeLimitedService).
        ("message over twice the limit", far, grpc.StatusCode.CANCELLED, None),
        # Compressed, both are a few KB on the wire: the limits hold for the inflated message.
        ("gzip message that inflates past the limit", huge, grpc.StatusCode.RESOURCE_EXHAUSTED,
         f"request message of {huge.ByteSize()} bytes exceeds the limit of {max_body} bytes (--max-body-size)"),
        ("gzip message that inflates past twice the limit", far, grpc.StatusCode.CANCELLED, None),
    ]
    for label, request, code, message in cases:
        try:
            compression = grpc.Compression.Gzip if label.startswith("gzip") else None
            stub.ModelInfer(request, timeout=30, compression=compression)
        except grpc.RpcError as e:
            expect(e.code() == code, label, f"expected {code.name}, got {e.code().name} {e.details()!r}")
            expect(message is None or e.details() == message, label, f"expected {message!r}, got {e.details()!r}")
            live = stub.ServerLive(service_pb2.ServerLiveRequest(), timeout=10).live
            expect(live, label, "the server stopped answering ServerLive")
            ok(f"malformed ({label}): {code.name} {e.details()!r}; still live")
        else:
            raise CheckFailed(f"{label}: the call succeeded, expected {code.name}")
    channel.close()


def in_flight(metrics, model):
    """The server's ledge_inference_requests_in_flight gauge for `model`, from its /metrics."""
    import urllib.request
    text = urllib.request.urlopen(metrics, timeout=10).read().decode()
    prefix = f'ledge_inference_requests_in_flight{{model="{model}",version="1"}} '
    return next((float(line[len(prefix):]) for line in text.splitlines() if line.startswith(prefix)), 0.0)


def check_shutdown(client, target, pid, metrics):
    """SIGTERM while a stream and unary calls are in flight: every one completes."""
    answers = queue.Queue()
    client.start_stream(callback=lambda result, error: answers.put((result, error)))
    x = np.ascontiguousarray(np.random.default_rng(3).random((8, 3, 224, 224), dtype=np.float32))
    unary = []

    clients = [grpcclient.InferenceServerClient(target) for _ in range(4)]
    for other in clients:  # connected before SIGTERM: a new connection after it is refused, as it should be
        expect(other.is_server_live(), "shutdown", "a client could not connect")

    def call(n):
        other = clients[n]
        tensor = grpcclient.InferInput("input", list(x.shape), "FP32")
        tensor.set_data_from_numpy(x)
        try:
            unary.append(other.infer("mobilenet_gen", [tensor], request_id=f"u{n}").as_numpy("output").shape)
        except Exception as e:  # recorded, checked below
            unary.append(e)

    client.async_stream_infer("add", grpc_add_inputs(np.ones((1, 4), np.float32), np.ones((1, 4), np.float32)), request_id="s0")
    answers_first = answers.get(timeout=60)
    threads = [threading.Thread(target=call, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    # SIGTERM once the server counts calls in flight (its own gauge): all 4 at once, or, when a loaded
    # machine staggers the uploads so that one ends before the last arrives, as many as it held.
    deadline = time.monotonic() + 30
    while True:
        now = in_flight(metrics, "mobilenet_gen")
        if now >= 4 or (unary and now >= 1):
            break
        expect(time.monotonic() < deadline, "shutdown", f"no call was in flight within 30 s: {unary}")
        time.sleep(0.002)
    os.kill(pid, signal.SIGTERM)
    for n in range(1, 20):
        client.async_stream_infer("add", grpc_add_inputs(np.full((1, 4), n, np.float32), np.ones((1, 4), np.float32)),
                                  request_id=f"s{n}")
        time.sleep(0.01)
    got = [answers_first] + [answers.get(timeout=60) for _ in range(19)]
    client.stop_stream()
    for t in threads:
        t.join(timeout=120)
    errors = [str(e) for _, e in got if e is not None]
    expect(not errors, "shutdown stream", f"errors after SIGTERM: {errors[:3]}")
    ids = [r.get_response().id for r, _ in got]
    expect(ids == [f"s{n}" for n in range(20)], "shutdown stream", f"expected s0..s19 in order, got {ids}")
    expect(unary == [(8, 1000)] * 4, "shutdown unary calls", f"expected 4 answers of shape (8, 1000), got {[str(u) for u in unary]}")
    ok(f"shutdown: SIGTERM with a stream and {int(now)} of 4 unary calls in flight; 20 stream answers in order and 4 unary answers")


def check_tls(target, ca, token):
    """TLS (verified against the test CA) and the bearer token over gRPC, with add.onnx served."""
    with open(ca, "rb") as f:
        credentials = grpc.ssl_channel_credentials(root_certificates=f.read())
    channel = grpc.secure_channel(target, credentials)
    stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
    expect(stub.ServerLive(service_pb2.ServerLiveRequest(), timeout=30).live, "tls", "ServerLive not live")
    ok("ServerLive over TLS without a token: live")
    request = raw_add_request(np.arange(4, dtype=np.float32).tobytes(), np.ones(4, dtype=np.float32).tobytes())
    try:
        stub.ModelInfer(request, timeout=30)
    except grpc.RpcError as e:
        expect(e.code() == grpc.StatusCode.UNAUTHENTICATED, "tls", f"expected UNAUTHENTICATED, got {e.code().name}")
        ok(f"ModelInfer without a token: {e.code().name} {e.details()!r}")
    else:
        raise CheckFailed("tls: ModelInfer without a token succeeded")
    response = stub.ModelInfer(request, metadata=[("authorization", f"Bearer {token}")], timeout=30)
    total = np.frombuffer(response.raw_output_contents[0], dtype=np.float32)
    expect(total.tolist() == [1, 2, 3, 4], "tls", f"expected a + b = [1, 2, 3, 4], got {total.tolist()}")
    ok("ModelInfer over TLS with the token: exactly a + b")
    channel.close()
    plain = grpc.insecure_channel(target)
    try:
        service_pb2_grpc.GRPCInferenceServiceStub(plain).ServerLive(service_pb2.ServerLiveRequest(), timeout=10)
    except grpc.RpcError as e:
        ok(f"plaintext on the TLS port: {e.code().name}")
    else:
        raise CheckFailed("tls: a plaintext call on the TLS port succeeded")
    plain.close()


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def check_exit_timeout(client, pid, seconds):
    """SIGTERM with a stream left open: answered while the server drains, then closed at --exit-timeout-secs."""
    answers = queue.Queue()
    client.start_stream(callback=lambda result, error: answers.put((result, error)))
    ones = np.ones((1, 4), np.float32)
    client.async_stream_infer("add", grpc_add_inputs(ones, ones), request_id="h0")
    result, error = answers.get(timeout=60)
    expect(error is None and result.get_response().id == "h0", "exit timeout", f"first answer: {error}")
    os.kill(pid, signal.SIGTERM)
    started = time.monotonic()
    client.async_stream_infer("add", grpc_add_inputs(ones, ones + 1), request_id="h1")
    result, error = answers.get(timeout=60)
    expect(error is None and result.get_response().id == "h1", "exit timeout", f"answer while draining: {error}")
    expect(np.array_equal(result.as_numpy("sum"), ones + ones + 1), "exit timeout", "answer while draining: not a + b")
    while alive(pid) and time.monotonic() - started < 120:  # the stream stays open: the server must end it
        time.sleep(0.05)
    elapsed = time.monotonic() - started
    expect(not alive(pid), "exit timeout", f"the server still runs {elapsed:.0f} s after SIGTERM with a stream open")
    expect(elapsed >= seconds - 0.5, "exit timeout", f"the server exited after {elapsed:.1f} s, before --exit-timeout-secs {seconds}")
    result, error = answers.get(timeout=30)
    expect(error is not None, "exit timeout", "the stream's end was not reported to the client")
    reason = f"the server is shutting down and its exit timeout of {seconds:g} s passed"
    expect((error.status(), error.message()) == ("StatusCode.UNAVAILABLE", reason), "exit timeout",
           f"the stream ended with {error.status()} {error.message()}: expected UNAVAILABLE {reason}")
    try:
        client.stop_stream()
    except Exception:
        pass
    ok(f"exit timeout: a stream left open at SIGTERM was answered while draining, then ended UNAVAILABLE with the "
       f"reason and the server gone after --exit-timeout-secs {seconds:g}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", required=True, help="host:port of the gRPC server")
    parser.add_argument("--fixtures", default=os.path.join(os.environ.get("LEDGE_HOME", ".ledge"), "fixtures"))
    parser.add_argument("--malformed", type=int, metavar="MAX_BODY", help="also send malformed messages (the server's --max-body-size)")
    parser.add_argument("--shutdown", type=int, metavar="PID", help="only the shutdown check: SIGTERM to PID with calls in flight")
    parser.add_argument("--metrics", help="with --shutdown: the server's http://HOST:PORT/metrics")
    parser.add_argument("--exit-timeout", type=float, metavar="SECONDS",
                        help="with --shutdown: instead, SIGTERM with a stream left open, the server's --exit-timeout-secs")
    parser.add_argument("--tls-ca", help="only the TLS check (add.onnx served with --auth-token): the CA of the server's certificate")
    parser.add_argument("--token", help="with --tls-ca: the server's bearer token")
    args = parser.parse_args()
    client = grpcclient.InferenceServerClient(args.target)
    if args.tls_ca:
        steps = [("tls", lambda: check_tls(args.target, args.tls_ca, args.token))]
    elif args.shutdown and args.exit_timeout is not None:
        steps = [("exit timeout", lambda: check_exit_timeout(client, args.shutdown, args.exit_timeout))]
    elif args.shutdown:
        steps = [("shutdown", lambda: check_shutdown(client, args.target, args.shutdown, args.metrics))]
    else:
        steps = [
            ("server", lambda: check_server(client)),
            ("infer", lambda: check_infer(client, args.fixtures)),
            ("stream", lambda: check_stream(client)),
            ("classification", lambda: check_classification(client, args.fixtures)),
            ("compression", lambda: check_compression(client, args.fixtures)),
            ("statistics", lambda: check_statistics(client)),
            ("log settings", lambda: check_log_settings(client)),
            ("errors", lambda: check_errors(client)),
            ("encoded images", lambda: check_encoded_images(client, args.target, args.fixtures)),  # after the statistics it adds to
        ]
        if args.malformed:
            steps.append(("malformed", lambda: check_malformed(args.target, args.malformed)))
    return run_steps(steps, "all gRPC checks passed")


if __name__ == "__main__":
    sys.exit(main())
