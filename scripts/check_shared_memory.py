#!/usr/bin/env python3
"""Check Triton's shared-memory extension of a running `ledge serve --allow-client-shm` with the
real Triton client (tritonclient[http] or tritonclient[grpc]) and its shared memory utilities.

Usage: python scripts/check_shared_memory.py --protocol http --url 127.0.0.1:8000 --fixtures $LEDGE_HOME/fixtures
       python scripts/check_shared_memory.py --protocol grpc --url 127.0.0.1:8001 --fixtures ...

The server must serve mobilenet_gen.onnx and add.onnx under those names. mobilenet_gen's output
is compared with onnxruntime's for the first two images of the reference case `onnx_gen_b4`
(max abs difference 1e-5, the library tests' tolerance). Every region this script creates is
unregistered and removed, even when a check fails.

Prints one line per check ("ok: ..."); on the first failure prints "FAIL: <check>: <why>" to
stderr and exits 1.
"""
import os
import sys

import numpy as np
import tritonclient.utils.shared_memory as shm
from tritonclient.utils import InferenceServerException

from check_common import ProtocolChecks, expect, ok, reference, protocol_arguments, run_steps


class Checks(ProtocolChecks):
    def __init__(self, args):
        super().__init__(args)
        self.fixtures = args.fixtures
        self.prefix = f"/ledge-check-{args.protocol}-{os.getpid()}"
        self.handles = []

    def region(self, name, byte_size):
        handle = shm.create_shared_memory_region(name, f"{self.prefix}-{name}", byte_size, create_only=True)
        self.handles.append(handle)
        self.client.register_system_shared_memory(name, f"{self.prefix}-{name}", byte_size)
        return handle

    def cleanup(self):
        try:
            self.client.unregister_system_shared_memory()
        finally:
            for handle in self.handles:
                shm.destroy_shared_memory_region(handle)

    def status(self):
        """{name: (key, offset, byte_size)} of the registered regions."""
        if self.protocol == "http":
            return {r["name"]: (r["key"], int(r["offset"]), int(r["byte_size"])) for r in self.client.get_system_shared_memory_status()}
        regions = self.client.get_system_shared_memory_status().regions
        return {name: (r.key, int(r.offset), int(r.byte_size)) for name, r in regions.items()}

    def check_metadata(self):
        extensions = list(self.client.get_server_metadata()["extensions"] if self.protocol == "http"
                          else self.client.get_server_metadata().extensions)
        expect("system_shared_memory" in extensions, "server metadata", f"expected system_shared_memory in {extensions}")
        ok(f"{self.protocol}: server metadata lists system_shared_memory")

    def check_mobilenet(self):
        x = np.ascontiguousarray(reference(self.fixtures, "onnx_gen_b4", "inputs")[0][:2])
        want = reference(self.fixtures, "onnx_gen_b4", "outputs")[0][:2]
        # The input after 64 bytes of another tensor, to use an offset; the output in a region of its own.
        self.region("input", 64 + x.nbytes)
        shm.set_shared_memory_region(self.handles[-1], [x], offset=64)
        output = self.region("output", want.nbytes)
        regions = self.status()
        expect(regions.get("input") == (f"{self.prefix}-input", 0, 64 + x.nbytes), "status", f"got {regions}")
        expect(regions.get("output") == (f"{self.prefix}-output", 0, want.nbytes), "status", f"got {regions}")
        ok(f"{self.protocol}: registered input ({64 + x.nbytes} bytes) and output ({want.nbytes} bytes); status lists both")

        tensor = self.module.InferInput("input", list(x.shape), "FP32")
        tensor.set_shared_memory("input", x.nbytes, offset=64)
        wanted = self.module.InferRequestedOutput("output")
        wanted.set_shared_memory("output", want.nbytes)
        result = self.client.infer("mobilenet_gen", [tensor], outputs=[wanted])
        if self.protocol == "http":
            described = result.get_output("output")
            sent = "data" in described or "parameters" in described
        else:
            described = result.get_output("output")
            sent = len(result.get_response().raw_output_contents[0]) > 0
        expect(described is not None and list(described["shape"] if self.protocol == "http" else described.shape) == [2, 1000],
               "output in shared memory", f"the response describes {described}")
        expect(not sent, "output in shared memory", "the response carried the tensor too")
        y = shm.get_contents_as_numpy(output, np.float32, [2, 1000])
        worst = float(np.abs(y - want).max())
        expect(worst <= 1e-5, "mobilenet_gen via shared memory", f"differs from onnxruntime by {worst:g} (allowed 1e-05)")
        ok(f"{self.protocol}: infer(mobilenet_gen) input and output in shared memory: FP32 [2, 1000], max abs difference {worst:.1e} from onnxruntime")

        # The input from shared memory, the output in the response.
        y = self.client.infer("mobilenet_gen", [tensor], outputs=[self.module.InferRequestedOutput("output")]).as_numpy("output")
        worst = float(np.abs(y - want).max())
        expect(y.shape == (2, 1000) and worst <= 1e-5, "mobilenet_gen, output in the response", f"{y.shape}, difference {worst:g}")
        ok(f"{self.protocol}: infer(mobilenet_gen) input in shared memory, output in the response: max abs difference {worst:.1e}")

    def check_add(self):
        a = np.array([[1, 2, 3, 4]], dtype=np.float32)
        b = np.array([[10, 20, 30, 40]], dtype=np.float32)
        region = self.region("add", 48)
        shm.set_shared_memory_region(region, [a, b])
        first = self.module.InferInput("a", [1, 4], "FP32")
        first.set_shared_memory("add", 16)
        second = self.module.InferInput("b", [1, 4], "FP32")
        second.set_data_from_numpy(b)  # one input sent, one in shared memory
        wanted = self.module.InferRequestedOutput("sum")
        wanted.set_shared_memory("add", 16, offset=32)
        self.client.infer("add", [first, second], outputs=[wanted])
        total = shm.get_contents_as_numpy(region, np.float32, [1, 4], offset=32)
        expect(total.tolist() == [[11, 22, 33, 44]], "add via shared memory", f"got {total.tolist()}")
        ok(f"{self.protocol}: infer(add) a in shared memory, b sent, sum written at offset 32: {total.tolist()}")

        # A region the server does not know: the client's exception with the server's text.
        first.set_shared_memory("no_such_region", 16)
        try:
            self.client.infer("add", [first, second])
            expect(False, "unknown region", "the infer call succeeded")
        except InferenceServerException as e:
            message = e.message()
            expect(message == "input 'a': shared memory region 'no_such_region' is not registered", "unknown region", f"got {message!r}")
            ok(f"{self.protocol}: unknown region: InferenceServerException {e.status()} {message!r}")

    def check_unregister(self):
        self.client.unregister_system_shared_memory("add")
        expect(sorted(self.status()) == ["input", "output"], "unregister one", f"got {sorted(self.status())}")
        self.client.unregister_system_shared_memory()
        expect(self.status() == {}, "unregister all", f"got {self.status()}")
        ok(f"{self.protocol}: unregistered one region, then all: status empty")


def main():
    args = protocol_arguments(__doc__, "fixtures")
    checks = Checks(args)
    try:
        return run_steps([
            ("metadata", checks.check_metadata),
            ("mobilenet_gen", checks.check_mobilenet),
            ("add", checks.check_add),
            ("unregister", checks.check_unregister),
        ], f"all {args.protocol} shared memory checks passed")
    finally:
        checks.cleanup()


if __name__ == "__main__":
    sys.exit(main())
