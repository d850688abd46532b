#!/usr/bin/env python3
"""Write deliberately bad model files for Ledge's robustness and validator tests.

Usage: python scripts/make_bad_models.py OUTDIR [--check]

The TFLite files are copies of $LEDGE_HOME/fixtures/models/efficientnet_lite0.tflite
(LEDGE_HOME defaults to <repo>/.ledge) with ONE field of the parsed flatbuffer
changed in place (same file size). Indices are subgraph 0's; before writing, the
script checks the tensor name / operator code and the old value, so a different
fixture fails loudly instead of producing a wrong file.

  crash_runtime.tflite  operators[1] (CONV_2D, opcode_index 0) inputs[1]: 19 -> -1
                        (its filter, tensor 19, becomes "omitted optional input").
                        Passes Ledge's structural checks (-1 is the schema's marker for
                        an omitted input) and touches no quantization parameter.
                        libLiteRt.so dies with SIGSEGV in LiteRtCreateCompiledModel;
                        ai_edge_litert's Interpreter with SIGSEGV in allocate_tensors.
  zero_point_out_of_range.tflite
                        tensors[0] "images_int8" (INT8, per-tensor) zero_point[0]: 3 -> 200
  quant_length_mismatch.tflite
                        tensors[19] (INT8 stem conv filter [32,3,3,3], 32 scales):
                        length of the zero_point vector: 32 -> 16 (scale keeps 32)
  bad_scale.tflite      tensors[0] "images_int8" scale[0]: 0.012566017 -> 0.0
  bad_quantized_dimension.tflite
                        tensors[53] (INT8 depthwise filter [1,3,3,32], 32 scales)
                        quantized_dimension: 3 -> 4 (rank is 4)

The ONNX files are our own graphs (opset 13, IR 8) with add.onnx's interface:
inputs `a`, `b` float32 [N,4] -> output `sum` float32 [N,4].

  hang.onnx             sum = Loop(trip count 2**62, cond true, v = a) { v += b }:
                        about 0.9 M iterations/s in onnxruntime 1.31 on one thread, i.e.
                        it never finishes; memory stays flat (~55 MB RSS).
  memory_hog.onnx       sum = ReduceMax(Expand(Unsqueeze(a + b, 1), [1, 2**28, 1]), axis 1)
                        (= a + b): the Expand output is N x 4 GiB of float32, allocated on
                        the first run. Under RLIMIT_AS = 1 GiB onnxruntime returns an error
                        status (BFCArena "Failed to allocate memory for requested buffer").

--check runs every file in child processes (ai_edge_litert Interpreter: allocate_tensors,
zero input, invoke; onnxruntime CPU, one thread) and prints what happened.
"""
import os
import signal
import struct
import subprocess
import sys
import time

import onnx
from onnx import TensorProto, helper

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = os.path.join(os.environ.get("LEDGE_HOME", os.path.join(REPO, ".ledge")),
                      "fixtures", "models", "efficientnet_lite0.tflite")

# Field slots from TFLite's schema.fbs (vtable entry = 4 + 2 * slot).
MODEL_OPERATOR_CODES, MODEL_SUBGRAPHS = 1, 2
OPCODE_DEPRECATED_BUILTIN, OPCODE_BUILTIN = 0, 3
SUBGRAPH_TENSORS, SUBGRAPH_OPERATORS = 0, 3
TENSOR_SHAPE, TENSOR_TYPE, TENSOR_NAME, TENSOR_QUANTIZATION = 0, 1, 3, 4
QUANT_SCALE, QUANT_ZERO_POINT, QUANT_DIMENSION = 2, 3, 6
OPERATOR_OPCODE_INDEX, OPERATOR_INPUTS = 0, 1
CONV_2D, INT8 = 3, 9


