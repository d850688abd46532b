#!/usr/bin/env python3
"""Compute reference outputs with the Python runtimes (onnxruntime, ai_edge_litert).

Usage: python scripts/make_references.py FIXTURES_DIR

Writes FIXTURES_DIR/reference/: raw little-endian tensors `<case>.<in|out>.<name>.bin`
and `manifest.json`:
  {"cases": {case: {"model", "inputs": [{"name","dtype","shape","file"}], "outputs": [...]}},
   "classify": {model file: {image file: [{"index", "score"}, ... top 5]}}}
"""
import json
import os
import re
import sys

import numpy as np
import onnxruntime as ort
from ai_edge_litert.interpreter import Interpreter
from PIL import Image, ImageOps

TFLITE = "efficientnet_lite0.tflite"
GEN = "mobilenet_gen.onnx"
PPOCR = "ch_ppocr_mobile_v2.0_cls_infer.onnx"
ADD = "add.onnx"
PHOTOS = ["chelsea", "coffee", "astronaut", "rocket"]
CHELSEA_VARIANTS = ["exif6.jpg", "progressive.jpg", "cmyk.jpg", "gray.jpg", "gray.png", "rgba.png",
                    "palette.png", "16bit.png", "interlaced.png"]


class Writer:
    def __init__(self, fixtures):
        self.models = os.path.join(fixtures, "models")
        self.images = os.path.join(fixtures, "images")
        self.out = os.path.join(fixtures, "reference")
        os.makedirs(self.out, exist_ok=True)
        self.cases = {}

    def tensor(self, case, role, name, array):
        array = np.ascontiguousarray(array)
        file = f"{case}.{role}.{re.sub(r'[^A-Za-z0-9_-]', '_', name)}.bin"
        tmp = os.path.join(self.out, file + ".tmp")
        with open(tmp, "wb") as f:
            f.write(array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes())
        os.replace(tmp, os.path.join(self.out, file))
        return {"name": name, "dtype": array.dtype.name, "shape": list(array.shape), "file": file}

    def case(self, case, model, inputs, outputs):
        self.cases[case] = {
            "model": model,
            "inputs": [self.tensor(case, "in", n, a) for n, a in inputs],
            "outputs": [self.tensor(case, "out", n, a) for n, a in outputs],
        }
        print(f"  {case}: {[(n, a.dtype.name, a.shape) for n, a in outputs]}")


def onnx_session(path):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])


def onnx_case(w, case, model, feeds):
    sess = onnx_session(os.path.join(w.models, model))
    names = [o.name for o in sess.get_outputs()]
    w.case(case, model, list(feeds.items()), list(zip(names, sess.run(names, feeds))))


def tflite_interpreter(path):
    interp = Interpreter(model_path=path, num_threads=1)
    interp.allocate_tensors()
    return interp


def tflite_run(interp, x):
    (inp,) = interp.get_input_details()
    interp.set_tensor(inp["index"], x)
    interp.invoke()
    return [(o["name"], interp.get_tensor(o["index"]).copy(), o) for o in interp.get_output_details()]


def load_224(path):
    with Image.open(path) as img:
        img = ImageOps.exif_transpose(img).convert("RGB")
        return np.asarray(img.resize((224, 224), Image.BILINEAR), dtype=np.uint8)


def top5(scores):
    order = np.argsort(-scores, kind="stable")[:5]
    return [{"index": int(i), "score": float(scores[i])} for i in order]


def classify_images():
    names = []
    for p in PHOTOS:
        names += [f"{p}{s}.{e}" for s in ("", "_224", "_640x480") for e in ("jpg", "png")]
        names.append(f"{p}_4000x3000.jpg")
    return names + [f"chelsea_{v}" for v in CHELSEA_VARIANTS]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_references.py FIXTURES_DIR")
    w = Writer(sys.argv[1])
    rng = np.random.default_rng(20240601)

    interp = tflite_interpreter(os.path.join(w.models, TFLITE))
    (inp,) = interp.get_input_details()
    x = rng.integers(0, 256, size=(1, 224, 224, 3), dtype=np.uint8)
    w.case("tflite_fixed", TFLITE, [(inp["name"], x)], [(n, a) for n, a, _ in tflite_run(interp, x)])

    for n in (1, 4):
        onnx_case(w, f"onnx_gen_b{n}", GEN, {"input": rng.random((n, 3, 224, 224), dtype=np.float32)})
    ppocr_input = onnx_session(os.path.join(w.models, PPOCR)).get_inputs()[0].name
    for n in (1, 4):
        x = rng.uniform(-1.0, 1.0, size=(n, 3, 48, 192)).astype(np.float32)
        onnx_case(w, f"ppocr_b{n}", PPOCR, {ppocr_input: x})
    onnx_case(w, "add_b2", ADD, {"a": rng.standard_normal((2, 4), dtype=np.float32),
                                 "b": rng.standard_normal((2, 4), dtype=np.float32)})

    classify = {TFLITE: {}, GEN: {}}
    for image in classify_images():
        ((_, out, detail),) = tflite_run(interp, load_224(os.path.join(w.images, image))[None])
        scale, zero = detail["quantization"]
        scores = (out[0].astype(np.float32) - zero) * scale if scale else out[0].astype(np.float32)
        classify[TFLITE][image] = top5(scores)
    gen = onnx_session(os.path.join(w.models, GEN))
    for image in ("chelsea.jpg", "coffee.png"):
        x = (load_224(os.path.join(w.images, image)).astype(np.float32) / 255.0).transpose(2, 0, 1)[None]
        classify[GEN][image] = top5(gen.run(None, {"input": np.ascontiguousarray(x)})[0][0])

    manifest = os.path.join(w.out, "manifest.json")
    with open(manifest + ".tmp", "w") as f:
        json.dump({"cases": w.cases, "classify": classify}, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(manifest + ".tmp", manifest)

    for image in ("chelsea.jpg", "coffee.jpg"):
        best = classify[TFLITE][image][0]
        print(f"  {TFLITE} {image}: top-1 {best['index']} score {best['score']:.4f}")
    assert classify[TFLITE]["chelsea.jpg"][0]["index"] == 285, "chelsea should be 285 (Egyptian cat)"
    assert classify[TFLITE]["coffee.jpg"][0]["index"] == 967, "coffee should be 967 (espresso)"
    print(f"  wrote {manifest}: {len(w.cases)} cases, {len(classify[TFLITE])} + {len(classify[GEN])} classify images")


if __name__ == "__main__":
    main()
