"""OVA packages: a tar (USTAR) with the .ovf descriptor first, an optional .mf manifest and the
files the descriptor references.

Reading never trusts the tar: members are regular files (a link, device or FIFO is refused),
their names stay inside the package, their count and sizes are bounded, and each is written
by this module into the job's own directory while its digests are computed (tarfile's
extraction is not used, so nothing a member says about itself is applied).
"""

from __future__ import annotations

import hashlib
import re
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from occi_server.ovf.errors import ManifestError, PackageError

MAX_MEMBERS = 64
MAX_DESCRIPTOR_BYTES = 4 << 20
_CHUNK = 1 << 20
_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+~@-]{0,254}")
_LINE = re.compile(
    r"\s*(SHA1|SHA256|SHA512)\s*\((?P<name>[^()]{1,1000})\)\s*=\s*(?P<digest>[0-9A-Fa-f]+)\s*"
)
_DIGEST_BYTES = {"SHA1": 20, "SHA256": 32, "SHA512": 64}


@dataclass(frozen=True, slots=True)
class Member:
    name: str
    path: Path
    size: int
    digests: dict[str, str]  # SHA1, SHA256, SHA512 -> hex (those the manifest asks for)


@dataclass(slots=True)
class Package:
    root: Path
    descriptor: Member
    manifest: Member | None
    members: dict[str, Member] = field(default_factory=dict)

    def file(self, href: str) -> Member:
        found = self.members.get(href)
        if found is None:
            raise PackageError(f"file {href[:80]} is referenced but not in the package")
        return found


def safe_name(name: str) -> str:
    """A member's name as a relative path of plain segments; PackageError otherwise."""
    cleaned = name.removeprefix("./")
    parts = cleaned.split("/")
    if name.startswith("/") or not all(_SEGMENT.fullmatch(p) for p in parts) or len(parts) > 4:
        raise PackageError(f"tar member {name[:80]!r}: not a plain path inside the package")
    return cleaned


def read(path: Path, into: Path, max_bytes: int) -> Package:
    """Unpack the OVA at `path` into the empty directory `into`, then check its manifest."""
    try:
        archive = tarfile.open(path, mode="r:")  # noqa: SIM115 (closed below; OVA: no compression)
    except (tarfile.TarError, OSError) as error:
        raise PackageError(f"the package is not an uncompressed tar: {error}") from error
    members: dict[str, Member] = {}
    total = 0
    # Once the manifest is read (it precedes the disks in a well-formed OVA), each later file
    # is hashed only with the algorithm it names: three digests of a disk cost seconds per GiB.
    wanted: dict[str, set[str]] | None = None
    with archive:
        for count, info in enumerate(archive, start=1):
            if count > MAX_MEMBERS:
                raise PackageError(f"more than {MAX_MEMBERS} members in the package")
            if info.isdir():
                safe_name(info.name.rstrip("/"))
                continue
            name = _checked(info, members)
            total += info.size
            if total > max_bytes:
                raise PackageError(f"the package's files exceed the maximum of {max_bytes} bytes")
            algorithms = set(_DIGEST_BYTES) if wanted is None else wanted.get(name, set())
            members[name] = _extract(archive, info, name, into, algorithms)
            if name.endswith(".mf") and wanted is None:
                wanted = _wanted(members[name])
    return _package(into, members)


def _wanted(manifest: Member) -> dict[str, set[str]]:
    """Member name (as in the tar) -> the algorithms the manifest names for it."""
    folder = manifest.name.rpartition("/")[0]
    found: dict[str, set[str]] = {}
    text = manifest.path.read_bytes()[: 1 << 20].decode("utf-8", "replace")
    for line in text.splitlines():
        match = _LINE.fullmatch(line)
        if match is not None:
            name = match.group("name").removeprefix("./")
            found.setdefault(f"{folder}/{name}" if folder else name, set()).add(match.group(1))
    return found


def _checked(info: tarfile.TarInfo, members: dict[str, Member]) -> str:
    if not info.isreg():
        what = "a link" if info.issym() or info.islnk() else "a device or FIFO"
        raise PackageError(f"tar member {info.name[:80]!r} is {what}; only files are accepted")
    name = safe_name(info.name)
    if name in members:
        raise PackageError(f"tar member {name[:80]} appears twice")
    return name


