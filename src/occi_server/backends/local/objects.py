"""The embedded cloud's stored bytes as objects (backends/base.ObjectStore), for CDMI: a
project's volumes (storage entities), its own OS images (os_templates it saved or uploaded)
and its volumes' snapshot and backup copies.

A new object's bytes arrive as a file received in full; the storage entity or OS template is
recorded and the file moved into the store in one transaction (rolled back: the file goes), so
a broken upload never shows as half a volume."""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from occi_server.backends.base import EntityDraft, ObjectFeatures, StoredObject
from occi_server.backends.local import images, quotas, store, versions
from occi_server.backends.local.project_cloud import LocalProjectCloud
from occi_server.backends.local.scope import Scope
from occi_server.backends.local.storage import LIFECYCLE, SIZE, SNAPSHOT_SUFFIXES, importing
from occi_server.backends.local.store import EntityRecord
from occi_server.categories import infrastructure as infra
from occi_server.context import RequestContext
from occi_server.drivers import disk_images
from occi_server.drivers.disk_images import DiskImageError
from occi_server.drivers.volumes import (
    GIB,
    GLOBAL_PROJECT,
    StoreError,
    VolumeStore,
    image_of,
    volume_of,
)
from occi_server.errors import BadRequest, Conflict, NotFound

Sessions = Callable[[RequestContext, bool], AbstractContextManager[LocalProjectCloud]]
# An image's metadata says whose it is (Glance's word): the project's, or every project's.
VISIBILITY, PUBLIC = "visibility", "public"
_SHOWN = ("occi.core.title", SIZE, LIFECYCLE.state, LIFECYCLE.message)


class LocalObjects:
    """Volumes, images and snapshots of the caller's project, read and written by range."""

    features = ObjectFeatures()

    def __init__(self, sessions: Sessions, volumes: VolumeStore) -> None:
        self._sessions = sessions
        self._volumes = volumes

    # -- reading ------------------------------------------------------------------------------
    def objects(self, ctx: RequestContext, container: str) -> list[StoredObject]:
        with self._scope(ctx, write=False) as scope:
            return listing(scope, container)

    def find(self, ctx: RequestContext, container: str, name: str) -> StoredObject:
        with self._scope(ctx, write=False) as scope:
            return find(scope, container, name)

    def reader(self, ctx: RequestContext, item: StoredObject) -> _StoreReader:
        return _StoreReader(self._volumes, bytes_of(ctx.project_id, item), item)

    def staging_dir(self) -> str:
        return str(self._volumes.staging_dir())

    # -- writing ------------------------------------------------------------------------------
    def create(
        self, ctx: RequestContext, container: str, name: str, staged: str, mimetype: str
    ) -> StoredObject:
        size = os.path.getsize(staged)
        if container == "images":  # qemu-img runs before the transaction, not holding it
            disk_format = _checked_image(name, Path(staged))
        with self._sessions(ctx, True) as session:
            if container == "volumes":
                item = _new_volume(session, name, size, Path(staged))
            elif container == "images":
                item = _new_image(session.scope, name, size, Path(staged), disk_format)
            else:
                raise BadRequest(f"{container}/: snapshots are made by the OCCI snapshot action")
        item.mimetype = mimetype
        return item

    def write_range(
        self, ctx: RequestContext, container: str, name: str, start: int, staged: str
    ) -> StoredObject:
        if container != "volumes":
            raise Conflict(f"{container}/{name}: only a volume's bytes can be changed")
        length = os.path.getsize(staged)
        with self._scope(ctx, write=True) as scope:
            row = _volume_row(scope, name, for_update=True)
            item = _volume(scope, row)
            if item.busy:
                raise Conflict(f"volumes/{name}: {item.busy}")
            if start + length > item.size:  # a write past the end grows the volume
                _resize(scope, row, start + length)
            store.bump(scope, row)
        # The bytes are copied after the commit: a write of gigabytes holds no database lock.
        volume = volume_of(ctx.project_id, row.id)
        with open(staged, "rb") as source:
            offset = start
            for chunk in iter(lambda: source.read(1 << 20), b""):
                self._volumes.write(volume, offset, chunk)
                offset += len(chunk)
        return self.find(ctx, container, name)

    def delete(self, ctx: RequestContext, container: str, name: str) -> None:
        with self._sessions(ctx, True) as session:
            scope = session.scope
            if container == "volumes":
                session.delete_entity(_volume_row(scope, name).location)
            elif container == "images":
                if not any(term == name for term, _, _ in images.private(scope)):
                    if any(term == name for term, _, _ in images.private(scope, GLOBAL_PROJECT)):
                        raise Conflict(
                            f"images/{name}: an image of the operator's for every project "
                            "(occi-server image import); it is not yours to delete"
                        )
                    raise NotFound(f"no data object images/{name}")
                images.remove(scope, name)
                versions.bump(scope)
                bytes_name, volumes = image_of(scope.project_id, name), scope.cloud.drivers.volumes
                scope.after_commit.append(lambda: volumes.delete(bytes_name))
            else:
                raise Conflict(f"{container}/{name}: a snapshot goes with its volume")

    @contextlib.contextmanager
    def _scope(self, ctx: RequestContext, *, write: bool) -> Iterator[Scope]:
        with self._sessions(ctx, write) as session:
            yield session.scope


