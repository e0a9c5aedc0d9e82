"""OVF on the OpenStack backend against the real test bed. Its fake virt driver boots nothing,
so an import is checked by what it made (the Glance image with the disk's bytes, the flavor
that fits, the network, the server) and an export by its package: the envelope, and the root
disk, which holds the bytes the test bed's snapshot gives Glance. Its Cinder's fake driver
cannot fill a volume from an image: a second disk fails the import, and nothing stays."""

from __future__ import annotations

import io
import subprocess
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from occi_server.ovf import envelope, writer
from tests.openstack.conftest import OpenStackServer
from tests.openstack.occi_http import until
from tests.ovf.builders import EXPORT, STOP, manifest, ova, vmdk, wait

GLANCE = "http://127.0.0.1:9292"
NOVA = "http://127.0.0.1:8774/v2.1"
DATA = b"an OVF disk for OpenStack\n" * 100
TAR = {"Content-Type": "application/x-tar"}


@pytest.fixture
def occi(os_server: OpenStackServer, alice: str) -> Iterator[httpx.Client]:
    headers = {"X-Auth-Token": alice, "Accept": "application/occi+json"}
    with httpx.Client(base_url=os_server.url, headers=headers, timeout=120) as client:
        yield client


@pytest.fixture
def cloud(alice: str) -> Iterator[httpx.Client]:
    with httpx.Client(headers={"X-Auth-Token": alice}, timeout=60) as client:
        yield client


def _package(tmp_path: Path, name: str, network: str, disks: int) -> bytes:
    """An OVF 1.0 package: 1 core, 200 MiB, `disks` disks of 16 MiB, one NIC on `network`."""
    files = [vmdk(tmp_path / f"{name}-disk{n}.vmdk", "16M", DATA) for n in range(1, disks + 1)]
    exported = tuple(writer.ExportedDisk(f.name, f.stat().st_size, 16 << 20) for f in files)
    descriptor = writer.render(writer.System(name, 1, 200, exported, (network,)))
    members: list[tuple[str, bytes | Path]] = [(f"{name}.ovf", descriptor)]
    members += [(f.name, f) for f in files]
    listed = [members[0], (f"{name}.mf", manifest(members)), *members[1:]]
    return ova(tmp_path / f"{name}.ova", listed).read_bytes()


def _import(occi: httpx.Client, package: bytes) -> dict[str, Any]:
    answer = occi.post("/ovf/imports/", content=package, headers=TAR)
    assert answer.status_code == 202, answer.text
    token = str(occi.headers["X-Auth-Token"])
    return wait(answer.headers["location"], token, timeout=240)


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_an_ova_becomes_a_glance_image_and_a_server_that_fits_and_exports_again(
    occi: httpx.Client, cloud: httpx.Client, tmp_path: Path
) -> None:
    name, network = f"ovf{uuid.uuid4().hex[:6]}", f"ovf-net-{uuid.uuid4().hex[:6]}"
    job = _import(occi, _package(tmp_path, name, network, disks=1))
    assert job["state"] == "done", job
    image_url, network_url, compute_url = job["created"]
    image_id = None
    try:
        compute = occi.get(_path(compute_url)).json()
        term = image_url.rstrip("/").rsplit("/", 1)[1]
        mixins = compute["mixins"]
        # 1 core and 200 MiB: bitsy (1 core, 256 MiB, 1 GB disk) is the smallest that fits.
        assert "http://schemas.openstack.org/template/resource#bitsy" in mixins
        assert f"http://schemas.openstack.org/template/os#{term}" in mixins
        server = cloud.get(f"{NOVA}/servers/{compute['id']}", headers=_nova()).json()["server"]
        assert server["flavor"]["original_name"] == "bitsy"
        image_id = server["image"]["id"]
        image = cloud.get(f"{GLANCE}/v2/images/{image_id}").json()
        assert (image["name"], image["disk_format"], image["min_disk"]) == (term, "qcow2", 1)
        assert _glance_disk(cloud, image["id"], tmp_path)[: len(DATA)] == DATA
        assert occi.get(_path(network_url)).json()["title"] == network
        until(lambda: _nova_state(occi, compute_url) == "ACTIVE", "the imported server")
        assert occi.post(
            _path(compute_url) + "?action=stop", headers=_action(STOP)
        ).status_code in (200, 202)
        until(lambda: _nova_state(occi, compute_url) == "SHUTOFF", "the stopped server")
        _export(occi, cloud, compute_url, name, network, tmp_path)
    finally:
        occi.delete(_path(compute_url))
        until(lambda: occi.get(_path(compute_url)).status_code == 404, "the server's deletion")
        # Nova lets go of the server's port a moment after the server reads as gone.
        until(lambda: occi.delete(_path(network_url)).status_code in (200, 404), "the network")
        if image_id is not None:
            cloud.delete(f"{GLANCE}/v2/images/{image_id}")


