#!/usr/bin/env python3
"""Pin the Debian packages of the release images: writes scripts/debian-packages.lock.

For each architecture (amd64, arm64) and each package in PACKAGES, reads the
`main` Packages.xz index of bookworm, bookworm-updates and bookworm-security
from deb.debian.org and picks the newest version (dpkg's version order) across
the three suites. One line per package and architecture:

    ARCH NAME VERSION SHA256 POOL_PATH

POOL_PATH is relative to the suite's mirror: paths under `pool/updates/` are on
http://deb.debian.org/debian-security, the others on http://deb.debian.org/debian
(scripts/fetch_debian.py downloads them). Each index is checked against the
SHA256 list of its suite's InRelease file, and InRelease itself with gpgv and
the Debian archive keyring when both are installed.

Standard library only. Usage: python3 scripts/lock_debian.py [--output FILE]
"""
import argparse
import hashlib
import lzma
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request

MIRROR = "http://deb.debian.org"
SUITES = [  # (mirror path, suite)
    ("debian", "bookworm"),
    ("debian", "bookworm-updates"),
    ("debian-security", "bookworm-security"),
]
ARCHES = ["amd64", "arm64"]
# gcc-12-base: libstdc++6 and libgcc-s1 depend on it, and their usr/share/doc/NAME
# is a symlink to usr/share/doc/gcc-12-base, which holds their copyright file.
# libyaml-0-2: ledge reads fleet files (ledge deploy --fleet) with Debian's libyaml.
# ca-certificates (Architecture: all, listed in each architecture's index): the Mozilla roots,
# which scripts/fetch_debian.py joins into etc/ssl/certs/ca-certificates.crt as its postinst
# (update-ca-certificates) would: https model URIs and trace collectors verify against them.
PACKAGES = ["libc6", "libstdc++6", "libgcc-s1", "gcc-12-base", "libturbojpeg0", "libpng16-16", "zlib1g", "libyaml-0-2",
            "ca-certificates"]
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
HERE = os.path.dirname(os.path.abspath(__file__))


def die(message):
    print(f"lock_debian: error: {message}", file=sys.stderr)
    sys.exit(1)


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            return response.read()
    except OSError as error:
        die(f"cannot download {url}: {error}")


# --- dpkg version order (lib/dpkg/version.c) -----------------------------------
def _order(c):
    if c.isdigit():
        return 0
    if c.isalpha():
        return ord(c)
    if c == "~":
        return -1
    if c:
        return ord(c) + 256
    return 0


def _verrevcmp(a, b):
    i = j = 0
    while i < len(a) or j < len(b):
        first_diff = 0
        while (i < len(a) and not a[i].isdigit()) or (j < len(b) and not b[j].isdigit()):
            ac = _order(a[i]) if i < len(a) else 0
            bc = _order(b[j]) if j < len(b) else 0
            if ac != bc:
                return ac - bc
            i += 1
            j += 1
        while i < len(a) and a[i] == "0":
            i += 1
        while j < len(b) and b[j] == "0":
            j += 1
        while i < len(a) and a[i].isdigit() and j < len(b) and b[j].isdigit():
            if not first_diff:
                first_diff = ord(a[i]) - ord(b[j])
            i += 1
            j += 1
        if i < len(a) and a[i].isdigit():
            return 1
        if j < len(b) and b[j].isdigit():
            return -1
        if first_diff:
            return first_diff
    return 0


def _split(version):
    epoch, _, rest = version.rpartition(":") if ":" in version else ("0", "", version)
    upstream, _, revision = rest.rpartition("-") if "-" in rest else (rest, "", "")
    return int(epoch or 0), upstream, revision


def compare_versions(a, b):
    ea, ua, ra = _split(a)
    eb, ub, rb = _split(b)
    if ea != eb:
        return ea - eb
    return _verrevcmp(ua, ub) or _verrevcmp(ra, rb)


