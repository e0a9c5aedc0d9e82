"""The NoCloud seed, read back as a guest's kernel would: through pycdlib's reader and, when
installed, the system's own ISO tools (blkid for the label, xorriso for the names)."""

from __future__ import annotations

import json
import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import pycdlib
import pytest

from occi_server.drivers.qemu import seed

SEED = seed.Seed(
    instance_id="3f0c-42",
    hostname="web-1",
    user_data="#cloud-config\nwrite_files:\n- path: /etc/motd\n  content: hi\n",
    ssh_keys=["ssh-ed25519 AAAAC3Nza alice@example"],
    macs=["52:54:00:aa:bb:cc"],
)


def _read(iso_path: Path, name: str) -> str:
    iso = pycdlib.PyCdlib()
    iso.open(str(iso_path))
    try:
        out = BytesIO()
        iso.get_file_from_iso_fp(out, rr_path=f"/{name}")
        return out.getvalue().decode()
    finally:
        iso.close()


def test_the_seed_holds_meta_data_user_data_and_network_config(tmp_path: Path) -> None:
    target = tmp_path / "seed.iso"
    seed.write(SEED, target)
    meta = _read(target, "meta-data")
    assert 'instance-id: "3f0c-42"' in meta
    assert 'local-hostname: "web-1"' in meta
    assert 'public-keys: ["ssh-ed25519 AAAAC3Nza alice@example"]' in meta
    assert _read(target, "user-data") == SEED.user_data
    network = json.loads(_read(target, "network-config"))
    assert network["version"] == 2
    assert network["ethernets"]["eth0"]["match"] == {"macaddress": "52:54:00:aa:bb:cc"}


def test_the_seed_is_labelled_cidata(tmp_path: Path) -> None:
    target = tmp_path / "seed.iso"
    seed.write(SEED, target)
    iso = pycdlib.PyCdlib()
    iso.open(str(target))
    try:
        assert iso.pvd.volume_identifier.decode().strip() == "cidata"
    finally:
        iso.close()
    if shutil.which("blkid"):
        done = subprocess.run(
            ["blkid", "-o", "value", "-s", "LABEL", str(target)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.stdout.strip() == "cidata"


def test_without_user_data_the_guest_gets_an_empty_cloud_config() -> None:
    assert seed.user_data(seed.Seed("i", "h")) == "#cloud-config\n{}\n"


def test_without_interfaces_every_ethernet_asks_dhcp() -> None:
    config = json.loads(seed.network_config(seed.Seed("i", "h")))
    assert config["ethernets"] == {"all": {"match": {"name": "e*"}, "dhcp4": True}}


@pytest.mark.parametrize(
    ("name", "expected"),
    [("web 1", "web-1"), ("été.example", "t-example"), ("---", "guest"), ("a" * 80, "a" * 63)],
)
def test_a_name_becomes_a_hostname_label(name: str, expected: str) -> None:
    assert seed.hostname(name) == expected


def test_a_hostname_or_key_with_quotes_stays_one_yaml_value() -> None:
    meta = seed.meta_data(seed.Seed("i", 'odd"name', ssh_keys=['ssh-rsa AAA "quoted"']))
    assert 'local-hostname: "odd\\"name"' in meta
    assert json.loads(meta.split("public-keys: ", 1)[1]) == ['ssh-rsa AAA "quoted"']
