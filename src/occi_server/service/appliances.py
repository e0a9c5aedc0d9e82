"""OVF import and export as jobs (docs/ovf.md).

An import unpacks the OVA, checks the manifest, parses the descriptor and converts each disk
with qemu-img to raw in the job's directory; only then does one transaction create the
storages (filled from those files), the networks it does not find, and the compute with its
storagelinks and networkinterfaces. A failure anywhere rolls the transaction back (the
storages' files go with it), so a failed import leaves nothing in the cloud.

An export runs on a stopped compute (the lifecycle refuses it otherwise, 409): its disks
become streamOptimized VMDKs beside an OVF 1.0 descriptor and a SHA1 manifest.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from occi_server.backends.base import (
    Accepted,
    Backend,
    DiskAccess,
    DiskFile,
    EntityDraft,
    EntityQuery,
    LinkDraft,
    ProjectCloud,
)
from occi_server.categories import infrastructure as infra
from occi_server.config import OvfConfig
from occi_server.context import RequestContext
from occi_server.drivers import disk_images
from occi_server.errors import BadRequest, NotImplementedByServer, OcciError, TooManyRequests
from occi_server.ovf import envelope, package, writer
from occi_server.ovf.errors import PackageError
from occi_server.ovf.jobs import Job, JobsFull, JobStore, Runner
from occi_server.service.entities import Operation

GIB = 1 << 30
MIB = 1 << 20
EXPORT = "export"
IMPORTS, JOBS, EXPORTS = "/ovf/imports/", "/ovf/jobs/", "/ovf/exports/"


@dataclass(frozen=True, slots=True)
class _Source:
    """What an export reads, gathered inside the request's transaction."""

    title: str
    cores: int
    memory_mib: int
    disks: tuple[DiskFile, ...]
    nics: tuple[str, ...]


