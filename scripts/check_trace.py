#!/usr/bin/env python3
"""Check Triton's trace extension of a running `ledge serve --trace-config triton,file=FILE` with
the real Triton client (tritonclient[http] or tritonclient[grpc]): get_trace_settings and
update_trace_settings, globally and for the model `add`, then two traced infer calls.

Usage: python scripts/check_trace.py --protocol http --url 127.0.0.1:8000 --file FILE
       python scripts/check_trace.py --protocol grpc --url 127.0.0.1:8001 --file FILE

The server must serve add.onnx as `add`, started with no level, rate or count (Triton's
defaults). The model's settings are cleared again at the end, even when a check fails.

Prints one line per check ("ok: ..."); on the first failure prints "FAIL: <check>: <why>" to
stderr and exits 1.
"""
import sys

import numpy as np
from tritonclient.utils import InferenceServerException

from check_common import ProtocolChecks, expect, ok, protocol_arguments, run_steps


class Checks(ProtocolChecks):
    def __init__(self, args):
        super().__init__(args)
        self.file = args.file

    def settings(self, answer):
        """The settings as one dict of strings (trace_level a list), from either client's answer."""
        if self.protocol == "grpc":
            answer = {key: list(value.value) for key, value in answer.settings.items()}
            return {key: value if key == "trace_level" else value[0] for key, value in answer.items()}
        return answer

    def get(self, model=None):
        return self.settings(self.client.get_trace_settings(model_name=model))

    def update(self, model=None, **changes):
        return self.settings(self.client.update_trace_settings(model_name=model, settings=changes))

    def defaults(self):
        return {"trace_file": self.file, "trace_level": ["OFF"], "trace_rate": "1000", "trace_count": "-1",
                "log_frequency": "0", "trace_mode": "triton"}

    def check_get(self):
        expect(self.get() == self.defaults(), "get_trace_settings()", f"got {self.get()}")
        expect(self.get("add") == self.defaults(), "get_trace_settings('add')", f"got {self.get('add')}")
        ok(f"{self.protocol}: get_trace_settings: global and add at the start settings (level OFF, rate 1000)")

    def check_update(self):
        expected = dict(self.defaults(), trace_level=["TIMESTAMPS"], trace_rate="1", trace_count="2")
        got = self.update("add", trace_level=["TIMESTAMPS"], trace_rate="1", trace_count="2")
        expect(got == expected, "update_trace_settings('add')", f"got {got}")
        expect(self.get() == self.defaults(), "global after a model update", f"got {self.get()}")
        message = None
        try:
            self.update(trace_file="/tmp/elsewhere.json")
        except InferenceServerException as e:
            message = e.message()
        expect(message == "trace file location can not be updated through network protocol", "trace_file update", f"got {message!r}")
        ok(f"{self.protocol}: update_trace_settings('add'): TIMESTAMPS, rate 1, count 2; trace_file refused: {message!r}")

    def check_traced_infers(self):
        for n in (1, 2, 3):
            inputs = []
            for name, values in (("a", [1, 2, 3, 4]), ("b", [n, n, n, n])):
                tensor = self.module.InferInput(name, [1, 4], "FP32")
                tensor.set_data_from_numpy(np.array([values], dtype=np.float32))
                inputs.append(tensor)
            result = self.client.infer("add", inputs, request_id=f"{self.protocol}-{n}")
            expect(result.as_numpy("sum").tolist() == [[1 + n, 2 + n, 3 + n, 4 + n]], f"infer {n}", f"got {result.as_numpy('sum')}")
        expect(self.get("add")["trace_count"] == "0", "trace_count after 3 infers", f"got {self.get('add')}")
        ok(f"{self.protocol}: 3 infer calls, 2 traced: trace_count of add now 0")

    def clear(self):
        return self.update("add", trace_level=None, trace_rate=None, trace_count=None)

    def check_clear(self):
        got = self.clear()
        expect(got == self.defaults(), "clearing add's settings", f"got {got}")
        ok(f"{self.protocol}: cleared add's settings: back to the global ones")


def main():
    args = protocol_arguments(__doc__, "file")
    checks = Checks(args)
    try:
        return run_steps([
            ("get", checks.check_get),
            ("update", checks.check_update),
            ("infer", checks.check_traced_infers),
            ("clear", checks.check_clear),
        ], f"all {args.protocol} trace checks passed")
    finally:
        try:
            checks.clear()
        except Exception:
            pass


if __name__ == "__main__":
    sys.exit(main())
