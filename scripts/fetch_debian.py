#!/usr/bin/env python3
"""Download and unpack the pinned Debian packages of the release images.

Reads scripts/debian-packages.lock (written by scripts/lock_debian.py), and for
every line `ARCH NAME VERSION SHA256 POOL_PATH`:

- downloads the .deb from deb.debian.org (`pool/updates/...` from
  /debian-security, the rest from /debian) into CACHE (kept there; a cached
  file is used again when its sha256 matches), verifying its sha256;
- unpacks its data archive into PLATFORMS/linux-ARCH/root/ the way dpkg would
  (paths as shipped, symlinks kept as symlinks, nothing else created);
- for ca-certificates, does what its postinst (update-ca-certificates) would:
  joins usr/share/ca-certificates/mozilla/*.crt, in name order, into
  etc/ssl/certs/ca-certificates.crt (the .deb ships no bundle), counted as a
  file it installed;
- writes PLATFORMS/linux-ARCH/debian-packages.json: per package its name,
  version, architecture, sha256, filename, source package, license (from a
  machine-readable copyright file, else NOASSERTION), copyright file and the
  regular files and symlinks it installed (relative to root/).

Each root/ is built in a temporary folder and renamed into place. A pinned
version that is gone from the mirror stops with one line telling to run
scripts/lock_debian.py. Standard library only.

Usage: fetch_debian.py --lock FILE --cache DIR --platforms DIR
"""
import argparse
import hashlib
import io
import json
import lzma
import os
import re
import shutil
import sys
import tarfile
import urllib.error
import urllib.request

MIRROR = "http://deb.debian.org"


def die(message):
    print(f"fetch_debian: error: {message}", file=sys.stderr)
    sys.exit(1)


def read_lock(path):
    entries = []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            fields = line.split()
            if len(fields) != 5 or not re.fullmatch(r"[0-9a-f]{64}", fields[3]):
                die(f"{path}:{number}: expected 'ARCH NAME VERSION SHA256 POOL_PATH'")
            arch, name, version, sha256, filename = fields
            if arch not in ("amd64", "arm64"):
                die(f"{path}:{number}: unknown architecture {arch}")
            entries.append({"arch": arch, "name": name, "version": version,
                            "sha256": sha256, "filename": filename})
    if not entries:
        die(f"{path} lists no packages")
    return entries


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(entry, cache):
    """The cached .deb of ENTRY, downloaded and verified when missing or stale."""
    path = os.path.join(cache, os.path.basename(entry["filename"]))
    if os.path.exists(path) and sha256_file(path) == entry["sha256"]:
        return path
    archive = "debian-security" if entry["filename"].startswith("pool/updates/") else "debian"
    url = f"{MIRROR}/{archive}/{entry['filename']}"
    print(f"fetch_debian: downloading {url}", file=sys.stderr)
    os.makedirs(cache, exist_ok=True)
    tmp = path + ".tmp"
    try:
        with urllib.request.urlopen(url, timeout=120) as response, open(tmp, "wb") as out:
            shutil.copyfileobj(response, out)
    except urllib.error.HTTPError as error:
        if os.path.exists(tmp):
            os.remove(tmp)
        if error.code == 404:
            die(f"{entry['name']} {entry['version']} ({entry['arch']}) is gone from {MIRROR}/{archive}; "
                f"run scripts/lock_debian.py to pin the current versions")
        die(f"cannot download {url}: {error}")
    except OSError as error:
        if os.path.exists(tmp):
            os.remove(tmp)
        die(f"cannot download {url}: {error}")
    got = sha256_file(tmp)
    if got != entry["sha256"]:
        os.remove(tmp)
        die(f"checksum mismatch for {os.path.basename(path)}: expected sha256 {entry['sha256']}, got {got}")
    os.replace(tmp, path)
    return path


def ar_members(path):
    """{name: bytes} of the ar archive (a .deb) at PATH."""
    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(b"!<arch>\n"):
        die(f"{path} is not a Debian package (no ar header)")
    members, offset = {}, 8
    while offset + 60 <= len(data):
        header = data[offset:offset + 60]
        name = header[:16].decode().strip().rstrip("/")
        size = int(header[48:58].decode().strip())
        members[name] = data[offset + 60:offset + 60 + size]
        offset += 60 + size + (size & 1)
    return members


def open_tar(members, stem, deb):
    for name, payload in members.items():
        if name == f"{stem}.tar.xz":
            return tarfile.open(fileobj=io.BytesIO(lzma.decompress(payload)))
        if name in (f"{stem}.tar.gz", f"{stem}.tar"):
            return tarfile.open(fileobj=io.BytesIO(payload))
    die(f"{deb} has no {stem}.tar.xz / .gz (zstd is not handled)")


