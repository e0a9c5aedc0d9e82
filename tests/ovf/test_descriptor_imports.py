"""An OVF descriptor imported alone (`application/ovf+xml`, issue 14 item 1's other form): its
disks' files are named by URL, fetched by the job from a real HTTP server on 127.0.0.1
(tests/support/origin.py) under the prefix the server allows, or read from this server's own
CDMI objects; sizes are checked against ovf:size, then the import goes on as an OVA's does.
A disk that cannot be had fails the job with the reason and leaves nothing behind."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.ovf.builders import COT, content_digest, entity, wait
from tests.support.origin import Blob, Origin
from tests.support.server import ServerProcess

XML = "application/ovf+xml"
DISK = (COT / "input.vmdk").read_bytes()  # vmware.ovf's ovf:size is its length


def _descriptor(href: str) -> bytes:
    text = (COT / "vmware.ovf").read_text()
    return text.replace('ovf:href="input.vmdk"', f'ovf:href="{href}"').encode()


def _post(server: ServerProcess, token: str, body: bytes) -> httpx.Response:
    return httpx.post(
        server.url + "/ovf/imports/",
        content=body,
        headers={"X-Auth-Token": token, "Content-Type": XML},
        timeout=60,
    )


def _imported(server: ServerProcess, token: str, href: str) -> dict[str, Any]:
    answer = _post(server, token, _descriptor(href))
    assert answer.status_code == 202, answer.text
    return wait(answer.headers["location"], token)


def _image_digest(server: ServerProcess, job: dict[str, Any], work: Path) -> str:
    """The content of the OS image an import made (converted to raw: its bytes as booted)."""
    (term,) = [u.rstrip("/").rpartition("/")[2] for u in job["created"] if "/os_tpl/" in u]
    (image,) = server.data_dir.glob(f"store/images/*/{term}")
    raw = work / f"{term}.raw"
    subprocess.run(
        ["qemu-img", "convert", "-q", "-f", "qcow2", "-O", "raw", str(image), str(raw)], check=True
    )
    return content_digest(raw)


def test_a_descriptor_whose_disk_is_an_allowed_url_imports_as_its_ova_would(
    ovf_server: ServerProcess, ovf_token: str, origin: Origin
) -> None:
    origin.objects["/ovf/vmw/input.vmdk"] = Blob(DISK)
    job = _imported(ovf_server, ovf_token, origin.url("/ovf/vmw/input.vmdk"))
    assert job["state"] == "done", job
    compute = entity(next(u for u in job["created"] if "/compute/" in u), ovf_token)
    assert compute["title"] == "vmw"
    assert compute["attributes"]["occi.compute.cores"] == 2
    assert compute["attributes"]["occi.compute.memory"] == pytest.approx(1.5)
    assert any("template/os#ovf-vmw-" in m for m in compute["mixins"])  # it boots that disk
    asked = [path for path, _ in origin.requests if path.startswith("/ovf/vmw/")]
    assert asked == ["/ovf/vmw/input.vmdk"]


def test_a_descriptors_disk_can_be_a_cdmi_object_of_this_server(
    ovf_server: ServerProcess, ovf_token: str, origin: Origin, tmp_path: Path
) -> None:
    auth = {"X-Auth-Token": ovf_token}
    cdmi = {**auth, "X-CDMI-Specification-Version": "1.1.1"}
    root = httpx.get(ovf_server.url + "/cdmi/", headers=cdmi).json()
    volume = f"/cdmi/{root['children'][0]}volumes/vmdk-bytes"
    put = httpx.put(ovf_server.url + volume, content=DISK, headers=auth)
    assert put.status_code == 201, put.text
    described = httpx.get(
        ovf_server.url + volume + "?objectID", headers={**cdmi, "Accept": "application/cdmi-object"}
    )
    by_id = _imported(ovf_server, ovf_token, f"/cdmi/cdmi_objectid/{described.json()['objectID']}")
    assert by_id["state"] == "done", by_id
    # The same bytes as the URL form: the same OS image.
    origin.objects["/ovf/again/input.vmdk"] = Blob(DISK)
    by_url = _imported(ovf_server, ovf_token, origin.url("/ovf/again/input.vmdk"))
    assert _image_digest(ovf_server, by_id, tmp_path) == _image_digest(ovf_server, by_url, tmp_path)


@pytest.mark.parametrize(
    ("href", "reason"),
    [
        ("{origin}/private/input.vmdk", "[remote] allowed"),
        ("input.vmdk", "a relative href names a file of an OVA"),
        ("{origin}/ovf/missing.vmdk", "answered HTTP 404"),
        ("{origin}/ovf/short.vmdk", f"ovf:size says {len(DISK)} bytes, 1000 arrived"),
        ("/compute/elsewhere", "not under /cdmi/"),
        ("/cdmi/cdmi_objectid/00007ED90018", "not an object ID of this server"),
    ],
)
def test_a_disk_that_cannot_be_had_fails_the_job_and_leaves_nothing(
    ovf_server: ServerProcess, ovf_token: str, origin: Origin, href: str, reason: str
) -> None:
    origin.objects["/private/input.vmdk"] = Blob(DISK)
    origin.objects["/ovf/short.vmdk"] = Blob(DISK[:1000])
    listing = {"X-Auth-Token": ovf_token, "Accept": "text/uri-list"}
    before = httpx.get(ovf_server.url + "/", headers=listing).text
    job = _imported(ovf_server, ovf_token, href.format(origin=origin.url("")))
    assert job["state"] == "failed", job
    assert reason in job["error"] and job["created"] == []
    assert httpx.get(ovf_server.url + "/", headers=listing).text == before
    (folder,) = ovf_server.data_dir.glob(f"ovf/*/{job['id']}")
    assert sorted(p.name for p in folder.rglob("*")) == ["job.json"]
    if "private" in href:
        assert "/private/input.vmdk" not in [p for p, _ in origin.requests]


def test_a_descriptor_over_its_limit_is_413_and_anything_else_415(
    ovf_server: ServerProcess, ovf_token: str
) -> None:
    huge = _post(ovf_server, ovf_token, b" " * ((4 << 20) + 1))
    assert huge.status_code == 413 and "a descriptor is at most" in huge.json()["message"]
    other = httpx.post(
        ovf_server.url + "/ovf/imports/",
        content=_descriptor("x"),
        headers={"X-Auth-Token": ovf_token, "Content-Type": "text/xml"},
    )
    assert other.status_code == 415 and XML in other.json()["message"]
