"""CDMI on the OpenStack backend against the real test bed: images/ over Glance end to end
with real bytes (its file store keeps them), volumes/ over Cinder through Glance transfer
images. The test bed's Cinder runs a fake volume driver that holds no bytes (and cannot copy
a volume into an image or an image into a volume), so the volume flow is checked by what it
asks of Cinder and Glance and by the states left behind: the copy fails with a 502 naming
the driver call a site needs, and nothing stays."""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.openstack.conftest import OpenStackServer
from tests.openstack.occi_http import Occi, until

CAPABILITY = "application/cdmi-capability"
BYTES = {"Content-Type": "application/octet-stream"}
OBJECT = "application/cdmi-object"
GLANCE = "http://127.0.0.1:9292"
STORAGE_KIND = 'storage; scheme="http://schemas.ogf.org/occi/infrastructure#"; class="kind"'


@pytest.fixture
def cdmi(os_server: OpenStackServer, alice: str) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=os_server.url, headers={"X-Auth-Token": alice}, timeout=120
    ) as client:
        yield client


@pytest.fixture
def glance(alice: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=GLANCE, headers={"X-Auth-Token": alice}, timeout=60) as client:
        yield client


def _project(cdmi: httpx.Client) -> str:
    return str(cdmi.get("/cdmi/").json()["children"][0])


def _transfer_images(glance: httpx.Client) -> list[str]:
    """The project's hidden transfer images (os_hidden ones are listed only when asked)."""
    listed = glance.get("/v2/images", params={"os_hidden": "true", "limit": 1000}).json()
    return [i["name"] for i in listed["images"] if i["name"].startswith("occi-cdmi-transfer-")]


def test_capabilities_leave_out_what_openstack_cannot_do(cdmi: httpx.Client) -> None:
    container = cdmi.get("/cdmi/cdmi_capabilities/container/", headers={"Accept": CAPABILITY})
    assert container.json()["children"] == ["volumes/", "images/"]
    volume = cdmi.get("/cdmi/cdmi_capabilities/dataobject/").json()
    assert volume["children"] == ["image/"]
    assert "cdmi_modify_value_range" not in volume["capabilities"]
    assert "cdmi_modify_value" not in volume["capabilities"]
    assert volume["capabilities"]["cdmi_read_value_range"] == "true"
    assert cdmi.get("/cdmi/cdmi_capabilities/container/snapshots/").status_code == 404
    project = _project(cdmi)
    assert cdmi.get(f"/cdmi/{project}").json()["children"] == ["volumes/", "images/"]
    assert cdmi.get(f"/cdmi/{project}snapshots/").status_code == 404


def test_an_image_goes_in_and_out_through_glance_with_its_bytes(
    cdmi: httpx.Client, glance: httpx.Client
) -> None:
    data = os.urandom(5 * (1 << 20) + 123)  # several chunks and a partial one
    name = f"cdmi-{uuid.uuid4().hex[:8]}"
    path = f"/cdmi/{_project(cdmi)}images/{name}"
    made = cdmi.put(path, content=data, headers={"Content-Type": "application/octet-stream"})
    assert made.status_code == 201, made.text
    try:
        described = cdmi.get(path + "?objectID;metadata", headers={"Accept": OBJECT}).json()
        metadata = described["metadata"]
        assert metadata["cdmi_size"] == str(len(data))
        assert metadata["disk_format"] == "raw"
        assert metadata["visibility"] == "private"
        # Glance's own checksum of what it stored is the checksum of what was sent.
        assert metadata["org.openstack.image.checksum"] == hashlib.md5(data).hexdigest()
        image = glance.get(f"/v2/images/{metadata['org.openstack.image.id']}").json()
        assert (image["name"], image["status"], image["size"]) == (name, "active", len(data))
        # OCCI offers it as an OS template at once.
        query = cdmi.get("/-/", headers={"Accept": "text/plain"}).text
        assert f"Category: {name}; scheme=" in query
        read = cdmi.get(path)
        assert read.status_code == 200
        assert hashlib.sha256(read.content).digest() == hashlib.sha256(data).digest()
        part = cdmi.get(path, headers={"Range": "bytes=1048570-2097160"})
        assert part.status_code == 206
        assert part.headers["content-range"] == f"bytes 1048570-2097160/{len(data)}"
        assert part.content == data[1048570:2097161]
        by_id = cdmi.get(
            f"/cdmi/cdmi_objectid/{described['objectID']}", headers={"Range": "bytes=-7"}
        )
        assert (by_id.status_code, by_id.content) == (206, data[-7:])
        again = cdmi.put(
            path, content=b"other", headers={"Content-Type": "application/octet-stream"}
        )
        assert again.status_code == 409, again.text
    finally:
        gone = cdmi.delete(path)
    assert gone.status_code == 204, gone.text
    assert cdmi.get(path).status_code == 404
    listed = glance.get("/v2/images", params={"name": name}).json()["images"]
    assert listed == []


