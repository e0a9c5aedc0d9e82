"""The OpenStack backend's stored bytes as CDMI objects (backends/base.ObjectStore): Glance
images in images/, Cinder volumes in volumes/ (their bytes through Glance: volume_data.py).

What OpenStack cannot do byte-wise is not offered (ObjectFeatures, so CDMI's capabilities do
not list it): no write into an existing volume (Cinder writes no bytes at an offset and
rewrites none in place), and no snapshots/ container (a Cinder snapshot's bytes can only be
read by making a volume of it)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from occi_server.backends.base import ByteReader, ObjectFeatures, StoredObject
from occi_server.backends.openstack import glance, storage, volume_data
from occi_server.backends.openstack.scope import Scope
from occi_server.categories.templates import sanitize_term
from occi_server.context import RequestContext
from occi_server.drivers import disk_images
from occi_server.drivers.disk_images import DiskImageError
from occi_server.errors import BadRequest, Conflict, NotFound

Scopes = Callable[[RequestContext], AbstractContextManager[Scope]]
FEATURES = ObjectFeatures(containers=("volumes", "images"), ranged_writes=False, rewrites=False)


class OpenStackObjects:
    """Volumes and images of the caller's project, each call made with the caller's token."""

    features = FEATURES

    def __init__(self, scopes: Scopes, staging: Path, timeout: float) -> None:
        self._scopes = scopes
        self._staging = staging
        self._timeout = timeout  # how long a copy between Cinder and Glance may take

    def objects(self, ctx: RequestContext, container: str) -> list[StoredObject]:
        with self._scopes(ctx) as scope:
            if container == "volumes":
                return [volume_data.volume_object(v) for v in storage.volume_records(scope)]
            if container == "images":
                return [item for _, item in glance.images(scope.api)]
        raise NotFound(f"no container {container}/")

    def find(self, ctx: RequestContext, container: str, name: str) -> StoredObject:
        with self._scopes(ctx) as scope:
            if container == "volumes":
                return volume_data.volume_object(_volume(scope, name))
            if container == "images":
                return glance.find(scope.api, name)[1]
        raise NotFound(f"no data object {container}/{name}")

    def reader(self, ctx: RequestContext, item: StoredObject) -> ByteReader:
        with self._scopes(ctx) as scope:
            api = scope.api
        if item.container == "volumes":
            return volume_data.VolumeReader(api, item.name, self._timeout)
        image_id = str(item.attributes["org.openstack.image.id"])
        return glance.ImageReader(api, image_id, item.size)

    def staging_dir(self) -> str:
        self._staging.mkdir(parents=True, exist_ok=True)
        return str(self._staging)

    def create(
        self, ctx: RequestContext, container: str, name: str, staged: str, mimetype: str
    ) -> StoredObject:
        with self._scopes(ctx) as scope:
            if container == "volumes":
                volume = volume_data.create_volume(scope.api, name, staged, self._timeout)
                item = volume_data.volume_object(volume)
            elif container == "images":
                item = self._new_image(scope, name, staged)
            else:
                raise NotFound(f"no container {container}/")
        item.mimetype = mimetype
        return item

    def _new_image(self, scope: Scope, name: str, staged: str) -> StoredObject:
        if sanitize_term(name) != name:
            raise BadRequest(
                f"images/{name[:80]}: an image is named by its OS template term here "
                f"(letters, digits, '-', '_', '.'; say {sanitize_term(name)[:80]})"
            )
        try:
            glance.find(scope.api, name)
        except NotFound:
            pass
        else:
            raise Conflict(f"images/{name}: there is an image of that name; images do not change")
        try:  # raw or qcow2 with nothing outside the file, as the embedded cloud keeps them
            info = disk_images.inspect_safe(Path(staged), disk_images.STORED_FORMATS)
        except DiskImageError as error:
            raise BadRequest(f"images/{name}: {str(error).partition(': ')[2] or error}") from None
        fields = {"name": name, "disk_format": info.format, "visibility": "private"}
        image = glance.upload(scope.api, staged, fields, self._timeout)
        scope.forget_offer()  # the new OS template is offered at once
        return glance.image_object(image, scope.api.project_id)

    def write_range(
        self, ctx: RequestContext, container: str, name: str, start: int, staged: str
    ) -> StoredObject:
        raise Conflict(f"{container}/{name}: OpenStack cannot write into an existing object")

    def delete(self, ctx: RequestContext, container: str, name: str) -> None:
        with self._scopes(ctx) as scope:
            if container == "volumes":
                storage.delete_volume(scope, str(_volume(scope, name)["id"]))
            elif container == "images":
                glance.delete(scope.api, name)
                scope.forget_offer()
            else:
                raise NotFound(f"no data object {container}/{name}")


def _volume(scope: Scope, name: str) -> dict[str, Any]:
    """The volume of that id, or else the one volume of that name (a PUT of a new name made
    it: Cinder chose its id)."""
    records = storage.volume_records(scope)
    for volume in records:
        if volume["id"] == name:
            return volume
    named = [v for v in records if v.get("name") == name]
    if len(named) > 1:
        ids = ", ".join(str(v["id"]) for v in named[:5])
        raise Conflict(f"volumes/{name}: {len(named)} volumes have that name ({ids}); use an id")
    if not named:
        raise NotFound(f"no data object volumes/{name}")
    return named[0]
