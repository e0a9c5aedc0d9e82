"""disk_images: qemu-img's view of real files, and the refusals that keep host files private."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from occi_server.drivers import disk_images
from occi_server.drivers.disk_images import DiskImageError

REQUIRED = os.environ.get("OCCI_REQUIRE_QEMU_IMG") == "1"
if shutil.which("qemu-img") is None:
    if REQUIRED:
        raise RuntimeError("OCCI_REQUIRE_QEMU_IMG=1 but qemu-img is missing (scripts/system-deps)")
    pytest.skip(
        "qemu-img missing (scripts/system-deps installs qemu-utils)", allow_module_level=True
    )

MIB = 1 << 20


def test_a_raw_file_is_raw_with_its_size(tmp_path: Path) -> None:
    path = tmp_path / "disk.raw"
    path.write_bytes(b"\0" * MIB)
    info = disk_images.inspect_safe(path)
    assert (info.format, info.virtual_size) == ("raw", MIB)


def test_a_qcow2_converts_to_raw_with_its_bytes(tmp_path: Path) -> None:
    raw = tmp_path / "a.raw"
    raw.write_bytes(b"occi" * (MIB // 4))
    qcow = tmp_path / "a.qcow2"
    disk_images.convert(raw, qcow, source_format="raw", target_format="qcow2")
    assert disk_images.inspect_safe(qcow).format == "qcow2"
    back = tmp_path / "b.raw"
    disk_images.convert(qcow, back, source_format="qcow2", target_format="raw")
    assert back.read_bytes() == raw.read_bytes()


def test_a_backing_file_is_refused_naming_it(tmp_path: Path) -> None:
    secret = tmp_path / "host-secret.raw"
    secret.write_bytes(b"\0" * MIB)
    overlay = tmp_path / "overlay.qcow2"
    disk_images.create(overlay, "qcow2", backing=secret, backing_format="raw")
    with pytest.raises(DiskImageError, match=r"backing file .*host-secret"):
        disk_images.inspect_safe(overlay)


def test_an_external_data_file_is_refused(tmp_path: Path) -> None:
    image = tmp_path / "external.qcow2"
    disk_images._run(
        [
            disk_images.qemu_img(),
            "create",
            "-q",
            "-f",
            "qcow2",
            "-o",
            f"data_file={tmp_path / 'data.raw'}",
            str(image),
            str(MIB),
        ],
        30,
        "setup",
    )
    with pytest.raises(DiskImageError, match="external data file"):
        disk_images.inspect_safe(image)


def test_a_vmdk_whose_data_is_in_another_file_is_refused(tmp_path: Path) -> None:
    flat = tmp_path / "flat.vmdk"
    disk_images._run(
        [
            disk_images.qemu_img(),
            "create",
            "-q",
            "-f",
            "vmdk",
            "-o",
            "subformat=monolithicFlat",
            str(flat),
            str(MIB),
        ],
        30,
        "setup",
    )
    with pytest.raises(DiskImageError, match="monolithicFlat"):
        disk_images.inspect_safe(flat)


def test_a_stream_optimized_vmdk_is_accepted(tmp_path: Path) -> None:
    raw = tmp_path / "a.raw"
    raw.write_bytes(b"\1" * MIB)
    vmdk = tmp_path / "a.vmdk"
    disk_images.convert(
        raw,
        vmdk,
        source_format="raw",
        target_format="vmdk",
        options=["subformat=streamOptimized"],
    )
    info = disk_images.inspect_safe(vmdk)
    assert (info.format, info.vmdk_create_type, info.virtual_size) == (
        "vmdk",
        "streamOptimized",
        MIB,
    )


def test_a_format_outside_the_allowed_set_is_refused(tmp_path: Path) -> None:
    raw = tmp_path / "a.raw"
    raw.write_bytes(b"\0" * MIB)
    with pytest.raises(DiskImageError, match="format raw is not accepted"):
        disk_images.inspect_safe(raw, allowed=frozenset({"qcow2"}))


def test_an_image_over_the_maximum_size_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.qcow2"
    disk_images.create(big, "qcow2", 10 * MIB)
    with pytest.raises(DiskImageError, match="over the maximum"):
        disk_images.inspect_safe(big, max_size=MIB)


def test_a_missing_file_is_a_clear_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nothing-here.qcow2"
    with pytest.raises(DiskImageError, match=r"nothing-here\.qcow2"):
        disk_images.inspect(missing)
