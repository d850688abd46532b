#!/usr/bin/env python3
"""Check Triton's model repository extension of a running `ledge serve --model-control-mode
explicit` with the real Triton client (tritonclient[http] or tritonclient[grpc]): the index,
load_model, unload_model (which the clients always send with `unload_dependents`) and the
refusal of a config sent with the call.

Usage: python scripts/check_repository.py --protocol http --url 127.0.0.1:8000
       python scripts/check_repository.py --protocol grpc --url 127.0.0.1:8001

The server's repository must hold add.onnx as `add`, not loaded at start (no --load-model).
It is loaded, checked by an inference, unloaded, and left unloaded (so the check may run again,
over the other protocol).

Prints one line per check ("ok: ..."); on the first failure prints "FAIL: <check>: <why>" to
stderr and exits 1.
"""
import json
import sys

import numpy as np
from tritonclient.utils import InferenceServerException

from check_common import expect, ok, protocol_arguments, run_steps, triton_client


class Checks:
    def __init__(self, args):
        self.protocol = args.protocol
        self.module, self.client = triton_client(args.protocol, args.url)

    def index(self):
        raw = self.client.get_model_repository_index()
        entries = raw if self.protocol == "http" else [{"name": m.name, "state": m.state} for m in raw.models]
        return {e["name"]: e.get("state", "") for e in entries}

    def states(self):
        index = self.index()
        expect(list(index) == ["add"] and index["add"] in ("", "UNAVAILABLE"), "repository index",
               f"expected add, not loaded (never, or unloaded by an earlier run), got {index}")
        expect(not self.client.is_model_ready("add"), "is_model_ready(add)", "ready before any load")
        ok(f"{self.protocol}: repository index lists add, not loaded; is_model_ready(add) False")

    def load(self):
        self.client.load_model("add")
        expect(self.client.is_model_ready("add"), "load_model(add)", "not ready after the load")
        a = np.array([[1, 2, 3, 4]], dtype=np.float32)
        inputs = []
        for name in ["a", "b"]:
            tensor = self.module.InferInput(name, [1, 4], "FP32")
            tensor.set_data_from_numpy(a)
            inputs.append(tensor)
        got = self.client.infer("add", inputs).as_numpy("sum")
        expect(np.array_equal(got, a + a), "infer(add)", f"got {got}")
        state = self.index()["add"]
        expect(state == "READY", "repository index after the load", f"state {state!r}")
        ok(f"{self.protocol}: load_model(add): ready, infer exactly a + a, index READY")

    def config(self):
        try:
            self.client.load_model("add", config=json.dumps({"max_batch_size": 4}))
        except InferenceServerException as e:
            bad = "400" if self.protocol == "http" else "StatusCode.INVALID_ARGUMENT"
            message = "load parameter 'config' is not supported: the model is loaded from its repository folder as it is"
            expect(e.status() == bad and e.message() == message, "load_model(add, config=…)", f"got {e.status()} {e.message()!r}")
            ok(f"{self.protocol}: load_model(add, config=…): InferenceServerException {e.status()} \"{e.message()}\"")
            return
        raise AssertionError("load_model(add, config=…): loaded, expected a refusal")

    def unload(self):
        self.client.unload_model("add")
        expect(not self.client.is_model_ready("add"), "unload_model(add)", "still ready")
        state = self.index()["add"]
        expect(state == "UNAVAILABLE", "repository index after the unload", f"state {state!r}")
        ok(f"{self.protocol}: unload_model(add) (unload_dependents sent): not ready, index UNAVAILABLE")


def main():
    args = protocol_arguments(__doc__)
    checks = Checks(args)
    return run_steps([
        ("index", checks.states),
        ("load", checks.load),
        ("config", checks.config),
        ("unload", checks.unload),
    ], f"all {args.protocol} repository checks passed")


if __name__ == "__main__":
    sys.exit(main())
