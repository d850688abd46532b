#!/usr/bin/env python3
"""Check Triton's model repository extension of a running `ledge serve --model-control-mode
explicit` with the real Triton client (tritonclient[http] or tritonclient[grpc]): the index,
load_model, unload_model (which the clients always send with `unload_dependents`), a config
sent with the load (Triton's JSON config, used instead of the folder's until a load without one;
a bad one refused with what served going on) and the refusal of files sent with it.

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
from check_common import ProtocolChecks, expect, ok, protocol_arguments, run_steps


class Checks(ProtocolChecks):
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

    def batch(self, rows):
        inputs = []
        for name in ["a", "b"]:
            tensor = self.module.InferInput(name, [rows, 4], "FP32")
            tensor.set_data_from_numpy(np.ones((rows, 4), dtype=np.float32))
            inputs.append(tensor)
        return self.client.infer("add", inputs).as_numpy("sum")

    def max_batch_size(self):
        raw = self.client.get_model_config("add") if self.protocol == "http" else self.client.get_model_config("add", as_json=True)["config"]
        return int(raw.get("max_batch_size", 0))

    def config(self):
        # Triton's JSON config as the load's config parameter: used instead of the folder's.
        config = {"max_batch_size": 2, "dynamic_batching": {"default_queue_policy": {"default_timeout_microseconds": "50000"}},
                  "instance_group": [{"count": 1, "kind": "KIND_CPU"}], "parameters": {"threads": {"string_value": "1"}}}
        self.client.load_model("add", config=json.dumps(config))
        expect(self.max_batch_size() == 2, "load_model(add, config=…)", f"max_batch_size {self.max_batch_size()}")
        expect(np.array_equal(self.batch(2), np.full((2, 4), 2, dtype=np.float32)), "infer(add) batch 2")
        over = self.refusal("infer(add) batch 3", lambda: self.batch(3), "INVALID_ARGUMENT",
                            "input 'a' has a batch of 3: model 'add' takes at most 2 items a request (max_batch_size in its config.pbtxt)")
        ok(f"{self.protocol}: load_model(add, config=…): max_batch_size 2 in get_model_config, a batch of 2 served, 3 refused: {over}")
        bad = self.refusal("load_model(add, config=KIND_GPU)",
                           lambda: self.client.load_model("add", config=json.dumps({"instance_group": [{"kind": "KIND_GPU"}]})),
                           "INVALID_ARGUMENT", "load parameter 'config': instance_group[0].kind KIND_GPU is not supported by ledge: "
                           "expected KIND_CPU (Ledge runs models on the CPU)")
        expect(self.max_batch_size() == 2, "a refused config", "changed what serves")
        files = self.refusal("load_model(add, files=…)",
                             lambda: self.client.load_model("add", config=json.dumps(config), files={"file:1/model.onnx": b"onnx"}),
                             "INVALID_ARGUMENT", "load parameter 'file:1/model.onnx' is not supported: the model is loaded from its repository folder")
        ok(f"{self.protocol}: load_model(add, config=KIND_GPU): {bad}; what served goes on; files=…: {files}")
        self.client.load_model("add")
        expect(self.max_batch_size() == 8, "load_model(add) again", f"max_batch_size {self.max_batch_size()}, expected the folder's (8)")
        ok(f"{self.protocol}: load_model(add) without a config: the folder's again (max_batch_size 8)")

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
