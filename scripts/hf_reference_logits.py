#!/usr/bin/env python3
"""ONNX Runtime's logits for the Hugging Face-style exports on transformers'
pixel values (scripts/hf_pixel_values.py): the reference `ledge classify`'s
scores are compared with.

Usage: python scripts/hf_reference_logits.py <fixtures-dir>

Writes <fixtures-dir>/hf/reference/logits.json: {export: {image: [5 logits]}}.
"""
import json
import os
import sys

import numpy as np
import onnxruntime as ort


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: hf_reference_logits.py <fixtures-dir>")
    root = os.path.join(sys.argv[1], "hf")
    with open(os.path.join(root, "exports.json")) as f:
        exports = json.load(f)
    with open(os.path.join(root, "reference", "pixel_values.json")) as f:
        images = json.load(f)["images"]
    logits = {}
    for name, model in sorted(exports.items()):
        session = ort.InferenceSession(os.path.join(root, name, model), providers=["CPUExecutionProvider"])
        logits[name] = {}
        for image in images:
            file = os.path.join(root, "reference", f"{name.replace('/', '_')}.{image}.f32")
            pixels = np.fromfile(file, dtype="<f4").reshape(1, 3, 224, 224)
            logits[name][image] = [float(v) for v in session.run(["logits"], {"pixel_values": pixels})[0][0]]
    with open(os.path.join(root, "reference", "logits.json"), "w") as f:
        json.dump({"onnxruntime": ort.__version__, "logits": logits}, f, indent=1, sort_keys=True)
    print(f"wrote ONNX Runtime {ort.__version__} logits of {len(exports)} exports to {root}/reference/logits.json")


if __name__ == "__main__":
    main()