def control_fields(members, deb):
    with open_tar(members, "control", deb) as tar:
        for member in tar.getmembers():
            if member.name.lstrip("./") == "control":
                text = tar.extractfile(member).read().decode("utf-8")
                break
        else:
            die(f"{deb} has no control file")
    fields, last = {}, None
    for line in text.splitlines():
        if line.startswith((" ", "\t")) and last:
            fields[last] += "\n" + line.strip()
        elif ":" in line:
            last, _, value = line.partition(":")
            fields[last] = value.strip()
    return fields


def unpack(members, deb, root):
    """Unpack the data archive under ROOT like dpkg; the regular files and symlinks, sorted."""
    installed = []
    real_root = os.path.realpath(root)
    with open_tar(members, "data", deb) as tar:
        for member in tar.getmembers():
            name = os.path.normpath(member.name.lstrip("/")).lstrip("./") if member.name not in (".", "./") else ""
            if not name or name == ".":
                continue
            if name.startswith("../") or name == ".." or os.path.isabs(name):
                die(f"{deb}: unsafe path {member.name}")
            target = os.path.join(root, name)
            parent = os.path.dirname(target)
            os.makedirs(parent, exist_ok=True)
            if not (os.path.realpath(parent) + "/").startswith(real_root + "/"):
                die(f"{deb}: {member.name} would be written outside {root}")
            if member.isdir():
                os.makedirs(target, exist_ok=True)
                os.chmod(target, member.mode & 0o7777 | 0o700)
                continue
            if os.path.lexists(target):
                if os.path.isdir(target) and not os.path.islink(target):
                    die(f"{deb}: {name} replaces a directory")
                os.remove(target)
            if member.issym():
                os.symlink(member.linkname, target)
            elif member.islnk():
                source = os.path.normpath(member.linkname.lstrip("/")).lstrip("./")
                os.link(os.path.join(root, source), target)
            elif member.isreg():
                with tar.extractfile(member) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out)
                os.chmod(target, member.mode & 0o7777)
            else:
                continue  # device nodes, fifos: none in these packages
            installed.append(name)
    return sorted(installed)


# --- licenses from machine-readable (DEP-5) copyright files ------------------------
SPDX = {
    "gpl-2": "GPL-2.0-only", "gpl-2+": "GPL-2.0-or-later",
    "gpl-3": "GPL-3.0-only", "gpl-3+": "GPL-3.0-or-later",
    "lgpl-2": "LGPL-2.0-only", "lgpl-2+": "LGPL-2.0-or-later",
    "lgpl-2.1": "LGPL-2.1-only", "lgpl-2.1+": "LGPL-2.1-or-later",
    "lgpl-3": "LGPL-3.0-only", "lgpl-3+": "LGPL-3.0-or-later",
    "gpl-3+ with gcc-exception-3.1": "GPL-3.0-or-later WITH GCC-exception-3.1",
    "bsd-2-clause": "BSD-2-Clause", "bsd-3-clause": "BSD-3-Clause", "bsd-4-clause": "BSD-4-Clause",
    "expat": "MIT", "mit": "MIT", "isc": "ISC",
    "zlib": "Zlib", "libpng": "Libpng", "libpng-2.0": "libpng-2.0", "ijg": "IJG",
    "apache-2.0": "Apache-2.0", "mpl-2.0": "MPL-2.0", "bsd-by-lc-ne": "IJG", "ntp": "NTP", "public-domain": "LicenseRef-public-domain",
    "lgpl-2.1+ with linking exception": "LicenseRef-LGPL-2.1-or-later-with-linking-exception",
}


def spdx_name(short):
    short = short.strip()
    return SPDX.get(short.lower(), "LicenseRef-" + re.sub(r"[^A-Za-z0-9.-]+", "-", short).strip("-"))


def spdx_expression(short):
    """A Debian License: short name (possibly 'A or B', 'A and B', 'A, B') as SPDX."""
    alternatives = [a for a in re.split(r"\s+or\s+", short.strip(), flags=re.I) if a]
    mapped = []
    for alternative in alternatives:
        parts = [spdx_name(p) for p in re.split(r"\s+and\s+|,\s*", alternative, flags=re.I)
                 if p.strip() and not re.fullmatch(r"\s*with\s.*", p, flags=re.I)]
        mapped.append(parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")")
    return mapped[0] if len(mapped) == 1 else "(" + " OR ".join(mapped) + ")"


def copyright_license(path):
    """(SPDX-like expression, Files paragraphs' short names) or ('NOASSERTION', [])."""
    if not os.path.isfile(path):
        return "NOASSERTION", []
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    blocks = [b for b in re.split(r"\n\s*\n", text.strip()) if b.strip()]
    if not blocks or not re.match(r"(?i)format(-specification)?:\s*\S*copyright-format", blocks[0]):
        return "NOASSERTION", []
    names = []
    for block in blocks[1:]:
        fields = {}
        for line in block.splitlines():
            match = re.match(r"([A-Za-z-]+):\s*(.*)", line)
            if match and not line.startswith((" ", "\t")):
                fields[match.group(1).lower()] = match.group(2).strip()
        if "files" in fields and fields.get("license"):
            if fields["license"] not in names:
                names.append(fields["license"])
    if not names:
        return "NOASSERTION", []
    expressions = []
    for name in names:
        expression = spdx_expression(name)
        if expression not in expressions:
            expressions.append(expression)
    return " AND ".join(expressions), names


