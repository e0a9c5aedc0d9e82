"""OVF import and export as jobs (docs/ovf.md).

An import unpacks the OVA and checks its manifest (or, for a descriptor alone, fetches the
disk files its URLs name: appliance_sources.py), parses the descriptor and converts each disk
with qemu-img in the job's directory (the first to the qcow2 of the OS image the compute will
boot, the others to raw); only then does one transaction record the image and create the
storages (filled from those files), the networks it does not find, and the compute
(appliance_entities.py). A failure anywhere rolls the transaction back (the placed files go
with it), so a failed import leaves nothing in the cloud.

An export runs on a stopped compute (the lifecycle refuses it otherwise, 409): its disks
become streamOptimized VMDKs beside an OVF 1.0 descriptor and a SHA1 manifest.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from occi_server.backends.base import (
    Accepted,
    Backend,
    CloudDisks,
    DiskAccess,
    DiskFile,
)
from occi_server.categories import infrastructure as infra
from occi_server.categories import lifecycles
from occi_server.categories.openstack import NOVA_STATE
from occi_server.cdmi import objectid
from occi_server.config import OvfConfig, RemoteConfig
from occi_server.context import RequestContext
from occi_server.drivers import disk_images
from occi_server.errors import Conflict, NotImplementedByServer, OcciError, TooManyRequests
from occi_server.ovf import envelope, package, writer
from occi_server.ovf.errors import PackageError
from occi_server.ovf.jobs import Job, JobsFull, JobStore, Runner
from occi_server.remote import Fetcher
from occi_server.service.appliance_entities import create
from occi_server.service.appliance_sources import DESCRIPTOR, Sources
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
    def __init__(
        self,
        backend: Backend,
        config: OvfConfig,
        data_dir: str | Path,
        *,
        remote: RemoteConfig | None = None,
        enterprise: int = objectid.DOCUMENTATION_ENTERPRISE,
    ) -> None:
        self.backend = backend
        self.config = config
        # A descriptor's disk URLs: fetched under [remote]'s rules, or this server's CDMI objects.
        self.sources = Sources(Fetcher(remote or RemoteConfig()), enterprise)
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

    def upload_path(self, job: Job, *, descriptor: bool = False) -> Path:
        """Where the body goes: the OVA, or a descriptor alone (its disks are URLs)."""
        return self.jobs.folder(job.project, job.id) / (DESCRIPTOR if descriptor else "upload.ova")

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
        if (folder / DESCRIPTOR).exists():  # a descriptor alone: its disk files are fetched
            appliance = envelope.parse((folder / DESCRIPTOR).read_bytes())
            self._check_capacities(appliance)  # before anything is fetched
            unpacked = self.sources.gather(
                ctx, self.backend, appliance, folder / DESCRIPTOR, work, self.config,
                lambda text: self._progress(job, 5, text),
            )  # fmt: skip
            (folder / DESCRIPTOR).unlink()
        else:
            self._progress(job, 5, "unpacking the package and checking its manifest")
            unpacked = package.read(
                folder / "upload.ova", work / "package", self.config.max_package_bytes
            )
            (folder / "upload.ova").unlink()
            appliance = envelope.parse(unpacked.descriptor.path.read_bytes())
        disks = self._convert_all(job, unpacked, appliance, work)
        self._progress(job, 90, "recording the OS image, creating the storages, networks, compute")
        job.created = create(self.backend, ctx, appliance, disks)

    def _check_capacities(self, appliance: envelope.Appliance) -> None:
        total = sum(d.capacity for d in appliance.disks)
        if total > self.config.max_total_disk_bytes:
            raise PackageError(
                f"the disks' capacities add up to {total} bytes, over the maximum of "
                f"{self.config.max_total_disk_bytes}"
            )

    def _convert_all(
        self, job: Job, unpacked: package.Package, appliance: envelope.Appliance, work: Path
    ) -> list[Path]:
        self._check_capacities(appliance)
        converted = []
        for number, disk in enumerate(appliance.disks, start=1):
            share = 10 + 80 * (number - 1) // max(len(appliance.disks), 1)
            self._progress(job, share, f"converting disk {number} of {len(appliance.disks)}")
            raw = self._convert(unpacked, disk, work / f"disk{number}.raw")
            if number == 1:  # the boot disk: an OS image of the project, qcow2 as they are kept
                qcow2 = work / "disk1.qcow2"
                disk_images.convert(
                    raw, qcow2, source_format="raw", target_format="qcow2",
                    timeout=self.config.job_timeout,
                )  # fmt: skip
                raw.unlink()
                raw = qcow2
            converted.append(raw)
        return converted

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
        if isinstance(session, DiskAccess):
            session.invoke_action(location, action, {})  # the lifecycle: 409 unless stopped
            source = _source(session, location, tuple(session.disks_of(location)))
            disks: Callable[[Path], list[DiskFile]] = lambda _: list(source.disks)  # noqa: E731
        elif isinstance(session, CloudDisks):
            _stopped(session, location, action)
            source = _source(session, location, ())
            disks = session.export_disks(location)  # a snapshot, downloaded by the job
        else:
            raise NotImplementedByServer("this cloud does not export computes")
        _reserve(self.runner)
        job = self.jobs.new(op.catalogue_key[0], "export", source=location)
        self.runner.submit(job, lambda j: self._export(j, source, disks))
        return Accepted(location=f"{EXPORTS}{job.id}.ova", job=f"{JOBS}{job.id}")

    def _export(self, job: Job, source: _Source, gather: Callable[[Path], list[DiskFile]]) -> None:
        folder = self.jobs.folder(job.project, job.id)
        work = folder / "work"
        work.mkdir()
        self._progress(job, 2, "gathering the disks")
        source = dataclasses.replace(source, disks=tuple(gather(work)))
        before = [_stamp(d.path) for d in source.disks]
        name = writer.slug(source.title)
        disks: list[writer.ExportedDisk] = []
        files: list[tuple[str, Path]] = []
        for number, disk in enumerate(source.disks, start=1):
            self._progress(job, 5 + 85 * (number - 1) // len(source.disks), f"disk {number}")
            href = f"{name}-disk{number}.vmdk"
            vmdk = work / href
            capacity = self._to_vmdk(disk, vmdk, work / f"blank{number}.raw")
            disks.append(writer.ExportedDisk(href, vmdk.stat().st_size, capacity))
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

    def _to_vmdk(self, disk: DiskFile, vmdk: Path, blank: Path) -> int:
        """The disk as a streamOptimized VMDK; its capacity (at least what the image holds)."""
        source = disk.path
        fmt, capacity = "raw", disk.size
        if source is None:  # never written: zeros of its size
            with open(blank, "xb") as handle:
                handle.truncate(disk.size)
            source = blank
        else:
            info = disk_images.inspect(source)
            if disk.overlay and info.backing_file:  # a root disk on its image: read through
                info = dataclasses.replace(info, backing_file=None)
            info = disk_images.check(info, disk_images.STORED_FORMATS)
            fmt, capacity = info.format, max(disk.size, info.virtual_size)
        disk_images.convert(
            source,
            vmdk,
            source_format=fmt,
            target_format="vmdk",
            options=("subformat=streamOptimized",),
            timeout=self.config.job_timeout,
        )
        return capacity

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


def _stopped(session: Any, location: str, action: str) -> None:
    """The lifecycle's rule where the cloud, not this server, runs the compute: its step's
    statuses (SHUTOFF: a stopped server's disks do not change)."""
    entity = session.get_entity(location)
    status = str(entity.attributes.get(NOVA_STATE, "")).upper()
    step = lifecycles.COMPUTE.step(action)
    if step is not None and status not in step.sources:
        state = entity.attributes.get("occi.compute.state", status.lower())
        raise Conflict(f"action export is not allowed while the state is {state}")


def _source(session: Any, location: str, disks: tuple[DiskFile, ...]) -> _Source:
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
        disks=disks,
        nics=tuple(nics),
    )


def elapsed(job: Job) -> float:
    return (job.finished or time.time()) - job.started
