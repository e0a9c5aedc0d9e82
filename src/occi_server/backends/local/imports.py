"""Storagelinks to CDMI objects (issue 19, as rOCCI had them): a storagelink whose target is a
data object of this server (`/cdmi/<project>/<container>/<name>`, `/cdmi/cdmi_objectid/<ID>`)
or an external URL the operator allows ([remote] allowed) gets a new volume holding a copy of
the object's bytes, attached once they are in.

The request records the new storage (offline, "importing from <url>"), the link (inactive, the
same message) and, privately on the storage, what to copy and which process does it; it
answers at once. After the commit a worker thread of this process copies the bytes (a local
object: a copy in the store; an external one: remote.Fetcher, streamed into a staging file
that the store then takes), and a second transaction makes the storage online and the link
active and attaches the volume to the guest, or puts both in `error` with the reason. A server
that stops mid-copy starts the copy again when it next starts (this host's imports only)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from occi_server.backends.base import CONTAINERS
from occi_server.backends.local import guests, private, quotas, store
from occi_server.backends.local.owners import process_gone, this_process
from occi_server.backends.local.scope import Scope
from occi_server.backends.local.storage import IMPORTING, LIFECYCLE, SIZE
from occi_server.backends.local.store import EntityRecord
from occi_server.categories import infrastructure as infra
from occi_server.cdmi import references
from occi_server.drivers.volumes import GIB, StoreError, VolumeStore, volume_of
from occi_server.errors import BadRequest, Conflict, NotFound, OcciError
from occi_server.remote import Fetcher, FetchError

log = logging.getLogger("occi_server.imports")
SOURCE = "import_source"  # entity_private on the storage: what to copy, and who copies it
LINK_STATE, LINK_MESSAGE = "occi.storagelink.state", "occi.storagelink.state.message"


@dataclass(frozen=True, slots=True)
class Source:
    url: str  # as the client gave it (shown in messages)
    stored: str | None = None  # a local object's name in the volume store; None: external
    size: int = 0  # a local object's bytes (an external one's are known once fetched)
    title: str = ""


@dataclass(frozen=True, slots=True)
class _Job:
    project: str
    storage: str  # locations
    link: str
    source: Source


class Importer:
    def __init__(
        self,
        fetcher: Fetcher,
        volumes: VolumeStore,
        enterprise: int,
        transaction: Callable[[str], AbstractContextManager[Scope]],
    ) -> None:
        self.fetcher = fetcher
        self.enterprise = enterprise
        self._volumes = volumes
        self._transaction = transaction
        self._pool = ThreadPoolExecutor(fetcher.config.max_jobs, thread_name_prefix="occi-import")

    @property
    def owner(self) -> str:
        """This process (a worker forked after the backend was built has a pid of its own)."""
        return this_process()

    # -- in the request -----------------------------------------------------------------------
    def source(self, scope: Scope, reference: str, path: str | None) -> Source | None:
        """What a storagelink's target asks to import (None: an ordinary target); 400 or 409
        naming the target when it cannot be imported."""
        if path is None:  # an external URL
            refused = self.fetcher.refusal(reference)
            if refused is not None:
                raise BadRequest(f"occi.core.target: {refused}")
            title = reference.rstrip("/").rpartition("/")[2] or reference
            return Source(reference, title=title[:200])
        if not references.is_cdmi(path):
            return None
        from occi_server.backends.local import objects  # objects -> project_cloud -> links

        def names(container: str) -> list[str]:
            return [o.name for o in objects.listing(scope, container)]

        try:
            container, name = references.resolve(
                path, scope.project_id, self.enterprise, CONTAINERS, names
            )
            item = objects.find(scope, container, name)
        except (references.ReferenceError, NotFound) as error:
            raise BadRequest(f"occi.core.target: {error}") from None
        if item.busy:
            raise Conflict(f"occi.core.target: {container}/{name}: {item.busy}")
        stored = objects.bytes_of(scope.project_id, item)
        return Source(reference, stored, item.size, f"{container}/{name}"[:200])

    def new_volume(self, scope: Scope, source: Source) -> EntityRecord:
        """The storage that will hold the copy (offline until its bytes are in)."""
        attributes: dict[str, Any] = {
            SIZE: source.size / GIB,
            "occi.core.title": source.title,
            "occi.core.summary": f"imported from {source.url}"[:1000],
            LIFECYCLE.state: "offline",
            LIFECYCLE.message: IMPORTING + source.url,
        }
        quotas.require(scope, quotas.for_new(infra.STORAGE, attributes))
        storage_id = str(uuid.uuid4())
        return store.insert_entity(
            scope,
            entity_id=storage_id,
            kind=infra.STORAGE,
            location=f"{infra.STORAGE_KIND.location}{storage_id}",
            attributes=attributes,
            mixins=[],
        )

    def queue(
        self, scope: Scope, storage: EntityRecord, link: EntityRecord, source: Source
    ) -> None:
        """Record the copy beside the storage and start it once the request has committed."""
        record = {"url": source.url, "stored": source.stored, "link": link.location}
        private.put(scope, storage, SOURCE, {**record, "owner": self.owner})
        job = _Job(scope.project_id, storage.location, link.location, source)
        scope.after_commit.append(lambda: self._submit(job))

    # -- after it -----------------------------------------------------------------------------
    def _submit(self, job: _Job) -> None:
        self._pool.submit(self._run, job)

    def _run(self, job: _Job) -> None:
        storage_id = job.storage.rpartition("/")[2]
        name = volume_of(job.project, storage_id)
        try:
            self._copy(job.source, name)
            error = None
        except (FetchError, StoreError, OcciError, OSError) as failure:
            error = str(failure) or type(failure).__name__
        except Exception as failure:  # a bug: the link says so, the log keeps the trace
            log.exception("import of %s failed", job.source.url)
            error = f"internal error: {failure}"
        try:
            self._finish(job, name, error)
        except Exception:
            log.exception("import of %s: could not record its outcome", job.source.url)

    def _copy(self, source: Source, name: str) -> None:
        if source.stored is not None:
            self._volumes.snapshot(source.stored, name)
            return
        staged = self._volumes.staging_dir() / f"import-{uuid.uuid4().hex}"
        self.fetcher.fetch(source.url, staged)
        try:
            self._volumes.take_file(name, staged)
        finally:
            staged.unlink(missing_ok=True)

    def _finish(self, job: _Job, name: str, error: str | None) -> None:
        volumes = self._volumes
        with self._transaction(job.project) as scope:
            storage = store.find(scope, job.storage, for_update=True)
            if storage is None:  # deleted meanwhile: its copy goes too
                scope.after_commit.append(lambda: volumes.delete(name))
                return
            private.drop(scope, storage, SOURCE)
            link = store.find(scope, job.link, for_update=True)
            if error is None:
                error = _admit(scope, storage, volumes.size(name) if volumes.exists(name) else 0)
            if error is not None:
                scope.after_commit.append(lambda: volumes.delete(name))
            _settle(scope, storage, link, job.source.url, error)

    def recover(self) -> int:
        """Start again the imports this host's stopped processes left; how many."""
        jobs = []
        with self._transaction("") as scope:
            for pk, project, record in private.everywhere(scope, SOURCE):
                if not process_gone(str(record.get("owner", ""))):
                    continue
                storage = store.by_pk(scope, pk)
                if storage is None:
                    continue
                private.put(scope, storage, SOURCE, {**record, "owner": self.owner})
                source = Source(str(record["url"]), record.get("stored"), 0, "")
                jobs.append(_Job(project, storage.location, str(record["link"]), source))
        for job in jobs:
            self._submit(job)
        return len(jobs)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _admit(scope: Scope, storage: EntityRecord, size: int) -> str | None:
    """Why the copied bytes cannot be kept (a quota), or None."""
    if size < 1:
        return "the object holds no bytes"
    try:
        quotas.require(scope, {"gigabytes": size / GIB - float(storage.attributes.get(SIZE, 0))})
    except OcciError as refused:
        return str(refused)
    attributes = {**storage.attributes, SIZE: size / GIB}
    store.write_attributes(scope, storage, attributes)
    return None


def _settle(
    scope: Scope,
    storage: EntityRecord,
    link: EntityRecord | None,
    url: str,
    error: str | None,
) -> None:
    message = f"imported from {url}" if error is None else f"import failed: {error}"[:1000]
    attributes = dict(storage.attributes)
    LIFECYCLE.settle(attributes, "online" if error is None else "error", message)
    store.write_attributes(scope, storage, attributes)
    store.bump(scope, storage)
    if link is None:  # the link went while the bytes came: the volume stays, detached
        return
    values = {**link.attributes, LINK_STATE: "active" if error is None else "error"}
    values[LINK_MESSAGE] = "attached" if error is None else message
    store.write_attributes(scope, link, values)
    store.bump(scope, link)
    if error is None:
        guests.tell(scope, link, infra.STORAGELINK, attach=True)
