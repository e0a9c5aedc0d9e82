"""OVF packages on OpenStack (docs/ovf.md "On OpenStack"): an import uploads the boot disk to
Glance and fills a Cinder volume for each other disk; the compute gets the smallest flavor
that fits; an export snapshots the stopped server (createImage) and downloads the snapshot,
and each attached volume through a transfer image, into the job's folder."""

from __future__ import annotations

import contextlib
import math
import uuid
from collections.abc import Callable
from pathlib import Path

from occi_server.backends.base import DiskFile
from occi_server.backends.openstack import glance, volume_data
from occi_server.backends.openstack.client import OpenStackApi
from occi_server.backends.openstack.scope import Scope
from occi_server.backends.openstack.templates import flavor_mixin, image_mixin
from occi_server.errors import BadGateway, BadRequest, OcciError
from occi_server.model import Mixin

GIB = 1 << 30
MIB = 1 << 20
EXPORT_PREFIX = "occi-ovf-export-"
_PATCH = {"Content-Type": "application/openstack-images-v2.1-json-patch"}


def upload_image(scope: Scope, term: str, path: Path, title: str, capacity: int) -> Mixin:
    """The boot disk (a qcow2 file) as a private Glance image named `term`; its os_tpl."""
    fields = {
        "name": term,
        "disk_format": "qcow2",
        "visibility": "private",
        "min_disk": max(1, math.ceil(capacity / GIB)),  # Nova refuses smaller flavors
        "description": title[:255],
    }
    image = glance.upload(scope.api, str(path), fields, scope.settings.transfer_timeout)
    scope.forget_offer()  # the compute about to be made boots it
    return image_mixin(image)


def delete_image(scope: Scope, term: str) -> None:
    with contextlib.suppress(OcciError):
        glance.delete(scope.api, term)
    scope.forget_offer()


def upload_volume(scope: Scope, title: str, path: Path) -> str:
    """A Cinder volume holding the raw file `path`; its location."""
    volume = volume_data.create_volume(scope.api, title, str(path), scope.settings.transfer_timeout)
    return f"/storage/{volume['id']}"


def fitting_flavor(scope: Scope, cores: int, memory_mib: int, disk_bytes: int) -> Mixin:
    """The smallest flavor with the cores, memory and root disk asked for (flavors without a
    root disk size are left out: Nova lets only admins boot those from an image)."""
    fits = [
        f
        for f in scope.offer().flavors.values()
        if int(f.get("vcpus", 0)) >= cores
        and int(f.get("ram", 0)) >= memory_mib
        and 0 < int(f.get("disk", 0)) * GIB >= disk_bytes
    ]
    if not fits:
        raise BadRequest(
            f"no flavor of this cloud has {cores} cores, {memory_mib} MiB of memory and a "
            f"root disk of {math.ceil(disk_bytes / GIB)} GiB"
        )
    best = min(fits, key=lambda f: (int(f["ram"]), int(f["vcpus"]), int(f["disk"])))
    return flavor_mixin(best)


def export_disks(scope: Scope, server_id: str) -> Callable[[Path], list[DiskFile]]:
    """What an export job runs later (with the caller's token): the server's disks as files
    of `folder`, the root disk first, then its volumes by device name."""
    api, timeout = scope.api, scope.settings.transfer_timeout
    server = api.get("compute", f"/servers/{server_id}")["server"]
    root_size = int((server.get("flavor") or {}).get("disk") or 1) * GIB
    attached = api.get("compute", f"/servers/{server_id}/os-volume_attachments")
    volumes = sorted(
        attached.get("volumeAttachments") or [], key=lambda a: str(a.get("device") or "~")
    )

    def download(folder: Path) -> list[DiskFile]:
        found = [_snapshot(api, server_id, folder / "disk1.img", root_size, timeout)]
        for number, attachment in enumerate(volumes, start=2):
            volume = api.get("volumev3", f"/volumes/{attachment['volumeId']}")["volume"]
            target = folder / f"disk{number}.raw"
            reader = volume_data.VolumeReader(api, str(volume["id"]), timeout, force=True)
            try:
                _copy(reader.read, int(volume["size"]) * GIB, target)
            finally:
                reader.close()
            title = str(volume.get("name") or volume["id"])
            found.append(DiskFile(target, int(volume["size"]) * GIB, title))
        return found

    return download


def _snapshot(
    api: OpenStackApi, server_id: str, target: Path, size: int, timeout: float
) -> DiskFile:
    """Nova's snapshot of the (stopped) server's root disk, downloaded; the image removed."""
    name = f"{EXPORT_PREFIX}{server_id}-{uuid.uuid4().hex[:8]}"
    answer = api.post("compute", f"/servers/{server_id}/action", {"createImage": {"name": name}})
    image_id = str((answer or {}).get("image_id") or "")
    if not image_id:
        raise BadGateway("OpenStack compute: createImage named no image")
    try:
        with contextlib.suppress(OcciError):  # kept out of listings and the OCCI offer
            hide = [{"op": "add", "path": "/os_hidden", "value": True}]
            api.call("image", "PATCH", f"/v2/images/{image_id}", json=hide, headers=_PATCH)
        image = glance.wait_active(api, image_id, timeout, f"the snapshot of {server_id}")
        reader = glance.ImageReader(api, image_id, int(image.get("size") or 0))
        try:
            _copy(reader.read, int(image.get("size") or 0), target)
        finally:
            reader.close()
    finally:
        glance.delete_quietly(api, image_id)
    return DiskFile(target, size, "root disk")


def _copy(read: Callable[[int, int], bytes], size: int, target: Path) -> None:
    with open(target, "xb") as out:
        offset = 0
        while offset < size:
            chunk = read(offset, min(MIB, size - offset))
            if not chunk:
                raise BadGateway(f"OpenStack image: the download ended at {offset} of {size}")
            out.write(chunk)
            offset += len(chunk)
