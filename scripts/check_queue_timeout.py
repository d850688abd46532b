#!/usr/bin/env python3
"""Check Triton's schedule-policy timeout of a running `ledge serve` with the real Triton client
(tritonclient[http] or tritonclient[grpc]): `infer(..., timeout=µs)`, a model's
`default_queue_policy`, and its priority levels' own policies (`infer(..., priority=N)`).

Usage: python scripts/check_queue_timeout.py --protocol http --url 127.0.0.1:8000
       python scripts/check_queue_timeout.py --protocol grpc --url 127.0.0.1:8001

The server must serve add.onnx as `add` (no config) and as `held`, whose config.pbtxt is
    max_batch_size: 8
    dynamic_batching {
      max_queue_delay_microseconds: 60000000
      default_queue_policy { default_timeout_microseconds: 30000 allow_timeout_override: true }
      priority_levels: 2 default_priority_level: 2
      priority_queue_policy { key: 1 value { default_timeout_microseconds: 10000 } }
    }
so a lone request to `held` waits in its batch queue (a minute's delay) until its timeout refuses it:
10 ms at priority 1, 30 ms (or its own shorter timeout) at 2, the default level. And as `late`, with
    max_batch_size: 8
    dynamic_batching { default_queue_policy { timeout_action: DELAY default_timeout_microseconds: 1 } }
whose requests are served after their timeout passes instead of refused.

Prints one line per check ("ok: ..."); on the first failure prints "FAIL: <check>: <why>" to
stderr and exits 1.
"""
import json
import sys

import numpy as np
from check_common import ProtocolChecks, expect, ok, protocol_arguments, run_steps


class Checks(ProtocolChecks):
    def __init__(self, args):
        super().__init__(args)
        self.a = np.array([[1, 2, 3, 4]], dtype=np.float32)
        self.b = np.array([[0.5, 0.25, 0.125, 0.0625]], dtype=np.float32)

    def inputs(self):
        made = []
        for name, value in [("a", self.a), ("b", self.b)]:
            tensor = self.module.InferInput(name, list(value.shape), "FP32")
            tensor.set_data_from_numpy(value)
            made.append(tensor)
        return made

    def metadata(self):
        meta = self.client.get_server_metadata()
        extensions = list(meta["extensions"] if self.protocol == "http" else meta.extensions)
        expect("schedule_policy" in extensions, "server metadata", f"no schedule_policy in {extensions}")
        ok(f"{self.protocol}: server metadata lists schedule_policy")

    def config(self):
        raw = self.client.get_model_config("held") if self.protocol == "http" else self.client.get_model_config("held", as_json=True)["config"]
        policy = raw.get("dynamic_batching", {}).get("default_queue_policy")
        # protobuf's JSON: uint64 as a string, zero values and the first enum value left out.
        want = ({"timeout_action": "REJECT", "default_timeout_microseconds": 30000, "allow_timeout_override": True, "max_queue_size": 0}
                if self.protocol == "http" else {"default_timeout_microseconds": "30000", "allow_timeout_override": True})
        expect(policy == want, "get_model_config(held)", f"default_queue_policy {policy}")
        batching = raw.get("dynamic_batching", {})
        levels = {key: batching.get(key) for key in ["priority_levels", "default_priority_level", "priority_queue_policy"]}
        want = ({"priority_levels": 2, "default_priority_level": 2, "priority_queue_policy": {"1": {
            "timeout_action": "REJECT", "default_timeout_microseconds": 10000, "allow_timeout_override": False, "max_queue_size": 0}}}
                if self.protocol == "http" else
                {"priority_levels": "2", "default_priority_level": "2", "priority_queue_policy": {"1": {"default_timeout_microseconds": "10000"}}})
        expect(levels == want, "get_model_config(held)", f"priority levels {levels}")
        ok(f"{self.protocol}: get_model_config(held): default_queue_policy {json.dumps(policy, sort_keys=True)}; "
           f"priorities {json.dumps(levels, sort_keys=True)}")

    def refused(self, timeout, expected, priority=0):
        what = f"infer(held{'' if timeout is None else f', timeout={timeout}'}{f', priority={priority}' if priority else ''})"
        words = self.refusal(what, lambda: self.client.infer("held", self.inputs(), timeout=timeout, priority=priority), "UNAVAILABLE",
                             f"model 'held' is busy: no instance was free within the request's timeout ({expected} µs)")
        ok(f"{self.protocol}: {what}: {words}")

    def delayed(self):
        raw = self.client.get_model_config("late") if self.protocol == "http" else self.client.get_model_config("late", as_json=True)["config"]
        action = raw.get("dynamic_batching", {}).get("default_queue_policy", {}).get("timeout_action")
        expect(action == "DELAY", "get_model_config(late)", f"timeout_action {action}")
        got = self.client.infer("late", self.inputs()).as_numpy("sum")
        expect(np.array_equal(got, self.a + self.b), "infer(late)", f"got {got}")
        ok(f"{self.protocol}: get_model_config(late): timeout_action DELAY; infer(late) past its 1 µs timeout: served, exactly a + b")

    def served(self):
        result = self.client.infer("add", self.inputs(), timeout=60_000_000)
        got = result.as_numpy("sum")
        expect(np.array_equal(got, self.a + self.b), "infer(add, timeout=60000000)", f"got {got}")
        ok(f"{self.protocol}: infer(add, timeout=60000000): exactly a + b")


def main():
    args = protocol_arguments(__doc__)
    checks = Checks(args)
    return run_steps([
        ("metadata", checks.metadata),
        ("config", checks.config),
        ("default timeout", lambda: checks.refused(None, 30000)),
        ("request timeout", lambda: checks.refused(20000, 20000)),
        ("longer than the default", lambda: checks.refused(90_000_000, 30000)),
        ("priority 1's own policy", lambda: checks.refused(None, 10000, priority=1)),
        ("priority 2, the default level", lambda: checks.refused(20000, 20000, priority=2)),
        ("a priority past the levels", lambda: checks.refused(None, 30000, priority=7)),
        ("delayed", checks.delayed),
        ("served", checks.served),
    ], f"all {args.protocol} queue timeout checks passed")


if __name__ == "__main__":
    sys.exit(main())
