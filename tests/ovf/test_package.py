"""The OVA reader on hostile tars and manifests (no server): nothing is written outside the
directory it unpacks into, and each refusal names the member."""

from __future__ import annotations

import gzip
import io
import re
import tarfile
from pathlib import Path

import pytest

from occi_server.ovf import package
from occi_server.ovf.errors import ManifestError, PackageError
from tests.ovf.builders import manifest, ova

OVF = b"<Envelope/>"


def unpack(tmp_path: Path, archive: Path, most: int = 1 << 20) -> package.Package:
    into = tmp_path / "into"
    into.mkdir()
    return package.read(archive, into, most)


def special(tmp_path: Path, info: tarfile.TarInfo) -> Path:
    target = tmp_path / "special.ova"
    with tarfile.open(target, "w") as archive:
        ovf = tarfile.TarInfo("a.ovf")
        ovf.size = len(OVF)
        archive.addfile(ovf, io.BytesIO(OVF))
        archive.addfile(info)
    return target


def written(tmp_path: Path) -> list[str]:
    return sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())


@pytest.mark.parametrize(
    "name", ["../evil", "/tmp/evil-absolute", "a/../../evil", "./../evil", ".hidden", "a\\..\\b"]
)
def test_member_names_outside_the_package_are_refused(tmp_path: Path, name: str) -> None:
    archive = ova(tmp_path / "p.ova", [("a.ovf", OVF), (name, b"x")])
    with pytest.raises(PackageError, match="not a plain path inside the package"):
        unpack(tmp_path, archive)
    assert written(tmp_path) == ["into/a.ovf", "p.ova"]


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        (tarfile.SYMTYPE, "is a link"),
        (tarfile.LNKTYPE, "is a link"),
        (tarfile.CHRTYPE, "is a device or FIFO"),
        (tarfile.BLKTYPE, "is a device or FIFO"),
        (tarfile.FIFOTYPE, "is a device or FIFO"),
    ],
)
def test_links_devices_and_fifos_are_refused(tmp_path: Path, kind: bytes, reason: str) -> None:
    info = tarfile.TarInfo("disk.vmdk")
    info.type = kind
    info.linkname = "/etc/passwd"
    with pytest.raises(PackageError, match=f"'disk.vmdk' {reason}"):
        unpack(tmp_path, special(tmp_path, info))
    assert not (tmp_path / "into" / "disk.vmdk").exists()


def test_a_compressed_package_is_refused(tmp_path: Path) -> None:
    plain = ova(tmp_path / "p.ova", [("a.ovf", OVF)])
    archive = tmp_path / "p.ova.gz"
    archive.write_bytes(gzip.compress(plain.read_bytes()))
    with pytest.raises(PackageError, match="not an uncompressed tar"):
        unpack(tmp_path, archive)


def test_files_over_the_maximum_are_refused(tmp_path: Path) -> None:
    archive = ova(tmp_path / "p.ova", [("a.ovf", OVF), ("d.vmdk", b"x" * 5000)])
    with pytest.raises(PackageError, match="exceed the maximum of 4096 bytes"):
        unpack(tmp_path, archive, most=4096)


def test_duplicate_members_and_two_descriptors_are_refused(tmp_path: Path) -> None:
    twice = ova(tmp_path / "twice.ova", [("a.ovf", OVF), ("a.ovf", OVF)])
    with pytest.raises(PackageError, match="appears twice"):
        unpack(tmp_path, twice)
    (tmp_path / "into").rename(tmp_path / "first")
    two = ova(tmp_path / "two.ova", [("a.ovf", OVF), ("b.ovf", OVF)])
    with pytest.raises(PackageError, match=re.escape("2 .ovf descriptors")):
        unpack(tmp_path, two)


