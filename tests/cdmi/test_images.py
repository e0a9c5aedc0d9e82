"""Disk images in through CDMI `images/`: checked with qemu-img, then an os_tpl of the project
that a compute can be made from; unsafe images are refused."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cdmi.conftest import CONTAINER, Cdmi

REQUIRED = os.environ.get("OCCI_REQUIRE_QEMU_IMG") == "1"
if shutil.which("qemu-img") is None:
    if REQUIRED:
        raise RuntimeError("OCCI_REQUIRE_QEMU_IMG=1 but qemu-img is missing (scripts/system-deps)")
    pytest.skip(
        "qemu-img missing (scripts/system-deps installs qemu-utils)", allow_module_level=True
    )

INFRA = "http://schemas.ogf.org/occi/infrastructure#"
OS_TPL = "http://schemas.openstack.org/template/os#"


def _qcow2(path: Path, *options: str) -> bytes:
    subprocess.run(
        ["qemu-img", "create", "-q", "-f", "qcow2", *options, str(path), "64M"], check=True
    )
    return path.read_bytes()


def test_an_uploaded_qcow2_becomes_an_os_tpl_a_compute_boots_from(
    cdmi: Cdmi, tmp_path: Path
) -> None:
    image = _qcow2(tmp_path / "tiny.qcow2")
    put = cdmi.put(cdmi.path("images", "tiny"), image)
    assert put.status_code == 201, put.text
    query = cdmi.http.get("/-/", headers={"Accept": "text/plain"}).text
    assert f'Category: tiny; scheme="{OS_TPL}"; class="mixin"' in query
    compute = cdmi.http.post(
        "/compute/",
        headers={
            "Content-Type": "text/occi",
            "Category": f'compute; scheme="{INFRA}"; class="kind", '
            f'tiny; scheme="{OS_TPL}"; class="mixin"',
        },
    )
    assert compute.status_code == 201, compute.text
    metadata = cdmi.cdmi_get(cdmi.path("images", "tiny") + "?metadata")["metadata"]
    assert metadata["disk_format"] == "qcow2" and metadata["cdmi_size"] == str(len(image))
    assert cdmi.get(cdmi.path("images", "tiny")).content == image
    again = cdmi.put(cdmi.path("images", "tiny"), image)
    assert again.status_code == 409  # an image does not change once uploaded


def test_an_image_naming_a_backing_file_is_refused_and_not_kept(cdmi: Cdmi, tmp_path: Path) -> None:
    evil = _qcow2(tmp_path / "evil.qcow2", "-b", "/etc/passwd", "-F", "raw")
    refused = cdmi.put(cdmi.path("images", "evil"), evil)
    assert refused.status_code == 400 and "backing file" in refused.text
    assert cdmi.cdmi_get(cdmi.path("images"), CONTAINER)["children"] == []
    assert "evil" not in cdmi.http.get("/-/", headers={"Accept": "text/plain"}).text


def test_deleting_an_image_removes_its_os_tpl(cdmi: Cdmi, tmp_path: Path) -> None:
    assert cdmi.put(cdmi.path("images", "gone"), _qcow2(tmp_path / "g.qcow2")).status_code == 201
    assert cdmi.http.delete(cdmi.path("images", "gone")).status_code == 204
    assert "gone;" not in cdmi.http.get("/-/", headers={"Accept": "text/plain"}).text
    assert cdmi.get(cdmi.path("images", "gone")).status_code == 404