# --- indices ---------------------------------------------------------------------
def release_hashes(base, suite, workdir):
    """The SHA256 section of dists/SUITE/InRelease as {path: (sha256, size)}."""
    data = get(f"{base}/dists/{suite}/InRelease")
    if shutil.which("gpgv") and os.path.exists(KEYRING):
        path = os.path.join(workdir, f"{suite}.InRelease")
        with open(path, "wb") as f:
            f.write(data)
        result = subprocess.run(["gpgv", "--keyring", KEYRING, path], capture_output=True, text=True)
        if result.returncode != 0:
            die(f"{base}/dists/{suite}/InRelease: bad signature:\n{result.stderr.strip()}")
    else:
        print(f"lock_debian: note: gpgv or {KEYRING} missing; InRelease of {suite} not signature-checked",
              file=sys.stderr)
    hashes, in_sha256 = {}, False
    for line in data.decode("utf-8").splitlines():
        if line.startswith("SHA256:"):
            in_sha256 = True
        elif in_sha256 and line.startswith(" "):
            sha, size, name = line.split()
            hashes[name] = (sha, int(size))
        elif in_sha256:
            break
    return hashes


def paragraphs(text):
    for block in text.split("\n\n"):
        fields, last = {}, None
        for line in block.splitlines():
            if line.startswith((" ", "\t")) and last:
                fields[last] += "\n" + line.strip()
            elif ":" in line:
                last, _, value = line.partition(":")
                fields[last] = value.strip()
        if fields:
            yield fields


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=os.path.join(HERE, "debian-packages.lock"))
    args = parser.parse_args()

    newest = {}  # (arch, name) -> fields
    with tempfile.TemporaryDirectory() as workdir:
        for mirror, suite in SUITES:
            base = f"{MIRROR}/{mirror}"
            hashes = release_hashes(base, suite, workdir)
            for arch in ARCHES:
                index = f"main/binary-{arch}/Packages.xz"
                if index not in hashes:
                    die(f"{base}/dists/{suite}/InRelease lists no {index}")
                raw = get(f"{base}/dists/{suite}/{index}")
                sha, size = hashes[index]
                if hashlib.sha256(raw).hexdigest() != sha or len(raw) != size:
                    die(f"{base}/dists/{suite}/{index} does not match its InRelease (mirror in sync?)")
                for fields in paragraphs(lzma.decompress(raw).decode("utf-8")):
                    name = fields.get("Package")
                    if name not in PACKAGES or fields.get("Architecture") not in (arch, "all"):
                        continue
                    current = newest.get((arch, name))
                    if current is None or compare_versions(fields["Version"], current["Version"]) > 0:
                        newest[(arch, name)] = dict(fields, Suite=suite)

    lines = []
    for arch in ARCHES:
        for name in PACKAGES:
            fields = newest.get((arch, name))
            if fields is None:
                die(f"{name} ({arch}) is in none of {', '.join(s for _, s in SUITES)}")
            filename = fields["Filename"]
            if not re.fullmatch(r"pool/[A-Za-z0-9_.+~/-]+\.deb", filename):
                die(f"unexpected Filename {filename!r} for {name} ({arch})")
            lines.append(f"{arch} {name} {fields['Version']} {fields['SHA256']} {filename}")
            print(f"lock_debian: {arch:5} {name:14} {fields['Version']:22} ({fields['Suite']})")

    header = [
        "# Debian packages of the release images (ledge package), written by scripts/lock_debian.py.",
        "# bookworm + bookworm-updates + bookworm-security, main; newest version of each.",
        "# ARCH NAME VERSION SHA256 POOL_PATH  (pool/updates/... is on deb.debian.org/debian-security)",
    ]
    tmp = args.output + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(header + lines) + "\n")
    os.replace(tmp, args.output)
    print(f"lock_debian: wrote {len(lines)} packages to {os.path.relpath(args.output)}")


if __name__ == "__main__":
    main()
