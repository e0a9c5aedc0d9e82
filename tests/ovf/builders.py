"""Packages for the tests: fixtures tarred as their producers pack them, disks made by qemu-img,
and helpers to drive a job over HTTP."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import tarfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx

FIXTURES = Path(__file__).parent / "fixtures"
COT = FIXTURES / "cot"
V2V = FIXTURES / "virt-v2v"
TAR = {"Content-Type": "application/x-tar"}
EXPORT = 'export; scheme="http://schemas.occi-server.org/occi/compute/action#"; class="action"'
STOP = 'stop; scheme="http://schemas.ogf.org/occi/infrastructure/compute/action#"; class="action"'

Member = tuple[str, "bytes | Path"]


def ova(target: Path, members: Iterable[Member]) -> Path:
    """A tar of the members, in order (bytes or files)."""
    with tarfile.open(target, "w", format=tarfile.USTAR_FORMAT) as archive:
        for name, content in members:
            data = content.read_bytes() if isinstance(content, Path) else content
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return target


def vmdk(path: Path, size: str = "16M", data: bytes = b"") -> Path:
    """A streamOptimized VMDK of `size`, holding `data` at offset 0 (converted from raw)."""
    raw = path.with_suffix(".raw")
    subprocess.run(["qemu-img", "create", "-q", "-f", "raw", str(raw), size], check=True)
    if data:
        with open(raw, "r+b") as handle:
            handle.write(data)
    subprocess.run(
        [
            "qemu-img",
            "convert",
            "-q",
            "-f",
            "raw",
            "-O",
            "vmdk",
            "-o",
            "subformat=streamOptimized",
            str(raw),
            str(path),
        ],
        check=True,
    )
    raw.unlink()
    return path


def manifest(members: Iterable[Member], algorithm: str = "SHA1") -> bytes:
    lines = []
    for name, content in members:
        data = content.read_bytes() if isinstance(content, Path) else content
        lines.append(f"{algorithm}({name})= {hashlib.new(algorithm.lower(), data).hexdigest()}\n")
    return "".join(lines).encode()


def upload(url: str, token: str, package: Path | bytes) -> httpx.Response:
    body = package.read_bytes() if isinstance(package, Path) else package
    return httpx.post(
        url + "/ovf/imports/", content=body, headers={"X-Auth-Token": token, **TAR}, timeout=60
    )


def wait(job_url: str, token: str, timeout: float = 90.0) -> dict[str, Any]:
    """The job once it has ended."""
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = httpx.get(job_url, headers={"X-Auth-Token": token}).json()
        if job["state"] in ("done", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.1)


def run_import(url: str, token: str, package: Path | bytes) -> dict[str, Any]:
    answer = upload(url, token, package)
    assert answer.status_code == 202, answer.text
    return wait(answer.headers["location"], token)


def entity(location: str, token: str) -> dict[str, Any]:
    answer = httpx.get(location, headers={"X-Auth-Token": token, "Accept": "application/occi+json"})
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def action(location: str, token: str, category: str) -> httpx.Response:
    term = category.split(";", 1)[0]
    return httpx.post(
        f"{location}?action={term}",
        headers={"X-Auth-Token": token, "Content-Type": "text/occi", "Category": category},
    )


def content_digest(path: Path) -> str:
    """A digest of a disk's non-zero 64 KiB blocks and its size: equal for equal contents,
    however the zeros are stored (holes or written), without reading the holes."""
    digest = hashlib.sha256()
    size = path.stat().st_size
    digest.update(str(size).encode())
    block = 1 << 16
    with open(path, "rb") as handle:
        fd = handle.fileno()
        offset = done = 0
        while offset < size:
            try:
                start = os.lseek(fd, offset, os.SEEK_DATA)
            except OSError:
                break
            end = os.lseek(fd, start, os.SEEK_HOLE)
            start = max(start - start % block, done)
            handle.seek(start)
            while start < end:
                chunk = handle.read(block)
                if chunk.strip(b"\0"):
                    digest.update(start.to_bytes(8, "big") + chunk)
                start += len(chunk)
            offset, done = end, start
    return digest.hexdigest()