def _extract(
    archive: tarfile.TarFile, info: tarfile.TarInfo, name: str, into: Path, algorithms: set[str]
) -> Member:
    source = archive.extractfile(info)
    assert source is not None  # a regular file
    target = into.joinpath(*name.split("/"))
    target.parent.mkdir(parents=True, exist_ok=True)
    hashes = {a: hashlib.new(a.lower()) for a in sorted(algorithms)}
    with source, open(target, "xb") as out:
        while chunk := source.read(_CHUNK):
            out.write(chunk)
            for digest in hashes.values():
                digest.update(chunk)
    return Member(name, target, info.size, {k: h.hexdigest() for k, h in hashes.items()})


def _package(root: Path, members: dict[str, Member]) -> Package:
    members = _rooted(members)
    descriptors = [m for m in members.values() if m.name.endswith(".ovf") and "/" not in m.name]
    if len(descriptors) != 1:
        raise PackageError(f"the package holds {len(descriptors)} .ovf descriptors, not one")
    descriptor = descriptors[0]
    if descriptor.size > MAX_DESCRIPTOR_BYTES:
        raise PackageError(f"descriptor {descriptor.name} is over {MAX_DESCRIPTOR_BYTES} bytes")
    manifests = [m for m in members.values() if m.name.endswith(".mf") and "/" not in m.name]
    if len(manifests) > 1:
        raise PackageError("the package holds more than one .mf manifest")
    package = Package(root, descriptor, manifests[0] if manifests else None, members)
    if package.manifest is not None:
        verify(package)
    return package


def _rooted(members: dict[str, Member]) -> dict[str, Member]:
    """Names relative to the package: a package whose every file lies in one folder (as
    `tar -cf x.ova folder` makes it) is read as that folder."""
    if any("/" not in name for name in members) or not members:
        return members
    folders = {name.split("/", 1)[0] for name in members}
    if len(folders) != 1:
        return members
    inner = {name: name.split("/", 1)[1] for name in members}
    return {inner[name]: replace(member, name=inner[name]) for name, member in members.items()}


def verify(package: Package) -> None:
    """Every file but the manifest (and a .cert) is listed, and each digest matches."""
    assert package.manifest is not None
    text = package.manifest.path.read_bytes()[: 1 << 20].decode("utf-8", "replace")
    listed: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _LINE.fullmatch(line)
        if match is None:
            raise ManifestError(f"{package.manifest.name} line {number} is not ALGO(name)= hex")
        algorithm, name, digest = match.group(1), match.group("name"), match.group("digest")
        if len(digest) != 2 * _DIGEST_BYTES[algorithm]:
            raise ManifestError(f"{package.manifest.name} line {number}: a short {algorithm}")
        member = package.members.get(name.removeprefix("./"))
        if member is None:
            raise ManifestError(f"the manifest lists {name[:80]}, which the package lacks")
        if member.digests.get(algorithm) != digest.lower():
            raise ManifestError(f"{member.name}: its {algorithm} does not match the manifest")
        listed.add(member.name)
    unlisted = sorted(
        name
        for name in package.members
        if name not in listed and name != package.manifest.name and not name.endswith(".cert")
    )
    if unlisted:
        raise ManifestError(f"the manifest does not list {', '.join(unlisted)[:200]}")


def manifest(members: Iterable[tuple[str, Path]], algorithm: str = "SHA1") -> bytes:
    """`ALGO(name)= hex` lines for each file (OVF 1.x: SHA1)."""
    lines = []
    for name, path in members:
        digest = hashlib.new(algorithm.lower())
        with open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
        lines.append(f"{algorithm}({name})= {digest.hexdigest()}\n")
    return "".join(lines).encode()


def write(target: Path, members: Iterable[tuple[str, Path]]) -> None:
    """A USTAR archive of `members` in the order given (the .ovf first, as DSP0243 asks)."""
    partial = target.with_name(target.name + ".partial")
    with tarfile.open(partial, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name, path in members:
            info = tarfile.TarInfo(safe_name(name))
            info.size = path.stat().st_size
            info.mode = 0o644
            info.mtime = int(path.stat().st_mtime)
            with open(path, "rb") as handle:
                archive.addfile(info, handle)
    partial.replace(target)  # a reader never sees half a package
