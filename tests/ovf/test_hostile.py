"""Hostile packages through a real server: each is a clear 4xx or a failed job whose message
names the culprit; nothing is written outside the job's directory and nothing is left behind
(no entities, no storage files, no unpacked files)."""

from __future__ import annotations

import io
import socket
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.ovf.builders import COT, TAR, manifest, ova, run_import, upload, vmdk
from tests.ovf.conftest import MAX_PACKAGE
from tests.support.server import ServerProcess, cli

ONE_DISK = """<?xml version="1.0"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"
  xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
  xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">
  <References><File ovf:href="{href}" ovf:id="f1"/></References>
  <DiskSection><Info/><Disk ovf:diskId="d1" ovf:fileRef="f1" ovf:capacity="16"
    ovf:capacityAllocationUnits="byte * 2^20" {format}/></DiskSection>
  <NetworkSection><Info/><Network ovf:name="{network}"/></NetworkSection>
  <VirtualSystem ovf:id="hostile"><Info/><VirtualHardwareSection><Info/>
    <Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>17</rasd:ResourceType>
      <rasd:HostResource>ovf:/disk/d1</rasd:HostResource></Item>
    <Item><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>10</rasd:ResourceType>
      <rasd:Connection>{network}</rasd:Connection></Item>
  </VirtualHardwareSection></VirtualSystem></Envelope>"""


# A boot disk from a file and a blank second disk of `blank_gib` GiB.
TWO_DISKS = """<?xml version="1.0"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"
  xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
  xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData">
  <References><File ovf:href="{boot}" ovf:id="f1"/></References>
  <DiskSection><Info/>
    <Disk ovf:diskId="d1" ovf:fileRef="f1" ovf:capacity="16"
      ovf:capacityAllocationUnits="byte * 2^20"/>
    <Disk ovf:diskId="d2" ovf:capacity="{blank_gib}" ovf:capacityAllocationUnits="byte * 2^30"/>
  </DiskSection>
  <VirtualSystem ovf:id="two"><Info/><VirtualHardwareSection><Info/>
    <Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>17</rasd:ResourceType>
      <rasd:HostResource>ovf:/disk/d1</rasd:HostResource></Item>
    <Item><rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>17</rasd:ResourceType>
      <rasd:HostResource>ovf:/disk/d2</rasd:HostResource></Item>
  </VirtualHardwareSection></VirtualSystem></Envelope>"""


def descriptor(href: str = "d.vmdk", network: str = "net", fmt: str = "") -> bytes:
    return ONE_DISK.format(href=href, network=network, format=fmt).encode()


@pytest.fixture
def untouched(ovf_server: ServerProcess, ovf_token: str) -> Iterator[None]:
    """The test leaves the cloud, the store and the job folders as they were (but job.json)."""

    def state() -> tuple[list[str], list[str], list[str]]:
        listing = httpx.get(
            ovf_server.url + "/", headers={"X-Auth-Token": ovf_token, "Accept": "text/uri-list"}
        )
        data = ovf_server.data_dir
        store = sorted(str(p) for p in (data / "store").rglob("*") if p.is_file())
        jobs = sorted(
            str(p) for p in (data / "ovf").rglob("*") if p.is_file() and p.name != "job.json"
        )
        outside = sorted(str(p) for p in data.parent.rglob("evil*"))
        return sorted(listing.text.split()), store, jobs + outside

    before = state()
    yield
    assert state() == before


def failed(server: ServerProcess, token: str, package: Path | bytes) -> str:
    job = run_import(server.url, token, package)
    assert job["state"] == "failed", job
    assert job["created"] == []
    return str(job["error"])


def special(tmp: Path, info: tarfile.TarInfo, data: bytes = b"") -> Path:
    target = tmp / "special.ova"
    with tarfile.open(target, "w") as archive:
        ovf = descriptor()
        head = tarfile.TarInfo("a.ovf")
        head.size = len(ovf)
        archive.addfile(head, io.BytesIO(ovf))
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data) if data else None)
    return target


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../evil-traversal", "tar member '../evil-traversal': not a plain path"),
        ("/tmp/evil-absolute", "tar member '/tmp/evil-absolute': not a plain path"),
    ],
)
@pytest.mark.usefixtures("untouched")
def test_member_paths_outside_the_package_fail_the_job(
    ovf_server: ServerProcess, ovf_token: str, tmp_path: Path, name: str, reason: str
) -> None:
    info = tarfile.TarInfo(name)
    error = failed(ovf_server, ovf_token, special(tmp_path, info, b"evil"))
    assert reason in error


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        (tarfile.SYMTYPE, "is a link"),
        (tarfile.LNKTYPE, "is a link"),
        (tarfile.CHRTYPE, "is a device or FIFO"),
        (tarfile.FIFOTYPE, "is a device or FIFO"),
    ],
)
@pytest.mark.usefixtures("untouched")
def test_links_and_devices_fail_the_job(
    ovf_server: ServerProcess, ovf_token: str, tmp_path: Path, kind: bytes, reason: str
) -> None:
    info = tarfile.TarInfo("d.vmdk")
    info.type, info.linkname = kind, "/etc/shadow"
    assert f"'d.vmdk' {reason}" in failed(ovf_server, ovf_token, special(tmp_path, info))


@pytest.mark.usefixtures("untouched")
def test_manifest_mismatch_fails_the_job(
    ovf_server: ServerProcess, ovf_token: str, tmp_path: Path
) -> None:
    disk = vmdk(tmp_path / "d.vmdk")
    members = [("a.ovf", descriptor()), ("d.vmdk", disk)]
    wrong = manifest([("a.ovf", descriptor()), ("d.vmdk", b"not the disk")])
    error = failed(ovf_server, ovf_token, ova(tmp_path / "p.ova", [*members, ("a.mf", wrong)]))
    assert error == "d.vmdk: its SHA1 does not match the manifest"


