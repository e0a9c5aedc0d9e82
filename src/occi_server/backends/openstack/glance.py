"""Glance image data for CDMI: the project's images as data objects, uploads and downloads
streamed (a file is sent as it is read; a download is read from the open answer chunk by
chunk, with Range where a read does not follow the one before)."""

from __future__ import annotations

import contextlib
import time
from typing import Any

from occi_server.backends.base import StoredObject
from occi_server.backends.openstack.client import OpenStackApi
from occi_server.backends.openstack.templates import image_mixin
from occi_server.errors import BadGateway, Conflict, NotFound, ServiceUnavailable

VISIBILITY, PUBLIC = "visibility", "public"
# The image states on the way to `active`, and those of an image that will never get there.
PENDING = ("queued", "saving", "uploading", "importing")
FAILED = ("killed", "deleted", "pending_delete", "deactivated")


def image_object(image: dict[str, Any], project_id: str) -> StoredObject:
    """An active image as the data object images/<its os_tpl term>."""
    mixin = image_mixin(image)
    owned = image.get("owner") == project_id
    attributes = {
        "occi.core.title": str(image.get("name") or ""),
        "disk_format": str(image.get("disk_format") or ""),
        VISIBILITY: "private" if owned else str(image.get(VISIBILITY) or PUBLIC),
        "org.openstack.image.id": str(image["id"]),
        "org.openstack.image.checksum": str(image.get("checksum") or ""),
    }
    if image.get("os_hash_algo"):
        attributes["org.openstack.image." + str(image["os_hash_algo"])] = str(
            image.get("os_hash_value") or ""
        )
    return StoredObject(
        container="images",
        name=mixin.term,
        size=int(image.get("size") or 0),
        location=mixin.location or f"/mixin/os_tpl/{mixin.term}/",
        attributes=attributes,
    )


def images(api: OpenStackApi) -> list[tuple[dict[str, Any], StoredObject]]:
    """The images the project sees (hidden transfer copies are not listed), first by term."""
    found: dict[str, tuple[dict[str, Any], StoredObject]] = {}
    for image in api.every("image", "/v2/images", "images", status="active"):
        item = image_object(image, api.project_id)
        found.setdefault(item.name, (image, item))
    return list(found.values())


def find(api: OpenStackApi, term: str) -> tuple[dict[str, Any], StoredObject]:
    for image, item in images(api):
        if item.name == term:
            return image, item
    raise NotFound(f"no data object images/{term}")


def upload(
    api: OpenStackApi, staged: str, fields: dict[str, Any], timeout: float
) -> dict[str, Any]:
    """A new image of the file `staged`, active; removed again if the upload fails."""
    image = api.post("image", "/v2/images", {"container_format": "bare", **fields})
    try:
        with open(staged, "rb") as body:
            api.transfer(
                "image",
                "PUT",
                f"/v2/images/{image['id']}/file",
                body=body,
                headers={"Content-Type": "application/octet-stream"},
            ).close()
        return wait_active(api, str(image["id"]), timeout, "the upload")
    except BaseException:
        delete_quietly(api, str(image["id"]))
        raise


def wait_active(api: OpenStackApi, image_id: str, timeout: float, what: str) -> dict[str, Any]:
    """The image once active; BadGateway when it fails (or vanishes), 503 past `timeout`."""
    deadline, pause = time.monotonic() + timeout, 0.2
    while True:
        try:
            image: dict[str, Any] = api.get("image", f"/v2/images/{image_id}")
        except NotFound:
            image = {"status": "deleted"}
        status = str(image.get("status"))
        if status == "active":
            return image
        if status in FAILED or status not in PENDING:
            raise BadGateway(f"OpenStack image: {what} ended with the image {status}")
        if time.monotonic() > deadline:
            raise ServiceUnavailable(f"OpenStack image: {what} took over {timeout:.0f} s")
        time.sleep(pause)
        pause = min(pause * 1.5, 2.0)


def delete_quietly(api: OpenStackApi, image_id: str) -> None:
    with contextlib.suppress(NotFound):
        api.delete("image", f"/v2/images/{image_id}")


def delete(api: OpenStackApi, term: str) -> None:
    image, item = find(api, term)
    if item.attributes[VISIBILITY] != "private":
        raise Conflict(
            f"images/{term}: an image of another project (visibility "
            f"{item.attributes[VISIBILITY]}); it is not yours to delete"
        )
    api.delete("image", f"/v2/images/{image['id']}")


class ImageReader:
    """An image's bytes from /v2/images/{id}/file: one open download read in order, and a
    new one (with Range) whenever a read starts elsewhere."""

    def __init__(self, api: OpenStackApi, image_id: str, size: int) -> None:
        self._api, self._path, self._size = api, f"/v2/images/{image_id}/file", size
        self._response: Any = None
        self._chunks: Any = None
        self._position = -1
        self._pending = b""

    def read(self, start: int, length: int) -> bytes:
        if start != self._position:
            self._open(start)
        wanted = min(length, self._size - start)
        parts, have = [self._pending], len(self._pending)
        while have < wanted:
            chunk = next(self._chunks, b"")
            if not chunk:
                break  # the download ended early: the caller sees a short read
            parts.append(chunk)
            have += len(chunk)
        data = b"".join(parts)
        self._pending = data[wanted:]
        self._position = start + min(wanted, len(data))
        return data[:wanted]

    def _open(self, start: int) -> None:
        self.close()
        headers = {"Range": f"bytes={start}-"} if start else {}
        self._response = self._api.transfer("image", "GET", self._path, headers=headers)
        if start and self._response.status_code != 206:
            self.close()
            raise BadGateway("OpenStack image: Glance did not honour a byte range")
        self._chunks = self._response.iter_content(chunk_size=1 << 20)
        self._position, self._pending = start, b""

    def close(self) -> None:
        if self._response is not None:
            self._response.close()
        self._response, self._chunks, self._position = None, None, -1
