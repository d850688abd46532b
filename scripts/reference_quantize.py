#!/usr/bin/env python3
"""Calibration data for `ledge quantize` and ONNX Runtime's own quantizer on it, the reference
its tests compare with.

Usage: python scripts/reference_quantize.py <fixtures-dir>

Writes <fixtures-dir>/quantize/:
  <model>/calibration/NNN.npy  float32 inputs, one per file (np.save), for calibration
  <model>/validation/NNN.npy   other inputs, for the agreement between float and int8
  <model>/ort_int8.onnx        onnxruntime.quantization.quantize_static's model
  <model>/ort_int8_reduced.onnx  the same with reduce_range=True (7-bit weights)
  reference.json               per model: sizes, top-1 agreement and |delta| of ORT's int8 model
                               against the float one on the validation inputs, seconds taken; the
                               reduced-range model's agreement (agreement_reduce_range)

Models: mobilenet_gen.onnx (224x224 RGB in [0, 1]) and the rapidocr text-direction classifier
(48x192, (x/255 - 0.5) / 0.5). Inputs are crops and flips of scikit-image's sample photos; for the
text classifier, strips of its page and text images and the same strips turned 180 degrees.

ORT is given its best effort, as its documentation asks: the Paddle model (opset 11, weights in
Constant nodes) is converted to opset 13 first, and every model goes through quant_pre_process
(symbolic shape inference skipped: it stops on the Paddle model). Settings: QDQ, per-channel int8
weights, uint8 activations, MinMax calibration — ledge quantize's defaults.
"""
import json
import os
import shutil
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import version_converter
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                      quant_pre_process, quantize_static)
from PIL import Image
from skimage import data

PHOTOS = ["chelsea", "coffee", "astronaut", "rocket", "camera", "immunohistochemistry", "hubble_deep_field",
          "colorwheel", "coins", "moon", "clock", "brick", "grass", "gravel", "cell", "retina"]
TEXT = ["page", "text"]
# (left, top, right, bottom) as fractions of the photo.
CROPS = [(0, 0, 1, 1), (0.15, 0.15, 0.85, 0.85), (0, 0, 0.6, 0.6), (0.4, 0.4, 1, 1), (0.2, 0, 0.8, 0.6)]


def rgb(name):
    array = getattr(data, name)()
    if array.dtype != np.uint8:
        array = (array * 255).astype(np.uint8)
    image = Image.fromarray(array)
    return image.convert("RGB")


def crops(image):
    width, height = image.size
    for left, top, right, bottom in CROPS:
        piece = image.crop((int(left * width), int(top * height), int(right * width), int(bottom * height)))
        yield piece
        yield piece.transpose(Image.FLIP_LEFT_RIGHT)


def mobilenet_inputs():
    for name in PHOTOS:
        for piece in crops(rgb(name)):
            resized = piece.resize((224, 224), Image.BILINEAR)
            yield (np.asarray(resized, dtype=np.float32).transpose(2, 0, 1) / 255.0)[None]


