"""A tiny PNG writer for what Pillow cannot write: 16-bit RGB and Adam7 interlacing.

Supports grey (colour type 0) and RGB (colour type 2) at 8 or 16 bits per sample,
filter type 0 (None) on every scanline, optional Adam7 interlace.
"""
import struct
import zlib

import numpy as np

# Adam7 passes: (x start, y start, x step, y step)
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def _chunk(kind, payload):
    body = kind + payload
    return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def _scanlines(pixels):
    """Filter-type-0 scanlines of an (h, w[, c]) array already in big-endian sample order."""
    rows = pixels.reshape(pixels.shape[0], -1)
    out = bytearray()
    for row in rows:
        out.append(0)
        out += row.tobytes()
    return bytes(out)


def write_png(path, pixels, interlace=False):
    """Write `pixels` ((h, w) grey or (h, w, 3) RGB, dtype uint8 or uint16) as a PNG."""
    pixels = np.asarray(pixels)
    if pixels.dtype == np.uint8:
        depth = 8
    elif pixels.dtype == np.uint16:
        depth = 16
        pixels = pixels.astype(">u2")
    else:
        raise ValueError(f"unsupported dtype {pixels.dtype}")
    if pixels.ndim == 2:
        colour = 0
    elif pixels.ndim == 3 and pixels.shape[2] == 3:
        colour = 2
    else:
        raise ValueError(f"unsupported shape {pixels.shape}")
    h, w = pixels.shape[:2]
    if interlace:
        raw = b"".join(
            _scanlines(pixels[y0::dy, x0::dx])
            for x0, y0, dx, dy in ADAM7
            if x0 < w and y0 < h)  # empty passes contribute no scanlines
    else:
        raw = _scanlines(pixels)
    ihdr = struct.pack(">IIBBBBB", w, h, depth, colour, 0, 0, 1 if interlace else 0)
    data = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)