def resolve_in_root(root, path):
    """PATH (relative to ROOT) with every symlink resolved inside ROOT; None if it leaves ROOT."""
    parts, resolved, hops = path.split("/"), [], 0
    while parts:
        part = parts.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            if not resolved:
                return None
            resolved.pop()
            continue
        candidate = os.path.join(root, *resolved, part)
        if os.path.islink(candidate):
            hops += 1
            if hops > 40:
                return None
            link = os.readlink(candidate)
            if link.startswith("/"):
                resolved = []
            parts = link.split("/") + parts
        else:
            resolved.append(part)
    return "/".join(resolved)


CA_FOLDER = "usr/share/ca-certificates/mozilla"
CA_BUNDLE = "etc/ssl/certs/ca-certificates.crt"


def join_certificates(root, deb):
    """Writes CA_BUNDLE under ROOT from CA_FOLDER's PEM files, each ending in a newline; its path."""
    folder = os.path.join(root, CA_FOLDER)
    names = sorted(n for n in os.listdir(folder) if n.endswith(".crt")) if os.path.isdir(folder) else []
    if not names:
        die(f"{deb}: no certificates in {CA_FOLDER}")
    parts = []
    for name in names:
        with open(os.path.join(folder, name), "rb") as f:
            pem = f.read()
        if b"-----BEGIN CERTIFICATE-----" not in pem:
            die(f"{deb}: {CA_FOLDER}/{name} is not a PEM certificate")
        parts.append(pem if pem.endswith(b"\n") else pem + b"\n")
    target = os.path.join(root, CA_BUNDLE)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "wb") as out:
        out.write(b"".join(parts))
    os.chmod(target, 0o644)
    return CA_BUNDLE


def build(arch, entries, cache, platforms):
    folder = os.path.join(platforms, f"linux-{arch}")
    root, tmp_root = os.path.join(folder, "root"), os.path.join(folder, "root.tmp")
    shutil.rmtree(tmp_root, ignore_errors=True)
    os.makedirs(tmp_root)
    packages = []
    for entry in entries:
        deb = fetch(entry, cache)
        members = ar_members(deb)
        control = control_fields(members, deb)
        if control.get("Package") != entry["name"] or control.get("Version") != entry["version"] \
                or control.get("Architecture") not in (arch, "all"):
            die(f"{deb}: control says {control.get('Package')} {control.get('Version')} "
                f"{control.get('Architecture')}, the lock {entry['name']} {entry['version']} {arch}")
        files = unpack(members, deb, tmp_root)
        if entry["name"] == "ca-certificates":
            files = sorted(files + [join_certificates(tmp_root, deb)])
        packages.append({
            "name": entry["name"], "version": entry["version"], "architecture": control["Architecture"],
            "sha256": entry["sha256"], "filename": entry["filename"],
            "source": control.get("Source", entry["name"]).split(" (")[0],
            "license": "NOASSERTION", "copyright": None, "files": files,
        })
    for package in packages:  # after all are unpacked: doc folders may be symlinks to another package's
        copyright_path = resolve_in_root(tmp_root, f"usr/share/doc/{package['name']}/copyright")
        if copyright_path and os.path.isfile(os.path.join(tmp_root, copyright_path)):
            package["copyright"] = copyright_path
            package["license"], _ = copyright_license(os.path.join(tmp_root, copyright_path))
    shutil.rmtree(root, ignore_errors=True)
    os.replace(tmp_root, root)
    tmp = os.path.join(folder, "debian-packages.json.tmp")
    with open(tmp, "w") as f:
        json.dump(packages, f, indent=2)
        f.write("\n")
    os.replace(tmp, os.path.join(folder, "debian-packages.json"))
    print(f"fetch_debian: linux-{arch}: {len(packages)} packages, "
          f"{sum(len(p['files']) for p in packages)} files in {root}", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock", required=True)
    parser.add_argument("--cache", required=True, help="folder of the downloaded .debs")
    parser.add_argument("--platforms", required=True, help="writes PLATFORMS/linux-ARCH/{root,debian-packages.json}")
    args = parser.parse_args()
    entries = read_lock(args.lock)
    for entry in entries:  # every download first: a missing package stops before any root/ is touched
        fetch(entry, args.cache)
    for arch in sorted({e["arch"] for e in entries}):
        build(arch, [e for e in entries if e["arch"] == arch], args.cache, args.platforms)


if __name__ == "__main__":
    main()