class Table:
    """A flatbuffer table at absolute offset `pos` of `buf` (little-endian, read only)."""

    def __init__(self, buf, pos):
        self.buf, self.pos = buf, pos

    def field(self, slot):
        """Absolute offset of field `slot`, or None when it is absent (default value)."""
        vtable = self.pos - struct.unpack_from("<i", self.buf, self.pos)[0]
        entry = 4 + 2 * slot
        if entry >= struct.unpack_from("<H", self.buf, vtable)[0]:
            return None
        offset = struct.unpack_from("<H", self.buf, vtable + entry)[0]
        return self.pos + offset if offset else None

    def scalar(self, slot, fmt, default=0):
        p = self.field(slot)
        return default if p is None else struct.unpack_from("<" + fmt, self.buf, p)[0]

    def vector(self, slot):
        """(offset of the length word, element count); the elements follow the length word."""
        p = self.field(slot)
        if p is None:
            raise ValueError(f"field {slot} is absent")
        start = p + struct.unpack_from("<I", self.buf, p)[0]
        return start, struct.unpack_from("<I", self.buf, start)[0]

    def values(self, slot, fmt):
        start, count = self.vector(slot)
        return list(struct.unpack_from(f"<{count}{fmt}", self.buf, start + 4))

    def element(self, slot, index, fmt):
        start, count = self.vector(slot)
        assert index < count
        return start + 4 + index * struct.calcsize(fmt)

    def tables(self, slot):
        start, count = self.vector(slot)
        return [Table(self.buf, p + struct.unpack_from("<I", self.buf, p)[0])
                for p in range(start + 4, start + 4 + 4 * count, 4)]

    def table(self, slot):
        p = self.field(slot)
        return None if p is None else Table(self.buf, p + struct.unpack_from("<I", self.buf, p)[0])

    def string(self, slot):
        start, count = self.vector(slot)
        return bytes(self.buf[start + 4:start + 4 + count]).decode()


def tflite_edits(buf):
    """{file name: (absolute offset, struct format, expected old value or None, new value)}."""
    model = Table(buf, struct.unpack_from("<I", buf, 0)[0])
    subgraph = model.tables(MODEL_SUBGRAPHS)[0]
    tensors, operators = subgraph.tables(SUBGRAPH_TENSORS), subgraph.tables(SUBGRAPH_OPERATORS)

    def tensor(index, name_prefix, shape):
        t = tensors[index]
        assert t.string(TENSOR_NAME).startswith(name_prefix) and t.scalar(TENSOR_TYPE, "b") == INT8
        assert t.values(TENSOR_SHAPE, "i") == shape, t.values(TENSOR_SHAPE, "i")
        return t.table(TENSOR_QUANTIZATION)

    conv = operators[1]
    code = model.tables(MODEL_OPERATOR_CODES)[conv.scalar(OPERATOR_OPCODE_INDEX, "I")]
    assert max(code.scalar(OPCODE_BUILTIN, "i"), code.scalar(OPCODE_DEPRECATED_BUILTIN, "b")) == CONV_2D
    images = tensor(0, "images_int8", [1, 224, 224, 3])
    stem_filter = tensor(19, "efficientnet-lite0/model/stem/", [32, 3, 3, 3])
    depthwise = tensor(53, "efficientnet-lite0/model/blocks_0/", [1, 3, 3, 32])
    assert stem_filter.vector(QUANT_SCALE)[1] == 32
    return {
        "crash_runtime.tflite": (conv.element(OPERATOR_INPUTS, 1, "i"), "i", 19, -1),
        "zero_point_out_of_range.tflite": (images.element(QUANT_ZERO_POINT, 0, "q"), "q", 3, 200),
        "quant_length_mismatch.tflite": (stem_filter.vector(QUANT_ZERO_POINT)[0], "I", 32, 16),
        "bad_scale.tflite": (images.element(QUANT_SCALE, 0, "f"), "f", None, 0.0),
        "bad_quantized_dimension.tflite": (depthwise.field(QUANT_DIMENSION), "i", 3, 4),
    }


def io_and_finish(name, nodes, initializers, doc):
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["N", 4]) for n in ("a", "b")],
        [helper.make_tensor_value_info("sum", TensorProto.FLOAT, ["N", 4])], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="ledge-make_bad_models", producer_version="1")
    model.ir_version = 8
    model.doc_string = doc
    onnx.checker.check_model(model, full_check=True)
    return model.SerializeToString()


def hang_model():
    scalar = lambda n, t: helper.make_tensor_value_info(n, t, [])
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("Add", ["v_in", "b"], ["v_out"])],  # `b` from the outer graph
        "body",
        [scalar("i", TensorProto.INT64), scalar("cond_in", TensorProto.BOOL),
         helper.make_tensor_value_info("v_in", TensorProto.FLOAT, ["N", 4])],
        [scalar("cond_out", TensorProto.BOOL), helper.make_tensor_value_info("v_out", TensorProto.FLOAT, ["N", 4])])
    return io_and_finish(
        "hang", [helper.make_node("Loop", ["trip_count", "cond", "a"], ["sum"], body=body)],
        [helper.make_tensor("trip_count", TensorProto.INT64, [], [2 ** 62]),
         helper.make_tensor("cond", TensorProto.BOOL, [], [True])],
        "sum = a + 2**62 * b by a Loop of 2**62 Adds: never finishes (Ledge test fixture)")


