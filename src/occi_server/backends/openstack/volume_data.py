"""A Cinder volume's bytes for CDMI, through Glance: Cinder has no API that reads or writes a
volume's bytes, but it copies a volume into an image (`os-volume_upload_image`) and fills a
new volume from one (`imageRef`). Both copies are hidden transfer images (Glance's os_hidden,
left out of listings and of the OCCI offer), removed once read or once the volume is filled.
What the site's volume driver must support for this: docs/cdmi.md "On OpenStack"."""

from __future__ import annotations

import contextlib
import math
import os
import time
import uuid
from typing import Any

from occi_server.backends.base import StoredObject
from occi_server.backends.openstack import glance, views
from occi_server.backends.openstack.client import OpenStackApi
from occi_server.errors import BadGateway, BadRequest, OcciError, ServiceUnavailable

GIB = 1 << 30
TRANSFER_PREFIX = "occi-cdmi-transfer-"
# Cinder statuses on the way to `available` after a create from an image.
FILLING = ("creating", "downloading")
_PATCH = {"Content-Type": "application/openstack-images-v2.1-json-patch"}
_HIDE = [{"op": "add", "path": "/os_hidden", "value": True}]


def volume_object(volume: dict[str, Any]) -> StoredObject:
    """A volume as the data object volumes/<its id>: whole GiB, as Cinder allocates it."""
    entity = views.volume_entity(volume, [])
    users = tuple(f"/compute/{a['server_id']}" for a in volume.get("attachments") or [])
    status = str(volume.get("status", ""))
    busy = None
    if users:
        busy = f"attached to {', '.join(users)}; detach it first (Cinder copies no volume in use)"
    elif status != "available":
        busy = f"Cinder shows it {status}; its bytes can be read once it is available"
    return StoredObject(
        container="volumes",
        name=str(volume["id"]),
        size=int(volume.get("size") or 0) * GIB,
        location=entity.location,
        attributes=dict(entity.attributes),
        users=users,
        busy=busy,
    )


class VolumeReader:
    """Cinder copies the volume into a hidden image (made here, at once: a reader exists
    only once the bytes can be read); reads come from that image, `close` removes it."""

    def __init__(
        self, api: OpenStackApi, volume_id: str, timeout: float, *, force: bool = False
    ) -> None:
        # force: an attached volume of a stopped server (an export) is copied too, where the
        # site's Cinder allows it (enable_force_upload).
        self._api = api
        body = {
            "os-volume_upload_image": {
                "image_name": f"{TRANSFER_PREFIX}{volume_id}",
                "disk_format": "raw",
                "container_format": "bare",
                "force": force,
            }
        }
        answer = api.post("volumev3", f"/volumes/{volume_id}/action", body)
        self._image_id = str(answer["os-volume_upload_image"]["image_id"])
        path = f"/v2/images/{self._image_id}"
        try:
            with contextlib.suppress(OcciError):  # hiding it keeps it out of listings only
                api.call("image", "PATCH", path, json=_HIDE, headers=_PATCH)
            what = f"Cinder's copy of {volume_id}"
            image = glance.wait_active(api, self._image_id, timeout, what)
        except BadGateway as error:
            self.close()
            raise BadGateway(
                f"volumes/{volume_id}: Cinder could not copy the volume into an image "
                f"({error.message}); its volume driver must support copy_volume_to_image"
            ) from None
        except BaseException:
            self.close()
            raise
        self._image = glance.ImageReader(api, self._image_id, int(image.get("size") or 0))

    def read(self, start: int, length: int) -> bytes:
        return self._image.read(start, length)

    def close(self) -> None:
        image = getattr(self, "_image", None)
        if image is not None:
            image.close()
        glance.delete_quietly(self._api, self._image_id)


def create_volume(api: OpenStackApi, name: str, staged: str, timeout: float) -> dict[str, Any]:
    """A new volume holding the file `staged` from its first byte (then zeros to the whole
    GiB): uploaded as a hidden image, the volume made from it, the image removed. A volume
    Cinder could not fill is deleted again."""
    size = os.path.getsize(staged)
    if size == 0:
        raise BadRequest(f"volumes/{name}: a volume needs at least one byte")
    fields = {
        "name": f"{TRANSFER_PREFIX}{uuid.uuid4().hex[:12]}",
        "disk_format": "raw",
        "visibility": "private",
        "os_hidden": True,
    }
    image = glance.upload(api, staged, fields, timeout)
    try:
        body = {"volume": {"size": math.ceil(size / GIB), "name": name, "imageRef": image["id"]}}
        volume = api.post("volumev3", "/volumes", body)["volume"]
        return _filled(api, volume, timeout)
    finally:
        glance.delete_quietly(api, str(image["id"]))


def _filled(api: OpenStackApi, volume: dict[str, Any], timeout: float) -> dict[str, Any]:
    """The volume once Cinder has filled it from the image; deleted when Cinder fails."""
    deadline, pause = time.monotonic() + timeout, 0.2
    path = f"/volumes/{volume['id']}"
    while str(volume.get("status")) in FILLING:
        if time.monotonic() > deadline:
            _delete_quietly(api, path)
            raise ServiceUnavailable(f"OpenStack volumev3: filling took over {timeout:.0f} s")
        time.sleep(pause)
        pause = min(pause * 1.5, 2.0)
        volume = api.get("volumev3", path)["volume"]
    if volume.get("status") != "available":
        _delete_quietly(api, path)
        raise BadGateway(
            f"volumes/{volume.get('name') or volume['id']}: Cinder could not fill the volume "
            f"from the uploaded image (it ended {volume.get('status')}; deleted again); its "
            "volume driver must support copy_image_to_volume"
        )
    return volume


def _delete_quietly(api: OpenStackApi, path: str) -> None:
    with contextlib.suppress(OcciError):
        api.delete("volumev3", path)