def test_manifest_mismatch_names_the_file_and_algorithm(tmp_path: Path) -> None:
    members = [("a.ovf", OVF), ("d.vmdk", b"disk")]
    bad = manifest([("a.ovf", OVF), ("d.vmdk", b"other")], "SHA256")
    archive = ova(tmp_path / "p.ova", [*members, ("a.mf", bad)])
    with pytest.raises(
        ManifestError, match=re.escape("d.vmdk: its SHA256 does not match the manifest")
    ):
        unpack(tmp_path, archive)


def test_manifest_must_list_every_file(tmp_path: Path) -> None:
    archive = ova(
        tmp_path / "p.ova",
        [("a.ovf", OVF), ("d.vmdk", b"disk"), ("a.mf", manifest([("a.ovf", OVF)]))],
    )
    with pytest.raises(ManifestError, match=re.escape("does not list d.vmdk")):
        unpack(tmp_path, archive)


def test_manifest_naming_a_missing_file_or_malformed_is_refused(tmp_path: Path) -> None:
    ghost = manifest([("a.ovf", OVF), ("ghost.vmdk", b"")])
    archive = ova(tmp_path / "p.ova", [("a.ovf", OVF), ("a.mf", ghost)])
    with pytest.raises(ManifestError, match=re.escape("lists ghost.vmdk, which the package lacks")):
        unpack(tmp_path, archive)
    (tmp_path / "into").rename(tmp_path / "first")
    garbled = ova(tmp_path / "g.ova", [("a.ovf", OVF), ("a.mf", b"MD5(a.ovf)= 00\n")])
    with pytest.raises(ManifestError, match="line 1 is not ALGO"):
        unpack(tmp_path, garbled)


def test_mixed_sha1_and_sha256_lines_with_crlf_are_accepted(tmp_path: Path) -> None:
    lines = manifest([("a.ovf", OVF)], "SHA1") + manifest([("d.vmdk", b"disk")], "SHA256")
    archive = ova(
        tmp_path / "p.ova",
        [("a.ovf", OVF), ("d.vmdk", b"disk"), ("a.mf", lines.replace(b"\n", b"\r\n"))],
    )
    found = unpack(tmp_path, archive)
    assert sorted(found.members) == ["a.mf", "a.ovf", "d.vmdk"]
    assert found.file("d.vmdk").path.read_bytes() == b"disk"


def test_a_package_inside_one_folder_is_read_as_that_folder(tmp_path: Path) -> None:
    archive = ova(tmp_path / "p.ova", [("sub/a.ovf", OVF), ("sub/d.vmdk", b"disk")])
    found = unpack(tmp_path, archive)
    assert found.descriptor.name == "a.ovf" and found.file("d.vmdk").size == 4


def test_written_package_reads_back_with_its_manifest(tmp_path: Path) -> None:
    ovf, disk = tmp_path / "x.ovf", tmp_path / "x-disk1.vmdk"
    ovf.write_bytes(OVF)
    disk.write_bytes(b"\1" * 3000)
    listed = [("x.ovf", ovf), ("x-disk1.vmdk", disk)]
    mf = tmp_path / "x.mf"
    mf.write_bytes(package.manifest(listed))
    package.write(tmp_path / "x.ova", [listed[0], ("x.mf", mf), listed[1]])
    with tarfile.open(tmp_path / "x.ova") as archive:
        assert archive.getnames() == ["x.ovf", "x.mf", "x-disk1.vmdk"]  # descriptor first
    assert unpack(tmp_path, tmp_path / "x.ova").manifest is not None


def test_files_after_the_manifest_are_hashed_only_as_it_asks(tmp_path: Path) -> None:
    lines = manifest([("a.ovf", OVF)], "SHA1") + manifest([("sub/d.vmdk", b"disk")], "SHA256")
    archive = ova(tmp_path / "p.ova", [("a.ovf", OVF), ("a.mf", lines), ("sub/d.vmdk", b"disk")])
    found = unpack(tmp_path, archive)
    assert set(found.file("a.ovf").digests) == {"SHA1", "SHA256", "SHA512"}  # before it
    assert set(found.file("sub/d.vmdk").digests) == {"SHA256"}