class Appliances:
    def __init__(self, backend: Backend, config: OvfConfig, data_dir: str | Path) -> None:
        self.backend = backend
        self.config = config
        self.jobs = JobStore(Path(data_dir) / "ovf")
        if self.jobs.root.is_dir():  # made with the first job
            self.jobs.recover()
        expected = (PackageError, disk_images.DiskImageError, OcciError)
        self.runner = Runner(self.jobs, config.max_jobs, expected)

    def close(self) -> None:
        self.runner.close()

    # -- import -------------------------------------------------------------------------------
    def new_import(self, ctx: RequestContext) -> Job:
        """A job whose upload is about to be read (429 when the queue is full)."""
        _reserve(self.runner)
        return self.jobs.new(ctx.project_id, "import")

    def upload_path(self, job: Job) -> Path:
        return self.jobs.folder(job.project, job.id) / "upload.ova"

    def abandon(self, job: Job) -> None:
        """The upload did not arrive whole: no job at all."""
        self.jobs.discard(job)
        self.runner.release()

    def start_import(self, ctx: RequestContext, job: Job) -> None:
        self.runner.submit(job, lambda j: self._import(ctx, j))

    def _import(self, ctx: RequestContext, job: Job) -> None:
        folder = self.jobs.folder(job.project, job.id)
        work = folder / "work"
        work.mkdir()
        self._progress(job, 5, "unpacking the package and checking its manifest")
        unpacked = package.read(
            folder / "upload.ova", work / "package", self.config.max_package_bytes
        )
        (folder / "upload.ova").unlink()
        appliance = envelope.parse(unpacked.descriptor.path.read_bytes())
        disks = self._convert_all(job, unpacked, appliance, work)
        self._progress(job, 90, "creating the storages, networks and the compute")
        job.created = _create(self.backend, ctx, appliance, disks)

    def _convert_all(
        self, job: Job, unpacked: package.Package, appliance: envelope.Appliance, work: Path
    ) -> list[Path]:
        total = sum(d.capacity for d in appliance.disks)
        if total > self.config.max_total_disk_bytes:
            raise PackageError(
                f"the disks' capacities add up to {total} bytes, over the maximum of "
                f"{self.config.max_total_disk_bytes}"
            )
        raws = []
        for number, disk in enumerate(appliance.disks, start=1):
            share = 10 + 80 * (number - 1) // max(len(appliance.disks), 1)
            self._progress(job, share, f"converting disk {number} of {len(appliance.disks)}")
            raws.append(self._convert(unpacked, disk, work / f"disk{number}.raw"))
        return raws

    def _convert(self, unpacked: package.Package, disk: envelope.Disk, raw: Path) -> Path:
        what = f"disk {disk.disk_id[:80]}"
        most = self.config.max_disk_bytes
        if disk.capacity > most or disk.capacity < 1:
            raise PackageError(f"{what}: capacity {disk.capacity} bytes (1 to {most} accepted)")
        if disk.file is None:  # a blank disk the appliance expects to be made
            with open(raw, "xb") as handle:
                handle.truncate(disk.capacity)
            return raw
        member = unpacked.file(disk.file)
        try:
            info = disk_images.check(disk_images.inspect(member.path, disk.format), max_size=most)
        except disk_images.DiskImageError as error:
            said = f" (ovf:format says {disk.format})" if disk.format else ""
            raise PackageError(f"{what}: {error}{said}") from error
        if info.virtual_size > disk.capacity:
            raise PackageError(
                f"{what}: its image holds {info.virtual_size} bytes, more than the capacity "
                f"{disk.capacity} the descriptor gives"
            )
        disk_images.convert(
            member.path,
            raw,
            source_format=info.format,
            target_format="raw",
            timeout=self.config.job_timeout,
        )
        member.path.unlink()  # the converted copy is all that is needed now
        os.truncate(raw, disk.capacity)
        return raw

    # -- export -------------------------------------------------------------------------------
    def export(self, op: Operation, location: str, action: str) -> Accepted:
        """Start exporting the compute at `location` (the action checks its state first)."""
        session = op.cloud
        if not isinstance(session, DiskAccess):
            raise NotImplementedByServer("this cloud does not export computes")
        session.invoke_action(location, action, {})  # the lifecycle: 409 unless stopped
        source = _source(session, location)
        _reserve(self.runner)
        job = self.jobs.new(op.catalogue_key[0], "export", source=location)
        self.runner.submit(job, lambda j: self._export(j, source))
        return Accepted(location=f"{EXPORTS}{job.id}.ova", job=f"{JOBS}{job.id}")

    def _export(self, job: Job, source: _Source) -> None:
        folder = self.jobs.folder(job.project, job.id)
        work = folder / "work"
        work.mkdir()
        before = [_stamp(d.path) for d in source.disks]
        name = writer.slug(source.title)
        disks: list[writer.ExportedDisk] = []
        files: list[tuple[str, Path]] = []
        for number, disk in enumerate(source.disks, start=1):
            self._progress(job, 5 + 85 * (number - 1) // len(source.disks), f"disk {number}")
            href = f"{name}-disk{number}.vmdk"
            vmdk = work / href
            self._to_vmdk(disk, vmdk, work / f"blank{number}.raw")
            disks.append(writer.ExportedDisk(href, vmdk.stat().st_size, disk.size))
            files.append((href, vmdk))
        if [_stamp(d.path) for d in source.disks] != before:
            raise PackageError("a disk changed during the export (was the compute started?)")
        self._progress(job, 92, "writing the descriptor, manifest and package")
        descriptor = work / f"{name}.ovf"
        descriptor.write_bytes(
            writer.render(
                writer.System(
                    source.title, source.cores, source.memory_mib, tuple(disks), source.nics
                )
            )
        )
        listed = [(descriptor.name, descriptor), *files]
        mf = work / f"{name}.mf"
        mf.write_bytes(package.manifest(listed))
        package.write(folder / "package.ova", [listed[0], (mf.name, mf), *files])
        job.package = f"{name}.ova"

    def _to_vmdk(self, disk: DiskFile, vmdk: Path, blank: Path) -> None:
        source = disk.path
        fmt = "raw"
        if source is None:  # never written: zeros of its size
            with open(blank, "xb") as handle:
                handle.truncate(disk.size)
            source = blank
        else:
            info = disk_images.check(disk_images.inspect(source), disk_images.STORED_FORMATS)
            fmt = info.format
        disk_images.convert(
            source,
            vmdk,
            source_format=fmt,
            target_format="vmdk",
            options=("subformat=streamOptimized",),
            timeout=self.config.job_timeout,
        )

    def _progress(self, job: Job, percent: int, step: str) -> None:
        job.progress, job.step = percent, step
        self.jobs.save(job)


def _reserve(runner: Runner) -> None:
    try:
        runner.reserve()
    except JobsFull:
        raise TooManyRequests(
            "as many OVF jobs as allowed are under way (ovf.max_jobs); retry later",
            retry_after=30,
        ) from None


def _stamp(path: Path | None) -> tuple[int, int] | None:
    if path is None:
        return None
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def _source(session: Any, location: str) -> _Source:
    entity = session.get_entity(location)
    attributes = entity.attributes
    nics = []
    for link in entity.links:
        if link.kind == infra.NETWORKINTERFACE:
            with contextlib.suppress(OcciError):
                target = session.get_entity(link.target)
                nics.append(str(target.attributes.get("occi.core.title") or target.id))
    return _Source(
        title=str(attributes.get("occi.core.title") or entity.id),
        cores=int(attributes.get("occi.compute.cores") or 1),
        memory_mib=round(float(attributes.get("occi.compute.memory") or 0.5) * 1024),
        disks=tuple(session.disks_of(location)),
        nics=tuple(nics),
    )


def _create(
    backend: Backend, ctx: RequestContext, appliance: envelope.Appliance, raws: list[Path]
) -> list[str]:
    """Everything the appliance needs: the disks' bytes placed first, outside any write
    transaction (copying gigabytes must not hold the writer's turn), then one transaction for
    every entity: all of it or nothing."""
    ids = [str(uuid.uuid4()) for _ in raws]
    with backend.open(ctx, write=False) as session:
        if not isinstance(session, DiskAccess):
            raise NotImplementedByServer("this cloud does not import OVF packages")
        for storage_id, raw in zip(ids, raws, strict=True):
            session.place_storage(storage_id, raw)
            raw.unlink()
    try:
        with backend.open(ctx, write=True) as session:
            return _entities(session, appliance, ids)
    except BaseException:
        with backend.open(ctx, write=False) as session:
            assert isinstance(session, DiskAccess)
            for storage_id in ids:
                session.discard_storage(storage_id)
        raise


def _entities(session: ProjectCloud, appliance: envelope.Appliance, ids: list[str]) -> list[str]:
    made: list[str] = []
    links = []
    for number, (disk, storage_id) in enumerate(zip(appliance.disks, ids, strict=True)):
        storage: str = session.create_entity(
            EntityDraft(
                kind=infra.STORAGE_KIND,
                id=storage_id,  # the bytes placed for it are kept
                attributes={
                    "occi.core.title": f"{appliance.name} {disk.disk_id}"[:200],
                    "occi.storage.size": disk.capacity / GIB,
                },
            )
        )
        made.append(storage)
        device = {"occi.storagelink.deviceid": "vd" + chr(ord("b") + number)}
        links.append(_link(infra.STORAGELINK_KIND, storage, infra.STORAGE, device))
    wanted = [*appliance.networks, *(n for n in appliance.nics if n)]
    networks = {name: _network(session, name, made) for name in dict.fromkeys(wanted)}
    links += [
        _link(infra.NETWORKINTERFACE_KIND, networks[n], infra.NETWORK, {})
        for n in appliance.nics
        if n
    ]
    made.append(session.create_entity(_compute(appliance, links)))
    return made


def _link(kind: Any, target: str, target_kind: str, attributes: dict[str, Any]) -> LinkDraft:
    return LinkDraft(kind=kind, target=target, target_kind=target_kind, attributes=attributes)


def _compute(appliance: envelope.Appliance, links: list[LinkDraft]) -> EntityDraft:
    attributes: dict[str, Any] = {"occi.core.title": appliance.name[:200]}
    if appliance.cores is not None:
        attributes["occi.compute.cores"] = appliance.cores
    if appliance.memory is not None:
        attributes["occi.compute.memory"] = appliance.memory / GIB
    mixins = []
    if appliance.properties:
        attributes["occi.compute.userdata"] = environment(appliance)
        mixins.append(infra.USER_DATA_MIXIN)
    return EntityDraft(kind=infra.COMPUTE_KIND, mixins=mixins, attributes=attributes, links=links)


def environment(appliance: envelope.Appliance) -> str:
    """ProductSection properties as `key=value` lines, the guest's user data."""
    lines = [f"{key}={value}".replace("\n", " ") for key, value in appliance.properties]
    return "\n".join(lines) + "\n"


def _network(session: ProjectCloud, name: str, made: list[str]) -> str:
    """The project's network of that title, or a new one."""
    found = session.list_locations(
        EntityQuery(kinds=(infra.NETWORK,), attributes={"occi.core.title": name}, limit=1)
    )
    if found:
        return str(found[0])
    if len(name) > 200:
        raise BadRequest(f"network name {name[:60]}...: longer than 200 characters")
    location: str = session.create_entity(
        EntityDraft(kind=infra.NETWORK_KIND, attributes={"occi.core.title": name})
    )
    made.append(location)
    return location


def elapsed(job: Job) -> float:
    return (job.finished or time.time()) - job.started
