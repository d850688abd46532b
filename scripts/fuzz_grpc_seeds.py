#!/usr/bin/env python3
"""Writes the seeds of the FuzzGRPC target (Fuzz/Corpus/FuzzGRPC/): serialized ModelInferRequest messages
for the fuzz model of LedgeFuzzing's RequestTarget (x FP32 [-1,4], mask BOOL [-1], ids INT64 [1,-1],
pix UINT8 [2,2,3], h FP16 [-1,-1,-1], s INT8 [], d FP64 [3], u UINT32 [-1]), made with tritonclient's own
protocol classes. The seeds are committed; rerun after changing them:

    .ledge/venv-grpc/bin/python scripts/fuzz_grpc_seeds.py Fuzz/Corpus/FuzzGRPC
"""
import os
import sys

import numpy as np
import tritonclient.grpc.service_pb2 as pb

INPUTS = [("x", "FP32", [1, 4], np.array([0.5, -1e3, 3e38, 4], np.float32)),
          ("mask", "BOOL", [3], np.array([True, False, True])),
          ("ids", "INT64", [1, 2], np.array([2**53 + 1, -2**63], np.int64)),
          ("pix", "UINT8", [2, 2, 3], np.arange(12, dtype=np.uint8)),
          ("h", "FP16", [1, 1, 2], np.array([65504, 1], np.float16)),
          ("s", "INT8", [], np.array([-128], np.int8)),
          ("d", "FP64", [3], np.array([1e308, -0.0, 5e-324], np.float64)),
          ("u", "UINT32", [2], np.array([0, 4294967295], np.uint32))]

TYPED = {"FP32": "fp32_contents", "BOOL": "bool_contents", "INT64": "int64_contents", "UINT8": "uint_contents",
         "INT8": "int_contents", "FP64": "fp64_contents", "UINT32": "uint_contents"}


def request(raw=True, typed_fp16=False, skip=(), outputs=()):
    message = pb.ModelInferRequest(model_name="fuzz", model_version="1", id="seed")
    for name, datatype, shape, values in INPUTS:
        if name in skip:
            continue
        tensor = message.inputs.add(name=name, datatype=datatype, shape=shape)
        if raw:
            message.raw_input_contents.append(values.tobytes())
        elif datatype in TYPED:
            getattr(tensor.contents, TYPED[datatype]).extend(values.tolist())
        elif typed_fp16:
            tensor.contents.fp32_contents.extend(values.astype(np.float32).tolist())
    for name, parameters in outputs:
        output = message.outputs.add(name=name)
        for key, value in parameters.items():
            if isinstance(value, str):
                output.parameters[key].string_param = value
            else:
                output.parameters[key].int64_param = value
    return message


def shared_memory():
    message = request(skip=("x", "d"), outputs=[("x", {"shared_memory_region": "r8", "shared_memory_byte_size": 32,
                                                       "shared_memory_offset": 8}), ("u", {})])
    for name, datatype, shape, region, size in (("x", "FP32", [2, 4], "r", 32), ("d", "FP64", [3], "r8", 24)):
        tensor = message.inputs.add(name=name, datatype=datatype, shape=shape)
        tensor.parameters["shared_memory_region"].string_param = region
        tensor.parameters["shared_memory_byte_size"].int64_param = size
    return message


def strings():
    message = pb.ModelInferRequest(model_name="fuzz")
    message.inputs.add(name="x", datatype="BYTES", shape=[2]).contents.bytes_contents.extend([b"a", b"\xff\x00"])
    return message


SEEDS = {
    "all-raw.bin": request(outputs=[("x", {}), ("u", {"classification": 1})]),
    "all-typed.bin": request(raw=False, skip=("h",)),
    "typed-fp16.bin": request(raw=False, typed_fp16=True),
    "classification.bin": request(outputs=[("d", {"classification": 2}), ("pix", {"classification": 3})]),
    "shared-memory.bin": shared_memory(),
    "mask-output.bin": request(outputs=[("mask", {})]),
    "bytes-contents.bin": strings(),
}


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "Fuzz/Corpus/FuzzGRPC"
    os.makedirs(folder, exist_ok=True)
    for name, message in SEEDS.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(message.SerializeToString())
    # Raw entries that do not match the inputs: one entry short.
    short = request()
    del short.raw_input_contents[-1]
    with open(os.path.join(folder, "raw-count-short.bin"), "wb") as f:
        f.write(short.SerializeToString())
    print(f"{len(SEEDS) + 1} seeds in {folder}")


if __name__ == "__main__":
    main()
