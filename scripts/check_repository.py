#!/usr/bin/env python3
"""Check Triton's model repository extension of a running `ledge serve --model-control-mode
explicit` with the real Triton client (tritonclient[http] or tritonclient[grpc]): the index,
load_model, unload_model (which the clients always send with `unload_dependents`), a config
sent with the load (Triton's JSON config, used instead of the folder's until a load without one;
a bad one refused with what served going on; Triton's own dump of a config, every field written, taken)
and model files sent with it (`files=`: add_one.onnx
pushed as `add`, served instead of the folder's until a load without files, and as a model the
repository does not have; a broken one refused by its file's name).

Usage: python scripts/check_repository.py --protocol http --url 127.0.0.1:8000 --add-one add_one.onnx
       python scripts/check_repository.py --protocol grpc --url 127.0.0.1:8001 --add-one add_one.onnx

The server's repository must hold add.onnx as `add`, not loaded at start (no --load-model).
It is loaded, checked by an inference, unloaded, and left unloaded (so the check may run again,
over the other protocol); the pushed model `pushed_<protocol>` is unloaded too.

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
        # Models pushed by an earlier run (over the other protocol) stay listed, unloaded.
        expect(index.get("add") in ("", "UNAVAILABLE") and all(index[n] == "UNAVAILABLE" for n in index if n != "add"),
               "repository index", f"expected add, not loaded (never, or unloaded by an earlier run), got {index}")
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

    def sum(self, model):
        inputs = []
        for name in ["a", "b"]:
            tensor = self.module.InferInput(name, [1, 4], "FP32")
            tensor.set_data_from_numpy(np.array([[1, 2, 3, 4]], dtype=np.float32))
            inputs.append(tensor)
        return self.client.infer(model, inputs).as_numpy("sum").tolist()

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
        ok(f"{self.protocol}: load_model(add, config=KIND_GPU): {bad}; what served goes on")
        self.client.load_model("add")
        expect(self.max_batch_size() == 8, "load_model(add) again", f"max_batch_size {self.max_batch_size()}, expected the folder's (8)")
        ok(f"{self.protocol}: load_model(add) without a config: the folder's again (max_batch_size 8)")

    def dump(self):
        # A config as Triton dumps it (GET /v2/models/add/config of a tritonserver 2.41 serving add.onnx
        # with dynamic batching): every field written, those Ledge has no work for at their defaults,
        # and a parameter of Triton's ONNX Runtime backend that Ledge does not read.
        dump = {
            "name": "add", "platform": "onnxruntime_onnx", "backend": "onnxruntime", "runtime": "",
            "version_policy": {"latest": {"num_versions": 1}}, "max_batch_size": 4,
            "input": [{"name": name, "data_type": "TYPE_FP32", "format": "FORMAT_NONE", "dims": [4], "is_shape_tensor": False,
                       "allow_ragged_batch": False, "optional": False, "is_non_linear_format_io": False} for name in ("a", "b")],
            "output": [{"name": "sum", "data_type": "TYPE_FP32", "dims": [4], "label_filename": "", "is_shape_tensor": False,
                        "is_non_linear_format_io": False}],
            "batch_input": [], "batch_output": [],
            "optimization": {"priority": "PRIORITY_DEFAULT", "input_pinned_memory": {"enable": True},
                             "output_pinned_memory": {"enable": True}, "gather_kernel_buffer_threshold": 0, "eager_batching": False},
            "dynamic_batching": {"preferred_batch_size": [], "max_queue_delay_microseconds": 0, "preserve_ordering": False,
                                 "priority_levels": 0, "default_priority_level": 0,
                                 "default_queue_policy": {"timeout_action": "REJECT", "default_timeout_microseconds": 0,
                                                          "allow_timeout_override": False, "max_queue_size": 0},
                                 "priority_queue_policy": {}},
            "instance_group": [{"name": "add_0", "kind": "KIND_CPU", "count": 1, "gpus": [], "secondary_devices": [], "profile": [],
                                "passive": False, "host_policy": ""}],
            "default_model_filename": "model.onnx", "cc_model_filenames": {}, "metric_tags": {},
            "parameters": {"enable_mem_arena": {"string_value": "1"}}, "model_warmup": [],
            "model_transaction_policy": {"decoupled": False}, "response_cache": {"enable": False},
        }
        self.client.load_model("add", config=json.dumps(dump))
        expect(self.max_batch_size() == 4, "load_model(add, config=Triton's dump)", f"max_batch_size {self.max_batch_size()}")
        expect(np.array_equal(self.batch(4), np.full((4, 4), 2, dtype=np.float32)), "infer(add) batch 4 after Triton's dump")
        dump["response_cache"] = {"enable": True}
        cache = self.refusal("load_model(add, config=response_cache on)",
                             lambda: self.client.load_model("add", config=json.dumps(dump)),
                             "INVALID_ARGUMENT", "load parameter 'config': field 'response_cache.enable' is true: expected false "
                             "(ledge takes Triton's 'response_cache' only when it is off)")
        expect(self.max_batch_size() == 4, "a refused config", "changed what serves")
        ok(f"{self.protocol}: load_model(add, config=Triton's own dump): max_batch_size 4, a batch of 4 served; "
           f"with the response cache on: {cache}")
        self.client.load_model("add")

    def files(self):
        # Model files sent with the load (Triton's file: parameters): add_one.onnx (a + b + 1) as add.
        with open(self.args.add_one, "rb") as f:
            add_one = f.read()
        files = {"file:1/model.onnx": add_one}
        self.client.load_model("add", config=json.dumps({"max_batch_size": 4}), files=files)
        got = self.sum("add")
        expect(got == [[3, 5, 7, 9]], "load_model(add, files=add_one.onnx)", f"infer gave {got}, expected a + b + 1")
        expect(self.max_batch_size() == 4, "load_model(add, files=…)", f"max_batch_size {self.max_batch_size()}")
        pushed = f"pushed_{self.protocol}"
        self.client.load_model(pushed, config="{}", files=files)
        expect(self.sum(pushed) == [[3, 5, 7, 9]] and self.index().get(pushed) == "READY", f"load_model({pushed}, files=…)")
        ok(f"{self.protocol}: load_model(add, config=…, files=add_one.onnx): served a + b + 1 with the config's max_batch_size 4; "
           f"{pushed}, not in the repository, loaded from its files, index READY")
        broken = self.refusal(f"load_model({pushed}, files=broken)",
                              lambda: self.client.load_model(pushed, config="{}", files={"file:1/model.onnx": b"not a model"}),
                              "INVALID_ARGUMENT", "file:1/model.onnx: not a TFLite or ONNX model (expected 'TFL3' at bytes 4-7 "
                              "or an ONNX protobuf); it looks like a text file")
        expect(self.sum(pushed) == [[3, 5, 7, 9]], "a refused load's files", "changed what serves")
        bare = self.refusal("load_model(add, files=…) without config",
                            lambda: self.client.load_model("add", files=files),
                            "INVALID_ARGUMENT", "load parameter 'file:1/model.onnx' needs the load's 'config' parameter: files sent "
                            "with a load form the model's folder, and its configuration comes as JSON in 'config'")
        ok(f"{self.protocol}: broken files: {broken}; what served goes on; files without a config: {bare}")
        self.client.load_model("add")
        expect(self.sum("add") == [[2, 4, 6, 8]], "load_model(add) after files", "not the folder's a + b")
        self.client.unload_model(pushed)
        expect(not self.client.is_model_ready(pushed), f"unload_model({pushed})", "still ready")
        ok(f"{self.protocol}: load_model(add) without files: the folder's a + b again; unload_model({pushed}): not ready")

    def unload(self):
        self.client.unload_model("add")
        expect(not self.client.is_model_ready("add"), "unload_model(add)", "still ready")
        state = self.index()["add"]
        expect(state == "UNAVAILABLE", "repository index after the unload", f"state {state!r}")
        ok(f"{self.protocol}: unload_model(add) (unload_dependents sent): not ready, index UNAVAILABLE")


def main():
    args = protocol_arguments(__doc__, "add-one")
    checks = Checks(args)
    return run_steps([
        ("index", checks.states),
        ("load", checks.load),
        ("config", checks.config),
        ("dump", checks.dump),
        ("files", checks.files),
        ("unload", checks.unload),
    ], f"all {args.protocol} repository checks passed")


if __name__ == "__main__":
    sys.exit(main())
