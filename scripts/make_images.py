#!/usr/bin/env python3
"""Write Ledge's test images from scikit-image's sample photographs.

Usage: python scripts/make_images.py FIXTURES_DIR   (writes FIXTURES_DIR/images/)

Per photo (chelsea, coffee, astronaut, rocket): NAME.{jpg,png} at original size,
NAME_224.{jpg,png}, NAME_640x480.{jpg,png}, NAME_4000x3000.jpg (LANCZOS).
chelsea variants: exif6, progressive, cmyk, gray (jpg/png), rgba, palette, 16bit,
gray16, interlaced (Adam7). Broken files: truncated.{jpg,png}, empty.jpg, text.jpg,
huge_header.jpg (SOF0 claims 60000x60000).
"""
import io
import os
import sys

import numpy as np
from PIL import Image, ImageOps
from skimage import data

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pngwrite import write_png  # noqa: E402

PHOTOS = ["chelsea", "coffee", "astronaut", "rocket"]
QUALITY = 92


def save(img, path, fmt, **kw):
    tmp = path + ".tmp"
    img.save(tmp, format=fmt, **kw)
    os.replace(tmp, path)


def write_bytes(path, payload):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(payload)
    os.replace(tmp, path)


def jpeg(img, path, **kw):
    save(img, path, "JPEG", quality=QUALITY, **kw)


def patch_sof0(payload, height, width):
    """Rewrite the frame size in a baseline JPEG's SOF0 segment."""
    buf = bytearray(payload)
    i = 2  # after SOI
    while i + 4 <= len(buf):
        if buf[i] != 0xFF:
            raise ValueError(f"bad JPEG marker at {i}")
        marker = buf[i + 1]
        length = int.from_bytes(buf[i + 2:i + 4], "big")
        if marker == 0xC0:
            buf[i + 5:i + 7] = height.to_bytes(2, "big")
            buf[i + 7:i + 9] = width.to_bytes(2, "big")
            return bytes(buf)
        if marker == 0xDA:
            break
        i += 2 + length
    raise ValueError("no SOF0 segment")


def chelsea_variants(out, img):
    arr = np.asarray(img)

    # Pixels stored rotated 90 degrees counter-clockwise; EXIF orientation 6 says
    # "rotate 90 clockwise to display", which shows them upright again.
    exif = Image.Exif()
    exif[0x0112] = 6
    jpeg(img.transpose(Image.ROTATE_90), f"{out}/chelsea_exif6.jpg", exif=exif.tobytes())
    with Image.open(f"{out}/chelsea_exif6.jpg") as check:
        assert check.size == (img.height, img.width), check.size
        upright = ImageOps.exif_transpose(check)
        assert upright.size == img.size, upright.size
        diff = np.abs(np.asarray(upright.convert("RGB"), dtype=np.int16) - arr).mean()
        assert diff < 5, f"exif6 round trip differs by {diff}"

    jpeg(img, f"{out}/chelsea_progressive.jpg", progressive=True)
    jpeg(img.convert("CMYK"), f"{out}/chelsea_cmyk.jpg")
    gray = img.convert("L")
    jpeg(gray, f"{out}/chelsea_gray.jpg")
    save(gray, f"{out}/chelsea_gray.png", "PNG")
    rgba = img.convert("RGBA")
    rgba.putalpha(255)
    save(rgba, f"{out}/chelsea_rgba.png", "PNG")
    save(img.convert("P", palette=Image.Palette.ADAPTIVE, colors=256), f"{out}/chelsea_palette.png", "PNG")

    # 16-bit samples v * 257, so the high byte is exactly the 8-bit value.
    for name, pixels, interlace in [
        ("chelsea_16bit.png", arr.astype(np.uint16) * 257, False),
        ("chelsea_gray16.png", np.asarray(gray).astype(np.uint16) * 257, False),
        ("chelsea_interlaced.png", arr, True),
    ]:
        write_png(f"{out}/{name}.tmp", pixels, interlace=interlace)
        os.replace(f"{out}/{name}.tmp", f"{out}/{name}")
    with Image.open(f"{out}/chelsea_16bit.png") as check:
        assert np.array_equal(np.asarray(check.convert("RGB")), arr), "16-bit PNG round trip"
    with Image.open(f"{out}/chelsea_interlaced.png") as check:
        assert check.info.get("interlace") == 1, "PNG is not interlaced"
        assert np.array_equal(np.asarray(check.convert("RGB")), arr), "interlaced PNG round trip"
    with Image.open(f"{out}/chelsea_gray16.png") as check:
        assert check.mode.startswith("I"), check.mode


def broken_files(out, img):
    for name in ("chelsea.jpg", "chelsea.png"):
        with open(f"{out}/{name}", "rb") as f:
            whole = f.read()
        stem, ext = os.path.splitext(name)
        write_bytes(f"{out}/truncated{ext}", whole[:len(whole) // 2])
    write_bytes(f"{out}/empty.jpg", b"")
    write_bytes(f"{out}/text.jpg", b"This is a text file, not a JPEG image.\n")
    small = io.BytesIO()
    img.resize((64, 48), Image.LANCZOS).save(small, format="JPEG", quality=QUALITY)
    write_bytes(f"{out}/huge_header.jpg", patch_sof0(small.getvalue(), 60000, 60000))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_images.py FIXTURES_DIR")
    out = os.path.join(sys.argv[1], "images")
    os.makedirs(out, exist_ok=True)
    for name in PHOTOS:
        img = Image.fromarray(getattr(data, name)()).convert("RGB")
        jpeg(img, f"{out}/{name}.jpg")
        save(img, f"{out}/{name}.png", "PNG")
        for suffix, size in [("224", (224, 224)), ("640x480", (640, 480))]:
            resized = img.resize(size, Image.LANCZOS)
            jpeg(resized, f"{out}/{name}_{suffix}.jpg")
            save(resized, f"{out}/{name}_{suffix}.png", "PNG")
        jpeg(img.resize((4000, 3000), Image.LANCZOS), f"{out}/{name}_4000x3000.jpg")
        print(f"  {name}: {img.width}x{img.height}")
        if name == "chelsea":
            chelsea_variants(out, img)
            broken_files(out, img)
    print(f"  wrote {len(os.listdir(out))} files into {out}")


if __name__ == "__main__":
    main()
