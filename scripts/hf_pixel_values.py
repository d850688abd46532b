#!/usr/bin/env python3
"""The reference preprocessing of the Hugging Face-style exports: what
`transformers`' own image processors (their PIL backend, read from each
export's preprocessor_config.json by AutoImageProcessor) make of the fixture
photos, loaded as its pipelines load them (`transformers.image_utils.load_image`:
EXIF-transposed, RGB). Run with $LEDGE_HOME/venv-hf's python
(scripts/requirements-hf.txt); scripts/hf_reference_logits.py then runs the
models on these tensors with ONNX Runtime.

Usage: python scripts/hf_pixel_values.py <fixtures-dir>

Writes <fixtures-dir>/hf/reference/<export>.<image>.f32 (the float32
[1, 3, 224, 224] tensor's bytes, little-endian, C order) and pixel_values.json (the processor's class per export,
transformers' version).
"""
import json
import os
import sys

import numpy as np
import transformers
from transformers import AutoImageProcessor
from transformers.image_utils import load_image

IMAGES = ["chelsea.jpg", "coffee.jpg", "rocket.jpg", "astronaut.jpg", "chelsea_exif6.jpg", "chelsea.png", "coffee_4000x3000.jpg"]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: hf_pixel_values.py <fixtures-dir>")
    fixtures = sys.argv[1]
    root = os.path.join(fixtures, "hf")
    with open(os.path.join(root, "exports.json")) as f:
        exports = json.load(f)
    out = os.path.join(root, "reference")
    os.makedirs(out, exist_ok=True)
    index = {"transformers": transformers.__version__, "images": IMAGES, "processors": {}}
    for name in sorted(exports):
        processor = AutoImageProcessor.from_pretrained(os.path.join(root, name))
        index["processors"][name] = type(processor).__name__
        for image in IMAGES:
            pixels = processor(images=load_image(os.path.join(fixtures, "images", image)), return_tensors="np")["pixel_values"]
            assert pixels.shape == (1, 3, 224, 224), pixels.shape
            pixels.astype("<f4").tofile(os.path.join(out, f"{name.replace('/', '_')}.{image}.f32"))
    with open(os.path.join(out, "pixel_values.json"), "w") as f:
        json.dump(index, f, indent=1, sort_keys=True)
    print(f"wrote transformers {transformers.__version__} pixel values of {len(exports)} exports x {len(IMAGES)} images to {out}")


if __name__ == "__main__":
    main()