def test_images_that_are_not_the_projects_own_stay(cdmi: httpx.Client) -> None:
    path = f"/cdmi/{_project(cdmi)}images/cirros-0.3.0-x86_64-uec"
    shown = cdmi.get(path + "?metadata", headers={"Accept": OBJECT}).json()["metadata"]
    assert shown["visibility"] == "public"
    refused = cdmi.delete(path)
    assert refused.status_code == 409
    assert "not yours to delete" in refused.text
    bad = cdmi.put(
        f"/cdmi/{_project(cdmi)}images/a%20b", content=b"x" * 512,
        headers={"Content-Type": "application/octet-stream"},
    )  # fmt: skip
    assert bad.status_code == 400
    assert "a_b" in bad.text


def test_a_volumes_bytes_are_asked_of_cinder_through_a_transfer_image(
    os_server: OpenStackServer, alice: str, cdmi: httpx.Client, glance: httpx.Client
) -> None:
    occi = Occi(os_server, alice)
    location = occi.post("/storage/", STORAGE_KIND, attributes=("occi.storage.size=1",))
    volume_id = location.rsplit("/", 1)[1]
    path = f"/cdmi/{_project(cdmi)}volumes/{volume_id}"
    try:
        until(lambda: _cinder_state(occi, location) == "available", "the new volume")
        shown = cdmi.get(path + "?metadata", headers={"Accept": OBJECT}).json()["metadata"]
        assert shown["cdmi_size"] == str(1 << 30)  # whole GiB, as Cinder allocates
        assert shown["org.ogf.occi.location"].endswith(location)
        # OCCI's side names the data object, which answers at that URL.
        _, rendered = occi.read(location)
        assert rendered.attr("org.snia.cdmi.location") == os_server.url + path
        listed = occi.http.get("/storage/", headers={"Accept": "application/occi+json"}).json()
        (mine,) = [r for r in listed["resources"] if r["id"] == volume_id]
        assert mine["attributes"]["org.snia.cdmi.location"] == os_server.url + path
        # Cinder takes the request and copies the volume into a hidden image, which the
        # test bed's fake driver cannot fill: the read fails naming what the driver lacks.
        read = cdmi.get(path)
        assert read.status_code == 502, read.text
        assert "copy_volume_to_image" in read.text
        assert _transfer_images(glance) == []
        until(lambda: _cinder_state(occi, location) == "available", "the volume after the copy")
        ranged = cdmi.put(
            path, content=b"abc",
            headers={"Content-Type": "application/octet-stream", "Content-Range": "bytes 0-2/*"},
        )  # fmt: skip
        assert ranged.status_code == 409
        assert "cannot write a byte range" in ranged.text
    finally:
        assert occi.http.delete(location).status_code == 200


def test_a_new_volume_is_filled_from_an_uploaded_image_or_not_made_at_all(
    os_server: OpenStackServer, alice: str, cdmi: httpx.Client, glance: httpx.Client
) -> None:
    name = f"cdmi-vol-{uuid.uuid4().hex[:8]}"
    path = f"/cdmi/{_project(cdmi)}volumes/{name}"
    occi = Occi(os_server, alice)
    before = set(occi.listing("/storage/", "text/uri-list"))
    started = time.monotonic()
    made = cdmi.put(
        path, content=os.urandom(1 << 20), headers={"Content-Type": "application/octet-stream"}
    )
    # Glance took the bytes, Cinder made the volume from them and its driver failed: the
    # volume is deleted again and the transfer image removed.
    assert made.status_code == 502, made.text
    assert "copy_image_to_volume" in made.text
    assert time.monotonic() - started < 120
    assert _transfer_images(glance) == []
    assert cdmi.get(path).status_code == 404

    def no_new_volume() -> bool:
        return set(occi.listing("/storage/", "text/uri-list")) <= before

    until(no_new_volume, "the failed volume's deletion")


def _cinder_state(occi: Occi, location: str) -> str:
    status, parsed = occi.read(location)
    assert status == 200
    return str(parsed.attr("org.openstack.storage.state"))