@pytest.mark.usefixtures("untouched")
def test_entity_bomb_in_the_descriptor_fails_the_job(
    ovf_server: ServerProcess, ovf_token: str, tmp_path: Path
) -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE b [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(
            f'<!ENTITY a{i} "{"&a;" * 10 if i == 0 else f"&a{i - 1};" * 10}">'.encode()
            for i in range(9)
        )
        + b']><Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1">&a8;</Envelope>'
    )
    error = failed(ovf_server, ovf_token, ova(tmp_path / "p.ova", [("a.ovf", bomb)]))
    assert error == "the descriptor is refused: DTDForbidden"


@pytest.mark.usefixtures("untouched")
def test_disk_with_a_backing_file_fails_the_job(
    ovf_server: ServerProcess, ovf_token: str, tmp_path: Path
) -> None:
    # A guest booted from it would read a file of the host (/etc/hostname here).
    overlay = tmp_path / "d.qcow2"
    subprocess.run(
        [
            "qemu-img",
            "create",
            "-q",
            "-f",
            "qcow2",
            "-b",
            "/etc/hostname",
            "-F",
            "raw",
            str(overlay),
            "16M",
        ],
        check=True,
    )
    package = ova(tmp_path / "p.ova", [("a.ovf", descriptor("d.qcow2")), ("d.qcow2", overlay)])
    assert "names a backing file (/etc/hostname); refused" in failed(ovf_server, ovf_token, package)


@pytest.mark.usefixtures("untouched")
def test_a_failure_after_the_disks_were_placed_rolls_all_of_it_back(
    ovf_server: ServerProcess, ovf_token: str, tmp_path: Path
) -> None:
    # The boot image is placed and recorded, then the network's name is refused: nothing stays.
    disk = vmdk(tmp_path / "d.vmdk", data=b"bytes that must not stay")
    package = ova(tmp_path / "p.ova", [("a.ovf", descriptor(network="n" * 201)), ("d.vmdk", disk)])
    assert "longer than 200 characters" in failed(ovf_server, ovf_token, package)


@pytest.mark.usefixtures("untouched")
def test_compressed_package_fails_the_job(
    ovf_server: ServerProcess, ovf_token: str, tmp_path: Path
) -> None:
    plain = ova(tmp_path / "p.ova", [("minimal.ovf", COT / "minimal.ovf")])
    subprocess.run(["gzip", "-k", str(plain)], check=True)
    error = failed(ovf_server, ovf_token, Path(str(plain) + ".gz"))
    assert error.startswith("the package is not an uncompressed tar")


@pytest.mark.usefixtures("untouched")
def test_upload_over_the_maximum_is_413_and_leaves_no_job(
    ovf_server: ServerProcess, ovf_token: str
) -> None:
    def chunks() -> Iterator[bytes]:
        block = b"\0" * (1 << 20)
        for _ in range((MAX_PACKAGE >> 20) + 2):
            yield block

    answer = httpx.post(
        ovf_server.url + "/ovf/imports/",
        content=chunks(),
        headers={"X-Auth-Token": ovf_token, **TAR},
        timeout=60,
    )
    assert answer.status_code == 413
    assert "ovf.max_package_bytes" in answer.json()["message"]
    # Refused from the declared length alone, before the body is read.
    with socket.create_connection(("127.0.0.1", ovf_server.port), timeout=30) as sock:
        sock.sendall(
            f"POST /ovf/imports/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Auth-Token: {ovf_token}\r\n"
            f"Content-Type: application/x-tar\r\nContent-Length: {MAX_PACKAGE + 1}\r\n\r\n".encode()
        )
        assert sock.recv(4096).startswith(b"HTTP/1.1 413 ")


@pytest.mark.usefixtures("untouched")
def test_wrong_media_type_no_credentials_and_unknown_paths_are_4xx(
    ovf_server: ServerProcess, ovf_token: str
) -> None:
    url = ovf_server.url
    auth = {"X-Auth-Token": ovf_token}
    zipped = httpx.post(
        url + "/ovf/imports/", content=b"PK", headers={**auth, "Content-Type": "application/zip"}
    )
    assert zipped.status_code == 415 and "send application/x-tar" in zipped.json()["message"]
    assert upload(url, "wrong-token", b"x").status_code == 401
    assert httpx.get(url + "/ovf/imports/", headers=auth).status_code == 405
    assert httpx.get(url + "/ovf/jobs/" + "0" * 32, headers=auth).status_code == 404
    assert httpx.get(url + "/ovf/jobs/../../etc", headers=auth).status_code == 404
    assert httpx.get(url + "/ovf/elsewhere", headers=auth).status_code == 404


def test_an_import_over_the_projects_quota_fails_and_leaves_nothing(
    ovf_server: ServerProcess, tmp_path: Path
) -> None:
    token = ovf_server.token("ovf-quota")
    cli("quota", "set", "--project", "ovf-quota", "gigabytes=4", "--database", ovf_server.database)
    listing = {"X-Auth-Token": token, "Accept": "text/uri-list"}
    before = httpx.get(ovf_server.url + "/", headers=listing).text
    # The first disk becomes the OS image the compute boots (no volume quota, as Glance's
    # images are not Cinder's gigabytes); the second, blank, one is an 8 GiB storage: over 4.
    two = TWO_DISKS.format(boot="d.vmdk", blank_gib=8).encode()
    package = ova(tmp_path / "q.ova", [("a.ovf", two), ("d.vmdk", vmdk(tmp_path / "d.vmdk"))])
    error = failed(ovf_server, token, package)
    assert "gigabytes" in error, error
    assert httpx.get(ovf_server.url + "/", headers=listing).text == before