def classifier_inputs():
    def strip(image):
        resized = image.resize((192, 48), Image.BILINEAR)
        return ((np.asarray(resized, dtype=np.float32).transpose(2, 0, 1) / 255.0 - 0.5) / 0.5)[None]

    for name in TEXT:
        image = rgb(name)
        width, height = image.size
        band = height // 3
        for top in np.linspace(0, height - band, 6).astype(int):
            for left in np.linspace(0, width - 4 * band, 3).astype(int):
                piece = image.crop((left, top, left + 4 * band, top + band))
                yield strip(piece)
                yield strip(piece.rotate(180))
    for name in PHOTOS[:8]:
        image = rgb(name)
        width, height = image.size
        band = image.crop((0, height // 3, width, height // 3 + width // 4))
        yield strip(band)
        yield strip(band.rotate(180))


def save_inputs(folder, inputs):
    """Half the inputs (a seeded shuffle) for calibration, the other half for validation."""
    for part in ("calibration", "validation"):
        shutil.rmtree(os.path.join(folder, part), ignore_errors=True)
        os.makedirs(os.path.join(folder, part))
    counts = {"calibration": 0, "validation": 0}
    tensors = list(inputs)
    order = np.random.default_rng(7).permutation(len(tensors))
    for rank, index in enumerate(order):
        tensor = tensors[index]
        part = "calibration" if rank % 2 == 0 else "validation"
        np.save(os.path.join(folder, part, f"{counts[part]:03d}.npy"), tensor.astype(np.float32))
        counts[part] += 1
    return counts


class Reader(CalibrationDataReader):
    def __init__(self, folder, input_name):
        self.files = sorted(os.path.join(folder, f) for f in os.listdir(folder))
        self.input_name = input_name

    def get_next(self):
        if not self.files:
            return None
        return {self.input_name: np.load(self.files.pop(0))}


def session(path):
    options = ort.SessionOptions()
    options.log_severity_level = 3
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def agreement(float_path, int8_path, folder):
    a, b = session(float_path), session(int8_path)
    name = a.get_inputs()[0].name
    same = rows = 0
    deltas = []
    for file in sorted(os.listdir(folder)):
        x = np.load(os.path.join(folder, file))
        p, q = a.run(None, {name: x})[0], b.run(None, {name: x})[0]
        rows += p.shape[0]
        same += int((p.argmax(axis=-1) == q.argmax(axis=-1)).sum())
        deltas.append(np.abs(p - q).ravel())
    deltas = np.concatenate(deltas)
    return {"inputs": rows, "top1_percent": 100.0 * same / rows, "mean_abs_diff": float(deltas.mean()),
            "max_abs_diff": float(deltas.max())}


def ort_quantize(model_path, folder, output, reduce_range=False):
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as work:
        model = onnx.load(model_path)
        opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
        if opset < 13:
            model = version_converter.convert_version(model, 13)
        converted = os.path.join(work, "opset13.onnx")
        onnx.save(model, converted)
        prepared = os.path.join(work, "prepared.onnx")
        quant_pre_process(converted, prepared, skip_symbolic_shape=True)
        name = session(prepared).get_inputs()[0].name
        quantize_static(prepared, output + ".tmp", Reader(os.path.join(folder, "calibration"), name),
                        quant_format=QuantFormat.QDQ, per_channel=True, activation_type=QuantType.QUInt8,
                        weight_type=QuantType.QInt8, calibrate_method=CalibrationMethod.MinMax, reduce_range=reduce_range)
        os.replace(output + ".tmp", output)
    return time.perf_counter() - started, opset


def main():
    fixtures = sys.argv[1]
    root = os.path.join(fixtures, "quantize")
    models = {
        "mobilenet_gen": (os.path.join(fixtures, "models", "mobilenet_gen.onnx"), mobilenet_inputs),
        "ppocr_cls": (os.path.join(fixtures, "models", "ch_ppocr_mobile_v2.0_cls_infer.onnx"), classifier_inputs),
    }
    report = {"onnxruntime": ort.__version__, "onnx": onnx.__version__, "models": {}}
    for key, (path, inputs) in models.items():
        folder = os.path.join(root, key)
        counts = save_inputs(folder, inputs())
        output = os.path.join(folder, "ort_int8.onnx")
        seconds, opset = ort_quantize(path, folder, output)
        entry = {"model": path, "opset": opset, "calibration_inputs": counts["calibration"],
                 "size_float": os.path.getsize(path), "size_int8": os.path.getsize(output), "seconds": seconds,
                 "agreement": agreement(path, output, os.path.join(folder, "validation"))}
        reduced = os.path.join(folder, "ort_int8_reduced.onnx")
        ort_quantize(path, folder, reduced, reduce_range=True)
        entry["agreement_reduce_range"] = agreement(path, reduced, os.path.join(folder, "validation"))
        report["models"][key] = entry
        print(f"  {key}: {entry['size_float']} -> {entry['size_int8']} bytes, "
              f"top-1 agreement {entry['agreement']['top1_percent']:.1f}% over {entry['agreement']['inputs']} "
              f"({entry['agreement_reduce_range']['top1_percent']:.1f}% with reduce_range), "
              f"{seconds:.1f} s")
    with open(os.path.join(root, "reference.json.tmp"), "w") as f:
        json.dump(report, f, indent=2, sort_keys=True)
    os.replace(os.path.join(root, "reference.json.tmp"), os.path.join(root, "reference.json"))


if __name__ == "__main__":
    main()
