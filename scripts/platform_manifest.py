#!/usr/bin/env python3
"""Finish each release platform folder: runtime libraries + platform.json.

For linux-amd64 and linux-arm64 under PLATFORMS: copies the runtime library
(and the license files the wheel ships) out of the verified onnxruntime and
ai-edge-litert wheels of that architecture in DOWNLOADS into runtimes/, checks
the library's ELF machine, and writes platform.json from debian-packages.json
(scripts/fetch_debian.py) and the wheels (sha256 from CHECKSUMS, license from
the wheel's METADATA). Standard library only.

Usage: platform_manifest.py --platforms DIR --downloads DIR --checksums FILE
"""
import argparse
import json
import os
import re
import struct
import sys
import zipfile

from fetch_debian import sha256_file

PLATFORMS = {
    "amd64": {"platform": "linux/amd64", "triplet": "x86_64-linux-gnu", "elfMachine": 62,
              "interpreter": "/lib64/ld-linux-x86-64.so.2", "wheelArch": "x86_64"},
    "arm64": {"platform": "linux/arm64", "triplet": "aarch64-linux-gnu", "elfMachine": 183,
              "interpreter": "/lib/ld-linux-aarch64.so.1", "wheelArch": "aarch64"},
}
RUNTIMES = [  # kind, distribution, version, wheel pattern, library member, library path, license files
    ("onnxruntime", "onnxruntime", "1.31.1", "onnxruntime-1.31.1-cp311-cp311-manylinux_2_28_{arch}.whl",
     "onnxruntime/capi/libonnxruntime.so.1.31.1", "runtimes/onnxruntime/libonnxruntime.so.1.31.1",
     ["onnxruntime/LICENSE", "onnxruntime/ThirdPartyNotices.txt"]),
    ("litert", "ai-edge-litert", "2.3.0", "ai_edge_litert-2.3.0-cp311-cp311-manylinux_2_27_{arch}.whl",
     "ai_edge_litert/libLiteRt.so", "runtimes/litert/libLiteRt.so",
     ["ai_edge_litert-2.3.0.dist-info/licenses/LICENSE"]),
]
# What wheels declare in METADATA (License-Expression, License, or a trove classifier) → SPDX.
WHEEL_LICENSES = {
    "mit": "MIT", "mit license": "MIT", "license :: osi approved :: mit license": "MIT",
    "apache-2.0": "Apache-2.0", "apache 2.0": "Apache-2.0", "apache license 2.0": "Apache-2.0",
    "license :: osi approved :: apache software license": "Apache-2.0",
}


def die(message):
    print(f"platform_manifest: error: {message}", file=sys.stderr)
    sys.exit(1)


def wheel_license(wheel, names):
    """The SPDX id of what the wheel's METADATA declares."""
    metadata = next((n for n in names if re.fullmatch(r"[^/]+\.dist-info/METADATA", n)), None)
    if metadata is None:
        die(f"{wheel} has no METADATA")
    with zipfile.ZipFile(wheel) as z:
        text = z.read(metadata).decode("utf-8", "replace").split("\n\n", 1)[0]
    declared = []
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key in ("License-Expression", "License") or (key == "Classifier" and value.strip().startswith("License ::")):
            declared.append((key, value.strip()))
    for key in ("License-Expression", "License", "Classifier"):
        for k, value in declared:
            if k == key and value.lower() in WHEEL_LICENSES:
                return WHEEL_LICENSES[value.lower()]
    die(f"{os.path.basename(wheel)}: no known license in METADATA ({declared or 'none declared'})")


def elf_machine(path):
    with open(path, "rb") as f:
        header = f.read(20)
    if header[:4] != b"\x7fELF" or header[5] != 1:
        die(f"{path} is not a little-endian ELF file")
    return struct.unpack_from("<H", header, 18)[0]


def extract(z, member, dest, mode):
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    tmp = dest + ".tmp"
    with z.open(member) as src, open(tmp, "wb") as out:
        while chunk := src.read(1 << 20):
            out.write(chunk)
    os.chmod(tmp, mode)
    os.replace(tmp, dest)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--platforms", required=True)
    parser.add_argument("--downloads", required=True)
    parser.add_argument("--checksums", required=True)
    args = parser.parse_args()
    pinned = {}
    with open(args.checksums) as f:
        for line in f:
            if line.strip():
                sha, name = line.split()
                pinned[name] = sha

    for arch, info in PLATFORMS.items():
        folder = os.path.join(args.platforms, f"linux-{arch}")
        packages_json = os.path.join(folder, "debian-packages.json")
        if not os.path.isfile(packages_json):
            die(f"{packages_json} is missing (run scripts/fetch_debian.py first)")
        with open(packages_json) as f:
            packages = json.load(f)
        runtimes = []
        for kind, name, version, pattern, member, library, license_files in RUNTIMES:
            wheel_name = pattern.format(arch=info["wheelArch"])
            wheel = os.path.join(args.downloads, wheel_name)
            if wheel_name not in pinned:
                die(f"no sha256 pinned for {wheel_name} in {args.checksums}")
            if not os.path.isfile(wheel) or sha256_file(wheel) != pinned[wheel_name]:
                die(f"{wheel} is missing or does not match its pinned sha256")
            with zipfile.ZipFile(wheel) as z:
                names = z.namelist()
                for needed in [member] + license_files:
                    if needed not in names:
                        die(f"{wheel_name} has no {needed}")
                extract(z, member, os.path.join(folder, library), 0o755)
                for license_file in license_files:
                    extract(z, license_file, os.path.join(folder, os.path.dirname(library), os.path.basename(license_file)), 0o644)
            machine = elf_machine(os.path.join(folder, library))
            if machine != info["elfMachine"]:
                die(f"{library} from {wheel_name} is ELF machine {machine}, expected {info['elfMachine']}")
            runtimes.append({"kind": kind, "name": name, "version": version, "wheel": wheel_name,
                             "sha256": pinned[wheel_name], "library": library,
                             "license": wheel_license(wheel, names)})
        manifest = {
            "platform": info["platform"], "triplet": info["triplet"], "elfMachine": info["elfMachine"],
            "interpreter": info["interpreter"], "debian": {"release": "12", "codename": "bookworm"},
            "packages": packages, "runtimes": runtimes,
        }
        interpreter = os.path.join(folder, "root", info["interpreter"].lstrip("/"))
        if not os.path.lexists(interpreter):
            die(f"{interpreter} is missing from the unpacked Debian packages")
        tmp = os.path.join(folder, "platform.json.tmp")
        with open(tmp, "w") as f:
            json.dump(manifest, f, indent=2)
            f.write("\n")
        os.replace(tmp, os.path.join(folder, "platform.json"))
        print(f"platform_manifest: wrote {os.path.join(folder, 'platform.json')}", file=sys.stderr)


if __name__ == "__main__":
    main()