class _StoreReader:
    """A stored file read by range; nothing to free."""

    def __init__(self, volumes: VolumeStore, name: str, item: StoredObject) -> None:
        self._volumes, self._name, self._item = volumes, name, item

    def read(self, start: int, length: int) -> bytes:
        try:
            return self._volumes.read(self._name, start, length)
        except StoreError as error:
            what = f"{self._item.container}/{self._item.name}"
            raise NotFound(f"{what}: its bytes are gone") from error

    def close(self) -> None:
        """A file read by range holds nothing open."""


# -- what each container holds -------------------------------------------------------------
def listing(scope: Scope, container: str) -> list[StoredObject]:
    volumes = scope.cloud.drivers.volumes
    if container == "volumes":
        return [_volume(scope, row) for row in store.of_kind(scope, infra.STORAGE)]
    if container == "images":
        found, own = [], set()
        for term, title, values in images.private(scope):
            name = image_of(scope.project_id, term)
            own.add(term)
            if volumes.exists(name):
                found.append(_image(term, title, values, volumes.size(name)))
        # The operator's images for every project (occi-server image import), read-only here.
        for term, title, values in images.private(scope, GLOBAL_PROJECT):
            name = image_of(GLOBAL_PROJECT, term)
            if term not in own and volumes.exists(name):
                found.append(_image(term, title, values, volumes.size(name), PUBLIC))
        return found
    if container == "snapshots":
        copies = []
        for row in store.of_kind(scope, infra.STORAGE):
            for suffix in SNAPSHOT_SUFFIXES:
                name = volume_of(scope.project_id, row.id) + suffix
                if volumes.exists(name):
                    copies.append(_snapshot(row, suffix, volumes.size(name)))
        return copies
    raise NotFound(f"no container {container}/")


def find(scope: Scope, container: str, name: str) -> StoredObject:
    if container == "volumes":
        return _volume(scope, _volume_row(scope, name))
    for item in listing(scope, container):
        if item.name == name:
            return item
    raise NotFound(f"no data object {container}/{name}")


def _volume_row(scope: Scope, name: str, *, for_update: bool = False) -> EntityRecord:
    for row in store.of_kind(scope, infra.STORAGE):
        if row.id == name:
            return store.get(scope, row.location, for_update=True) if for_update else row
    raise NotFound(f"no data object volumes/{name}")