def memory_hog_model():
    return io_and_finish(
        "memory_hog",
        [helper.make_node("Add", ["a", "b"], ["ab"]),
         helper.make_node("Unsqueeze", ["ab", "axis1"], ["ab3"]),
         helper.make_node("Expand", ["ab3", "huge_shape"], ["huge"]),  # [N, 2**28, 4] float32
         helper.make_node("ReduceMax", ["huge"], ["sum"], axes=[1], keepdims=0)],
        [helper.make_tensor("axis1", TensorProto.INT64, [1], [1]),
         helper.make_tensor("huge_shape", TensorProto.INT64, [3], [1, 2 ** 28, 1])],
        "sum = a + b through a [N, 2**28, 4] Expand: N x 4 GiB (Ledge test fixture)")


def write_atomic(path, data):
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)


# --- --check: run each file in a child process -------------------------------------------

TFLITE_CHILD = """
import sys, numpy as np
from ai_edge_litert.interpreter import Interpreter
it = Interpreter(model_path=sys.argv[1], num_threads=1)
it.allocate_tensors()
for d in it.get_input_details():
    it.set_tensor(d["index"], np.zeros(d["shape"], d["dtype"]))
it.invoke()
print("ran")
"""
ORT_CHILD = """
import resource, sys
if len(sys.argv) > 2:
    resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[2]), int(sys.argv[2])))
import numpy as np, onnxruntime as ort
o = ort.SessionOptions(); o.intra_op_num_threads = 1; o.inter_op_num_threads = 1; o.log_severity_level = 4
s = ort.InferenceSession(sys.argv[1], o, providers=["CPUExecutionProvider"])
a = np.ones((2, 4), np.float32)
print("ran", s.run(None, {"a": a, "b": a})[0].shape)
"""


def outcome(proc, out):
    if proc.returncode < 0:
        return f"killed by {signal.Signals(-proc.returncode).name}"
    lines = [l for l in out.strip().splitlines() if "XNNPACK delegate for CPU" not in l]
    last = lines[-1] if lines else ""
    return f"exit {proc.returncode}: {last if len(last) < 240 else last[:100] + ' ... ' + last[-130:]}"


def run_child(code, *args, timeout=None):
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=timeout)
    return f"{outcome(proc, proc.stdout + proc.stderr)} ({time.monotonic() - start:.2f} s)"


def check(outdir):
    for name in ["crash_runtime.tflite"] * 3 + ["zero_point_out_of_range.tflite", "quant_length_mismatch.tflite",
                                                "bad_scale.tflite", "bad_quantized_dimension.tflite"]:
        print(f"  {name}: {run_child(TFLITE_CHILD, os.path.join(outdir, name))}")
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-c", ORT_CHILD, os.path.join(outdir, "hang.onnx")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        proc.wait(timeout=10)
        print(f"  hang.onnx: finished early: {outcome(proc, proc.stdout.read())}")
    except subprocess.TimeoutExpired:
        with open(f"/proc/{proc.pid}/status") as f:
            rss = next(l.split(":")[1].strip() for l in f if l.startswith("VmRSS"))
        proc.kill()
        proc.wait()
        print(f"  hang.onnx: still running after {time.monotonic() - start:.1f} s (RSS {rss}); killed")
    print(f"  memory_hog.onnx under RLIMIT_AS 1 GiB: "
          f"{run_child(ORT_CHILD, os.path.join(outdir, 'memory_hog.onnx'), str(1 << 30), timeout=120)}")


def main():
    args = [a for a in sys.argv[1:] if a != "--check"]
    if len(args) != 1:
        sys.exit("usage: make_bad_models.py OUTDIR [--check]")
    outdir = args[0]
    os.makedirs(outdir, exist_ok=True)
    with open(SOURCE, "rb") as f:
        source = f.read()
    for name, (offset, fmt, old, new) in tflite_edits(source).items():
        buf = bytearray(source)
        current = struct.unpack_from("<" + fmt, buf, offset)[0]
        assert old is None or current == old, f"{name}: expected {old} at byte {offset}, found {current}"
        struct.pack_into("<" + fmt, buf, offset, new)
        write_atomic(os.path.join(outdir, name), bytes(buf))
        print(f"  {name}: byte {offset}: {current} -> {new}")
    write_atomic(os.path.join(outdir, "hang.onnx"), hang_model())
    write_atomic(os.path.join(outdir, "memory_hog.onnx"), memory_hog_model())
    print(f"  wrote hang.onnx, memory_hog.onnx into {outdir}")
    if "--check" in sys.argv[1:]:
        check(outdir)


if __name__ == "__main__":
    main()
