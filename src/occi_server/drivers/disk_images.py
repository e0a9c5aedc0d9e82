"""Disk image files through qemu-img: what a file is (`inspect`), whether it is safe to keep
(`check`), conversion between formats (`convert`) and new images or overlays (`create`).

Files from users (uploads, OVA disks, imported images) are untrusted. qemu-img runs under
`prlimit` (address space and CPU time, as OpenStack does), because a crafted header can make it
allocate or loop; and a file that names a backing file, an external data file or a VMDK extent
elsewhere is refused, because a guest booted from it would read that other file of the host.
Every call names the format explicitly once it is known: probing it again later would let a raw
file that starts like a qcow2 header be taken for one.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# What the store keeps and guests boot from; what it accepts from users to convert.
STORED_FORMATS = frozenset({"raw", "qcow2"})
IMPORTED_FORMATS = frozenset({"raw", "qcow2", "vmdk", "vdi", "vhdx", "vpc"})
# VMDK subformats whose data is inside the one file (others are descriptors naming extents).
_SELF_CONTAINED_VMDK = frozenset({"monolithicSparse", "streamOptimized"})

INFO_MEMORY = 1 << 30  # address space for `qemu-img info`
INFO_CPU_SECONDS = 30
INFO_TIMEOUT = 60.0


class DiskImageError(Exception):
    """A file is not a usable disk image, or qemu-img failed; the message says which and why."""


@dataclass(frozen=True, slots=True)
class DiskInfo:
    path: str
    format: str
    virtual_size: int  # bytes the guest sees
    actual_size: int  # bytes on the host
    backing_file: str | None
    data_file: str | None
    vmdk_create_type: str | None
    extents: tuple[str, ...]  # VMDK extent files, as qemu-img names them


def qemu_img() -> str:
    found = shutil.which("qemu-img")
    if found is None:
        raise DiskImageError("qemu-img is not installed (Debian package qemu-utils)")
    return found


def _limited(command: Sequence[str]) -> list[str]:
    prlimit = shutil.which("prlimit")
    if prlimit is None:  # util-linux is essential on Debian; elsewhere run without limits
        return list(command)
    return [prlimit, f"--as={INFO_MEMORY}", f"--cpu={INFO_CPU_SECONDS}", "--", *command]


def _run(command: Sequence[str], timeout: float, what: str) -> str:
    try:
        done = subprocess.run(
            list(command), capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise DiskImageError(f"{what}: qemu-img took longer than {timeout:g} s") from exc
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip().splitlines()
        detail = message[-1] if message else f"exit code {done.returncode}"
        raise DiskImageError(f"{what}: {detail.removeprefix('qemu-img: ')}")
    return done.stdout


def inspect(path: str | Path, fmt: str | None = None) -> DiskInfo:
    """What qemu-img says of the file (the format probed unless `fmt` is given)."""
    name = str(path)
    command = [qemu_img(), "info", "--output=json", "--force-share"]
    if fmt:
        command += ["-f", fmt]
    out = _run(_limited([*command, name]), INFO_TIMEOUT, f"{Path(name).name}")
    try:
        data: dict[str, Any] = json.loads(out)
    except json.JSONDecodeError as exc:
        raise DiskImageError(f"{Path(name).name}: qemu-img info printed no JSON") from exc
    return _info(name, data)


def _info(name: str, data: dict[str, Any]) -> DiskInfo:
    specific = (data.get("format-specific") or {}).get("data") or {}
    extents = tuple(str(extent.get("filename", "")) for extent in specific.get("extents") or ())
    return DiskInfo(
        path=name,
        format=str(data.get("format", "")),
        virtual_size=int(data.get("virtual-size", 0)),
        actual_size=int(data.get("actual-size", 0)),
        backing_file=data.get("full-backing-filename") or data.get("backing-filename"),
        data_file=specific.get("data-file"),
        vmdk_create_type=specific.get("create-type"),
        extents=extents,
    )


def check(
    info: DiskInfo, allowed: frozenset[str] = IMPORTED_FORMATS, max_size: int | None = None
) -> DiskInfo:
    """`info` if the image is safe to keep and boot; DiskImageError saying why not."""
    name = Path(info.path).name
    if info.format not in allowed:
        raise DiskImageError(
            f"{name}: format {info.format or 'unknown'} is not accepted "
            f"(accepted: {', '.join(sorted(allowed))})"
        )
    if info.backing_file:
        raise DiskImageError(f"{name}: names a backing file ({info.backing_file}); refused")
    if info.data_file:
        raise DiskImageError(f"{name}: names an external data file ({info.data_file}); refused")
    if info.format == "vmdk":
        if info.vmdk_create_type not in _SELF_CONTAINED_VMDK:
            raise DiskImageError(
                f"{name}: VMDK subformat {info.vmdk_create_type} keeps its data in other files; "
                f"accepted: {', '.join(sorted(_SELF_CONTAINED_VMDK))}"
            )
        own = str(Path(info.path).resolve())
        if any(str(Path(extent).resolve()) != own for extent in info.extents):
            raise DiskImageError(f"{name}: a VMDK extent lies in another file; refused")
    if max_size is not None and info.virtual_size > max_size:
        raise DiskImageError(
            f"{name}: its virtual size {info.virtual_size} bytes is over the maximum {max_size}"
        )
    return info


def inspect_safe(
    path: str | Path, allowed: frozenset[str] = IMPORTED_FORMATS, max_size: int | None = None
) -> DiskInfo:
    """`inspect` then `check`."""
    return check(inspect(path), allowed, max_size)


def convert(
    source: str | Path,
    target: str | Path,
    *,
    source_format: str,
    target_format: str,
    options: Sequence[str] = (),
    timeout: float = 3600.0,
    force_share: bool = False,
) -> None:
    """Write `source` as a new file `target` in `target_format` (`options`: `-o` values such as
    `subformat=streamOptimized`). Both formats are explicit; holes stay holes. `force_share`
    reads a disk a running (paused) guest holds open (`-U`)."""
    command = [qemu_img(), "convert", "-f", source_format, "-O", target_format]
    if force_share:
        command.append("-U")
    if options:
        command += ["-o", ",".join(options)]
    _run([*command, str(source), str(target)], timeout, f"converting {Path(source).name}")


def create(
    target: str | Path,
    fmt: str,
    size: int | None = None,
    *,
    backing: str | Path | None = None,
    backing_format: str | None = None,
) -> None:
    """A new image: empty of `size` bytes, or an overlay on `backing` (its format explicit)."""
    command = [qemu_img(), "create", "-q", "-f", fmt]
    if backing is not None:
        if not backing_format:
            raise DiskImageError("an overlay needs its backing file's format")
        command += ["-b", str(backing), "-F", backing_format]
    command.append(str(target))
    if size is not None:
        command.append(str(size))
    _run(command, 120.0, f"creating {Path(target).name}")