def _export(
    occi: httpx.Client, cloud: httpx.Client, compute_url: str, name: str, network: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    started = occi.post(_path(compute_url) + "?action=export", headers=_action(EXPORT))
    assert started.status_code == 202, started.text
    job = wait(started.headers["link"].split(">")[0][1:], str(occi.headers["X-Auth-Token"]), 240)
    assert job["state"] == "done", job
    package = occi.get(_path(started.headers["location"]))
    assert package.status_code == 200
    with tarfile.open(fileobj=io.BytesIO(package.content)) as archive:
        names = archive.getnames()
        slug = writer.slug(name)
        assert names == [f"{slug}.ovf", f"{slug}.mf", f"{slug}-disk1.vmdk"]
        described = envelope.parse(archive.extractfile(names[0]).read())  # type: ignore[union-attr]
        disk = tmp_path / "exported.vmdk"
        disk.write_bytes(archive.extractfile(names[2]).read())  # type: ignore[union-attr]
    assert (described.name, described.cores, described.memory) == (name, 1, 256 << 20)
    assert [d.capacity for d in described.disks] == [1 << 30]  # the flavor's root disk
    assert described.nics == (network,)
    raw = tmp_path / "exported.raw"
    subprocess.run(["qemu-img", "convert", "-q", "-O", "raw", str(disk), str(raw)], check=True)
    # The test bed's snapshot is a few KiB naming the server: the root disk came from Glance.
    compute_id = compute_url.rsplit("/", 1)[1]
    assert raw.read_bytes().startswith(b"occi-testbed snapshot of " + compute_id.encode())
    hidden = cloud.get(f"{GLANCE}/v2/images", params={"os_hidden": "true"}).json()["images"]
    assert not [i for i in hidden if i["name"].startswith("occi-ovf-export-" + compute_id)]


def test_a_disk_cinder_cannot_fill_fails_the_import_and_leaves_nothing(
    occi: httpx.Client, cloud: httpx.Client, tmp_path: Path
) -> None:
    name, network = f"ovf{uuid.uuid4().hex[:6]}", f"ovf-net-{uuid.uuid4().hex[:6]}"
    volumes_before = _titles(occi, "/storage/")
    job = _import(occi, _package(tmp_path, name, network, disks=2))
    assert job["state"] == "failed", job
    assert "copy_image_to_volume" in job["error"]
    assert job.get("created") in (None, [])
    images = cloud.get(f"{GLANCE}/v2/images", params={"limit": 1000}).json()["images"]
    assert not [i for i in images if i["name"].startswith(f"ovf-{name}")]
    assert network not in _titles(occi, "/network/")

    def no_new_volume() -> bool:
        return _titles(occi, "/storage/") <= volumes_before

    until(no_new_volume, "the failed import's volume deletion")


def _titles(occi: httpx.Client, path: str) -> set[str]:
    listed = occi.get(path).json()
    return {str(r.get("title") or r["id"]) for r in listed.get("resources", [])}


def _glance_disk(cloud: httpx.Client, image_id: str, tmp_path: Path) -> bytes:
    qcow2, raw = tmp_path / "glance.qcow2", tmp_path / "glance.raw"
    qcow2.write_bytes(cloud.get(f"{GLANCE}/v2/images/{image_id}/file").content)
    subprocess.run(
        ["qemu-img", "convert", "-q", "-f", "qcow2", "-O", "raw", str(qcow2), str(raw)],
        check=True,
    )
    return raw.read_bytes()


def _nova_state(occi: httpx.Client, compute_url: str) -> str:
    attributes = occi.get(_path(compute_url)).json()["attributes"]
    return str(attributes.get("org.openstack.compute.state"))


def _action(category: str) -> dict[str, str]:
    return {"Content-Type": "text/occi", "Category": category}


def _nova() -> dict[str, str]:
    return {"OpenStack-API-Version": "compute 2.79"}
