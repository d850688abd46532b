#!/usr/bin/env python3
"""Builds the archives the fetch tests serve, good and hostile, with Python's tarfile and zipfile.

Usage: ``make_fetch_archives.py OUT MODEL`` — MODEL is a model file (e.g. mobilenet_gen.onnx);
writes into OUT:

- ``good.tar.gz``  pax format: ``mobilenet/``, ``mobilenet/1/``, ``mobilenet/1/model.onnx``,
  ``mobilenet/labels.txt`` and a file whose path is longer than 100 bytes (a pax ``path``).
- ``gnu.tar``      GNU format, uncompressed: ``mobilenet/1/model.onnx`` and a long-named file
  (a GNU ``L`` record).
- ``good.zip``     ``mobilenet/1/model.onnx`` deflated, ``mobilenet/labels.txt`` stored.
- ``slip.tar.gz``, ``slip.zip``        a small ``mobilenet/1/model.onnx``, then an entry ``../evil``.
- ``symlink.tar.gz``, ``symlink.zip``  an entry ``mobilenet/link`` that is a symbolic link to /etc/passwd.
- ``absolute.tar``  an entry ``/tmp/evil`` (an absolute path).
- ``hardlink.tar``  ``mobilenet/labels.txt`` and a hard link ``mobilenet/copy`` to it.
- ``big.tar.gz``   one 2 MiB file of zeros (``zeros.bin``).
- ``liar.zip``     ``zeros.bin``: 8 MiB of zeros deflated, its sizes patched to claim 1000 bytes.
"""

import io
import os
import struct
import sys
import tarfile
import zipfile

LONG = "mobilenet/" + "a-rather-long-folder-name/" * 5 + "notes.txt"
LABELS = b"cat\ndog\n"
STUB = b"not a model: the hostile archives are refused before it matters\n"


def add_bytes(tar, name, data, mode=0o644):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    tar.addfile(info, io.BytesIO(data))


def add_dir(tar, name):
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    tar.addfile(info)


def main():
    out, model_path = sys.argv[1], sys.argv[2]
    with open(model_path, "rb") as file:
        model = file.read()

    with tarfile.open(os.path.join(out, "good.tar.gz"), "w:gz", compresslevel=1, format=tarfile.PAX_FORMAT) as tar:
        add_dir(tar, "mobilenet")
        add_dir(tar, "mobilenet/1")
        add_bytes(tar, "mobilenet/1/model.onnx", model)
        add_bytes(tar, "mobilenet/labels.txt", LABELS)
        add_bytes(tar, LONG, b"long\n")

    with tarfile.open(os.path.join(out, "gnu.tar"), "w", format=tarfile.GNU_FORMAT) as tar:
        add_bytes(tar, "mobilenet/1/model.onnx", model)
        add_bytes(tar, LONG, b"long\n")

    with zipfile.ZipFile(os.path.join(out, "good.zip"), "w", compresslevel=1) as archive:
        archive.writestr("mobilenet/", b"")
        archive.writestr("mobilenet/1/model.onnx", model, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("mobilenet/labels.txt", LABELS, compress_type=zipfile.ZIP_STORED)

    with tarfile.open(os.path.join(out, "slip.tar.gz"), "w:gz") as tar:
        add_bytes(tar, "mobilenet/1/model.onnx", STUB)
        add_bytes(tar, "../evil", b"escaped\n")
    with zipfile.ZipFile(os.path.join(out, "slip.zip"), "w") as archive:
        archive.writestr("mobilenet/1/model.onnx", STUB, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("../evil", b"escaped\n")

    with tarfile.open(os.path.join(out, "symlink.tar.gz"), "w:gz") as tar:
        add_bytes(tar, "mobilenet/1/model.onnx", STUB)
        info = tarfile.TarInfo("mobilenet/link")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        tar.addfile(info)
    with zipfile.ZipFile(os.path.join(out, "symlink.zip"), "w") as archive:
        info = zipfile.ZipInfo("mobilenet/link")
        info.create_system = 3  # Unix, so the mode below counts
        info.external_attr = (0o120777 << 16)
        archive.writestr(info, b"/etc/passwd")

    with tarfile.open(os.path.join(out, "absolute.tar"), "w") as tar:
        add_bytes(tar, "/tmp/evil", b"escaped\n")
    with tarfile.open(os.path.join(out, "hardlink.tar"), "w") as tar:
        add_bytes(tar, "mobilenet/labels.txt", LABELS)
        info = tarfile.TarInfo("mobilenet/copy")
        info.type = tarfile.LNKTYPE
        info.linkname = "mobilenet/labels.txt"
        tar.addfile(info)

    with tarfile.open(os.path.join(out, "big.tar.gz"), "w:gz") as tar:
        add_bytes(tar, "zeros.bin", bytes(2 << 20))

    liar = os.path.join(out, "liar.zip")
    with zipfile.ZipFile(liar, "w") as archive:
        archive.writestr("zeros.bin", bytes(8 << 20), compress_type=zipfile.ZIP_DEFLATED)
    with open(liar, "r+b") as file:
        data = bytearray(file.read())
        local = data.find(b"PK\x03\x04")
        struct.pack_into("<I", data, local + 22, 1000)  # uncompressed size in the local header
        central = data.find(b"PK\x01\x02")
        struct.pack_into("<I", data, central + 24, 1000)  # and in the central directory
        file.seek(0)
        file.write(data)


if __name__ == "__main__":
    main()
