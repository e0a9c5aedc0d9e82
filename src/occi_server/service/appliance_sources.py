"""The disk files of an OVF descriptor imported alone (`application/ovf+xml`, docs/ovf.md).

Each disk's `References/File@ovf:href` is an absolute URL: an http(s) URL under a prefix the
operator allows ([remote] allowed, fetched by remote.Fetcher), or a data object of this
server's CDMI namespace (`/cdmi/<project>/<container>/<name>`, `/cdmi/cdmi_objectid/<ID>`, as
a path or an absolute URL of this server), read through the backend's object store. Each is
written into the job's directory and its size checked against `ovf:size` when the descriptor
gives one; the files then go through the same checks and conversions as an OVA's members.
A descriptor alone has no manifest (a manifest lists the files of a package)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from occi_server.backends.base import Backend, ObjectStore
from occi_server.cdmi import references
from occi_server.config import OvfConfig
from occi_server.context import RequestContext
from occi_server.errors import OcciError
from occi_server.ovf import envelope, package
from occi_server.ovf.errors import PackageError
from occi_server.remote import Fetcher, FetchError
from occi_server.service.urls import to_path

DESCRIPTOR = "descriptor.ovf"  # a descriptor alone, as uploaded, in the job's folder
_CHUNK = 1 << 20


class Sources:
    def __init__(self, fetcher: Fetcher, enterprise: int) -> None:
        self.fetcher = fetcher
        self.enterprise = enterprise

    def gather(
        self,
        ctx: RequestContext,
        backend: Backend,
        appliance: envelope.Appliance,
        descriptor: Path,
        work: Path,
        limits: OvfConfig,
        progress: Callable[[str], None],
    ) -> package.Package:
        """The disks' files, fetched into `work`, as the members of a package."""
        wanted = {disk.file for disk in appliance.disks if disk.file}
        files = [f for f in appliance.files if f.href in wanted]
        members: dict[str, package.Member] = {}
        total = 0
        for number, file in enumerate(files, start=1):
            progress(f"fetching disk file {number} of {len(files)}: {file.href[:200]}")
            target = work / f"file{number}"
            size = self._get(ctx, backend, file.href, target, limits.max_package_bytes - total)
            if file.size is not None and size != file.size:
                raise PackageError(
                    f"file {file.href[:120]}: ovf:size says {file.size} bytes, {size} arrived"
                )
            total += size
            members[file.href] = package.Member(file.href, target, size, {})
        info = package.Member(descriptor.name, descriptor, descriptor.stat().st_size, {})
        return package.Package(work, info, None, members)

    def _get(
        self, ctx: RequestContext, backend: Backend, href: str, target: Path, most: int
    ) -> int:
        what = f"file {href[:120]}"
        if most < 1:
            raise PackageError(f"{what}: the files exceed ovf.max_package_bytes")
        if "://" not in href and not href.startswith("/"):
            raise PackageError(
                f"{what}: a relative href names a file of an OVA; a descriptor alone names its "
                "disks by http(s) URL or by this server's /cdmi/ path (or send the OVA)"
            )
        try:
            path = to_path(href, ctx.base_url, what=what, same_port=True)
        except OcciError as error:
            raise PackageError(error.message) from None
        if path.startswith("/"):
            if not references.is_cdmi(path):
                raise PackageError(f"{what}: a path of this server that is not under /cdmi/")
            objects = getattr(backend, "objects", None)
            return _copy_object(ctx, objects, path, target, most, self.enterprise)
        try:
            return self.fetcher.fetch(href, target, limit=most)
        except FetchError as error:
            raise PackageError(f"{what}: {error}") from None


def _copy_object(
    ctx: RequestContext,
    objects: ObjectStore | None,
    path: str,
    target: Path,
    most: int,
    enterprise: int,
) -> int:
    """A data object of this server, read in chunks into `target`."""
    if objects is None:
        raise PackageError(f"file {path[:120]}: this cloud serves no CDMI objects")

    def names(container: str) -> list[str]:
        return [o.name for o in objects.objects(ctx, container)]

    try:
        container, name = references.resolve(
            path, ctx.project_id, enterprise, objects.features.containers, names
        )
        item = objects.find(ctx, container, name)
    except (references.ReferenceError, OcciError) as error:
        raise PackageError(f"file {path[:120]}: {error}") from None
    if item.busy:
        raise PackageError(f"file {path[:120]}: {container}/{name}: {item.busy}")
    if item.size > most:
        raise PackageError(f"file {path[:120]}: {item.size} bytes, over ovf.max_package_bytes")
    reader = objects.reader(ctx, item)
    try:
        with open(target, "xb") as out:
            for offset in range(0, item.size, _CHUNK):
                out.write(reader.read(offset, min(_CHUNK, item.size - offset)))
    finally:
        reader.close()
    return item.size