def _volume(scope: Scope, row: EntityRecord) -> StoredObject:
    volumes, name = scope.cloud.drivers.volumes, volume_of(scope.project_id, row.id)
    size = volumes.size(name) if volumes.exists(name) else round(float(row.attributes[SIZE]) * GIB)
    users = tuple(
        link.source or ""
        for link in store.attached(scope, row)
        if link.kind == infra.STORAGELINK and link.target == row.location
    )
    online = row.attributes.get(LIFECYCLE.state) != "offline"
    busy = (
        f"attached read-write to {', '.join(users)}; take it offline first"
        if users and online
        else None
    )
    if importing(row.attributes):
        busy = f"its bytes are still being copied in ({row.attributes[LIFECYCLE.message]})"
    return StoredObject(
        container="volumes",
        name=row.id,
        size=size,
        location=row.location,
        attributes={k: row.attributes[k] for k in _SHOWN if k in row.attributes},
        users=users,
        busy=busy,
    )


def _image(
    term: str, title: str, values: dict[str, Any], size: int, visibility: str = "private"
) -> StoredObject:
    shown = {
        "occi.core.title": title,
        "disk_format": values.get("disk_format", "qcow2" if visibility == PUBLIC else "raw"),
        VISIBILITY: visibility,
    }
    return StoredObject(
        container="images",
        name=term,
        size=size,
        location=f"/mixin/os_tpl/{term}/",
        attributes=shown,
    )


def _snapshot(row: EntityRecord, suffix: str, size: int) -> StoredObject:
    return StoredObject(
        container="snapshots",
        name=row.id + suffix,
        size=size,
        location=row.location,
        attributes={"occi.core.title": row.attributes.get("occi.core.title", ""), "of": row.id},
    )


def bytes_of(project: str, item: StoredObject) -> str:
    if item.container == "volumes":
        return volume_of(project, item.name)
    if item.container == "images":
        public = item.attributes.get(VISIBILITY) == PUBLIC
        return image_of(GLOBAL_PROJECT if public else project, item.name)
    volume, _, suffix = item.name.partition("@")
    return volume_of(project, volume) + "@" + suffix


# -- new objects ---------------------------------------------------------------------------
def _new_volume(session: LocalProjectCloud, name: str, size: int, staged: Path) -> StoredObject:
    scope = session.scope
    if size == 0:
        raise BadRequest(f"volumes/{name}: a volume needs at least one byte")
    if store.id_taken(scope, name):
        raise Conflict(f"volumes/{name}: the id is taken; PUT with Content-Range to change it")
    # The size in GiB as OCCI types it (a Float), exact for any byte count below 2**53.
    attributes = {SIZE: size / GIB, "occi.core.title": name}
    session.create_entity(EntityDraft(kind=infra.STORAGE_KIND, attributes=attributes, id=name))
    scope.cloud.drivers.volumes.take_file(volume_of(scope.project_id, name), staged)
    return _volume(scope, _volume_row(scope, name))


def _checked_image(name: str, staged: Path) -> str:
    """The format of an uploaded image that is safe to keep (raw or qcow2, nothing external)."""
    try:
        info = disk_images.inspect_safe(staged, disk_images.STORED_FORMATS)
    except DiskImageError as error:
        raise BadRequest(f"images/{name}: {str(error).partition(': ')[2] or error}") from None
    return info.format


def _new_image(scope: Scope, name: str, size: int, staged: Path, disk_format: str) -> StoredObject:
    mixin = images.add_uploaded(scope, name, disk_format, size)
    versions.bump(scope)
    volumes, bytes_name = scope.cloud.drivers.volumes, image_of(scope.project_id, name)
    volumes.take_file(bytes_name, staged)
    scope.after_rollback.append(lambda: volumes.delete(bytes_name))
    return _image(mixin.term, mixin.title or name, {"disk_format": disk_format}, size)


def _resize(scope: Scope, row: EntityRecord, size: int) -> None:
    gib = size / GIB
    current = float(row.attributes.get(SIZE, 0.0))
    quotas.require(scope, {"gigabytes": gib - current})  # as an OCCI resize would
    attributes = {**row.attributes, SIZE: max(gib, current)}
    scope.cloud.drivers.volumes.create(
        volume_of(scope.project_id, row.id), max(size, math.ceil(current * GIB))
    )
    store.write_attributes(scope, row, attributes)
