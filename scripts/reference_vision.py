#!/usr/bin/env python3
"""Pillow's view of the fixture images, the reference for LedgeVision's tests.

Usage: python scripts/reference_vision.py <fixtures-dir>

Reads <fixtures-dir>/images/*.{jpg,png} and writes <fixtures-dir>/reference/vision/:
  index.json            per image: size, files below, or the error Pillow raised
  <image>.rgb.bin       decoded, EXIF-transposed, RGB, uint8 HxWx3 (images up to 4 MP)
  <image>.WxH.bin       that RGB image resized with Image.BILINEAR to WxH
  <image>.draft224.bin  JPEGs: decoded with draft('RGB', (224, 224)) (DCT
                        scaling), EXIF-transposed, then resized to 224x224
  <image>.<FILTER>.WxH.bin  chelsea.png resized with Pillow's other filters
                        (a model's preprocessor_config.json may name them)

Pillow reads 16-bit grayscale PNGs as mode I;16 and its convert('RGB') clips
values to 255 (a known quirk); like Ledge, this reference keeps the high byte
instead, as Pillow itself does for 16-bit RGB PNGs.
"""
import json
import os
import sys

import numpy as np
from PIL import Image, ImageOps, __version__ as pillow_version

MAX_DECODED_PIXELS = 4_000_000
# Extra resizes: non-square, upscaling, one axis only.
EXTRA = {
    "chelsea.png": [(500, 400), (451, 100), (100, 300), (37, 23), (1000, 700)],
    "chelsea_224.png": [(500, 333)],
}


def to_rgb(im):
    im = ImageOps.exif_transpose(im)
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        a = np.clip(np.asarray(im).astype(np.int64) >> 8, 0, 255).astype(np.uint8)
        return np.stack([a, a, a], axis=-1)
    return np.asarray(im.convert("RGB"))


# Pillow's other filters, by Hugging Face's `resample` name, for chelsea.png: down, up, mixed.
FILTERS = ["NEAREST", "BOX", "HAMMING", "BICUBIC", "LANCZOS"]
FILTERED = {"chelsea.png": [(224, 224), (500, 400), (37, 23), (451, 100)]}


def resize(rgb, w, h, resample=Image.BILINEAR):
    return np.asarray(Image.fromarray(rgb, "RGB").resize((w, h), resample))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: reference_vision.py <fixtures-dir>")
    fixtures = sys.argv[1]
    images = os.path.join(fixtures, "images")
    out = os.path.join(fixtures, "reference", "vision")
    os.makedirs(out, exist_ok=True)
    index = {"pillow": pillow_version, "images": {}}

    def save(array, file):
        np.ascontiguousarray(array, dtype=np.uint8).tofile(os.path.join(out, file))
        return file

    for name in sorted(os.listdir(images)):
        if not name.lower().endswith((".jpg", ".jpeg", ".png")):
            continue
        path = os.path.join(images, name)
        try:
            with Image.open(path) as im:
                im.load()
                rgb = to_rgb(im)
        except Exception as error:  # the bad fixtures: record what Pillow said
            index["images"][name] = {"error": f"{type(error).__name__}: {error}"}
            continue
        h, w = rgb.shape[:2]
        entry = {"width": w, "height": h, "resized": {}}
        if w * h <= MAX_DECODED_PIXELS:
            entry["decoded"] = save(rgb, f"{name}.rgb.bin")
        for rw, rh in [(224, 224)] + EXTRA.get(name, []):
            entry["resized"][f"{rw}x{rh}"] = save(resize(rgb, rw, rh), f"{name}.{rw}x{rh}.bin")
        for rw, rh in FILTERED.get(name, []):
            for f in FILTERS:
                resample = getattr(Image.Resampling, f)
                entry.setdefault("filtered", {})[f"{f} {rw}x{rh}"] = save(
                    resize(rgb, rw, rh, resample), f"{name}.{f}.{rw}x{rh}.bin")
        if name.lower().endswith((".jpg", ".jpeg")):
            with Image.open(path) as im:
                # A square target: EXIF rotation does not change the scale.
                im.draft("RGB", (224, 224))
                drafted = to_rgb(im)
            entry["draft224"] = {"width": drafted.shape[1], "height": drafted.shape[0],
                                 "file": save(resize(drafted, 224, 224), f"{name}.draft224.bin")}
        index["images"][name] = entry

    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f, indent=1, sort_keys=True)
    print(f"wrote {len(index['images'])} image references to {out}")


if __name__ == "__main__":
    main()
