"""Every third-party fixture through a real server: it imports (cores, memory, title, disks,
networks, user data as its descriptor says) or its job fails with the reason its content calls
for. Disks the fixtures' own test scripts make at run time (virt-v2v's) are made here the same
way, small (tests/ovf/fixtures/ORIGIN.md)."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.ovf.builders import COT, V2V, Member, entity, manifest, ova, run_import, vmdk
from tests.support.server import ServerProcess

GIB = 1 << 30


@dataclass
class Expected:
    title: str
    cores: int | None
    memory: float | None  # GiB
    disks: list[float]  # GiB: the boot image's, then the storages' in storagelink order
    networks: list[str]  # one per interface
    user_data: str | None = None


def _cot(*names: str) -> Callable[[Path], list[Member]]:
    return lambda tmp: [(n, COT / n) for n in names]


def _v2v(
    ovf: str, disks: dict[str, bytes | None], mf: str | None = "SHA1", folder: str = ""
) -> Callable[[Path], list[Member]]:
    """As virt-v2v's test script packs it: the .ovf, disks (None: a small streamOptimized VMDK
    made here; bytes: the phony raw disk the script writes), the manifest."""

    def build(tmp: Path) -> list[Member]:
        members: list[Member] = [(ovf, V2V / ovf)]
        for name, content in disks.items():
            members.append((name, content if content is not None else vmdk(tmp / name)))
        if mf:
            lines = manifest(members[:1], "SHA1") + manifest(members[1:], mf)
            members.append((ovf.removesuffix(".ovf") + ".mf", lines))
        return [(folder + name, item) for name, item in members]

    return build


@dataclass
class Case:
    build: Callable[[Path], list[Member]]
    expected: Expected | None = None
    reason: str = ""
    note: str = field(default="")


CASES = {
    "cot-ubuntu-virtualbox-2.0": Case(
        _cot("ubuntu.2.0.ovf", "ubuntu.2.0.mf", "ubuntu.2.0-disk1.vmdk"),
        Expected("ubuntu", 1, 0.5, [8.0], ["NAT"]),
    ),
    "cot-vmware-ovftool": Case(
        _cot("vmware.ovf", "input.vmdk"),
        Expected("vmw", 2, 1.5, [1.0], ["lanethernet0"] * 4, "custom-property=custom-value\n"),
    ),
    "cot-input-with-manifest-iso-and-text-file": Case(
        _cot("input.ovf", "input.mf", "input.vmdk", "input.iso", "sample_cfg.txt"),
        Expected("test", 4, 4.0, [1.0], ["VM Network"] * 3),
    ),
    "cot-csr1000v": Case(
        _cot("csr1000v.ovf", "input.vmdk", "input.iso"),
        Expected(
            "Cisco CSR 1000V Cloud Services Router",
            1,
            4.0,
            [1.0],
            ["GigabitEthernet1", "GigabitEthernet2", "GigabitEthernet3"],
        ),
    ),
    "cot-csr1000v-2017": Case(
        _cot("csr1000v_2017.ovf", "input.vmdk", "input.iso"),
        Expected(
            "Cisco CSR 1000V Cloud Services Router",
            1,
            4.0,
            [1.0],
            ["GigabitEthernet1", "GigabitEthernet2", "GigabitEthernet3"],
        ),
    ),
    "cot-iosv-with-a-blank-disk": Case(
        _cot("iosv.ovf", "input.vmdk"),
        Expected(
            "Cisco IOSv", 1, 0.375, [1.0, 0.125], ["GigabitEthernet0_0", "GigabitEthernet0_1"]
        ),
    ),
    "cot-minimal": Case(_cot("minimal.ovf"), Expected("x", None, None, [], [])),
    "cot-invalid": Case(
        _cot("invalid.ovf", "input.vmdk", "input.iso"),
        reason="disk flash2 refers to file flash2, which References lacks",
    ),
    "cot-ersatz-3.0": Case(_cot("ersatz_ovf_3.0.ovf"), reason="is not OVF 1.x or 2.x"),
    "cot-v0.9": Case(
        _cot("v0.9.ovf", "input.vmdk"), reason="OVF 0.9 descriptors are not supported"
    ),
    "v2v-test-i-ova": Case(
        _v2v("test-i-ova.ovf", {"test-ova.vmdk": None}, mf="SHA256"),
        Expected("TestOva", 1, 2.0, [32.0], ["VM Network"]),
    ),
    "v2v-checksums": Case(
        _v2v("test-i-ova-checksums.ovf", {"disk.vmdk": None}, mf="SHA256"),
        Expected("ova-test", 2, 4.0, [0.5], []),
    ),
    "v2v-subfolders": Case(
        _v2v("test-i-ova-subfolders.ovf", {"disk1.vmdk": None}, folder="subfolder/"),
        Expected("2K8R2EESP1_2_Medium", 1, 1.0, [50.0], ["PG-VLAN60"]),
    ),
    "v2v-two-disks-over-the-maximum": Case(
        _v2v("test-i-ova-two-disks.ovf", {"disk1.vmdk": None, "disk2.vmdk": None}),
        reason="capacities add up to 536870912000 bytes, over the maximum",
    ),
    "v2v-formats-raw-disk-called-vmdk": Case(
        _v2v("test-i-ova-formats.ovf", {"disk1.vmdk": b"\0" * 10240}),
        reason="disk vmdisk1: disk1.vmdk: .*\\(ovf:format says vmdk\\)",
    ),
    "v2v-gz": Case(
        _v2v("test-i-ova-gz.ovf", {"disk1.vmdk.gz": b"\x1f\x8b not really"}),
        reason="ovf:compression=gzip is not supported",
    ),
    "v2v-snapshots-partial-manifest": Case(
        lambda tmp: [
            ("test-i-ova-snapshots.ovf", V2V / "test-i-ova-snapshots.ovf"),
            *((f"disk1.vmdk.00000000{n}", b"\0" * (10 + n) * 1024) for n in range(3)),
            # The script rewrites disk1.mf with each line (>): only the last one remains.
            ("disk1.mf", manifest([("disk1.vmdk.000000002", b"\0" * 12 * 1024)])),
        ],
        reason="the manifest does not list disk1.vmdk.000000000, disk1.vmdk.000000001, "
        "test-i-ova-snapshots.ovf",
    ),
    "v2v-bad-sha1": Case(
        lambda tmp: [
            ("test.ovf", V2V / "test-i-ova-checksums.ovf"),
            ("disk.vmdk", vmdk(tmp / "disk.vmdk")),
            (
                "test.mf",
                b"SHA1(test.ovf)= "
                + b"0" * 40
                + b"\n"
                + manifest([("disk.vmdk", vmdk(tmp / "again.vmdk"))], "SHA256"),
            ),
        ],
        reason="test.ovf: its SHA1 does not match the manifest",
    ),
}


def _everything(base: str, token: str) -> list[str]:
    listing = httpx.get(base + "/", headers={"X-Auth-Token": token, "Accept": "text/uri-list"})
    return sorted(listing.text.split())


def _interfaces(base: str, compute: dict[str, Any], token: str) -> list[str]:
    names = []
    for link in compute.get("links", []):
        if link["kind"].endswith("#networkinterface"):
            names.append(entity(base + link["target"]["location"], token)["title"])
    return names


def _boot_image(server: ServerProcess, compute: dict[str, Any]) -> list[float]:
    """The virtual size (GiB) of the OS image the import made of the first disk, which the
    compute boots ([] when the appliance has no disk: the default OS template)."""
    terms = [m.rpartition("#")[2] for m in compute.get("mixins", []) if "template/os#ovf-" in m]
    if not terms:
        return []
    (image,) = server.data_dir.glob(f"store/images/*/{terms[0]}")
    info = subprocess.run(
        ["qemu-img", "info", "--output=json", str(image)], capture_output=True, check=True
    )
    described = json.loads(info.stdout)
    assert described["format"] == "qcow2"
    return [described["virtual-size"] / GIB]


def _storages(base: str, compute: dict[str, Any], token: str) -> list[float]:
    links = [ln for ln in compute.get("links", []) if ln["kind"].endswith("#storagelink")]
    links.sort(key=lambda ln: ln["attributes"]["occi.storagelink.deviceid"])
    return [
        entity(base + ln["target"]["location"], token)["attributes"]["occi.storage.size"]
        for ln in links
    ]


@pytest.mark.parametrize("name", sorted(CASES))
def test_fixture_imports_or_fails_with_its_reason(
    name: str, ovf_server: ServerProcess, ovf_token: str, tmp_path: Path
) -> None:
    case = CASES[name]
    token = ovf_token
    before = _everything(ovf_server.url, token)
    job = run_import(ovf_server.url, token, ova(tmp_path / "p.ova", case.build(tmp_path)))
    if case.expected is None:
        assert job["state"] == "failed", job
        assert job["created"] == []
        assert re.search(case.reason, job["error"]), job["error"]
        assert _everything(ovf_server.url, token) == before  # nothing half-made
        return
    assert job["state"] == "done", job
    expected = case.expected
    compute_url = next(u for u in job["created"] if "/compute/" in u)
    compute = entity(compute_url, token)
    attributes = compute["attributes"]
    assert compute["title"] == expected.title
    if expected.cores is not None:
        assert attributes["occi.compute.cores"] == expected.cores
    if expected.memory is not None:
        assert attributes["occi.compute.memory"] == pytest.approx(expected.memory)
    disks = _boot_image(ovf_server, compute) + _storages(ovf_server.url, compute, token)
    assert disks == expected.disks
    assert _interfaces(ovf_server.url, compute, token) == expected.networks
    if expected.user_data is not None:
        assert attributes["occi.compute.userdata"] == expected.user_data
