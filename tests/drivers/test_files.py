"""The file store: real sparse files under its root, byte ranges, snapshots keeping holes."""

from __future__ import annotations

from pathlib import Path

import pytest

from occi_server.drivers.files import FileStore
from occi_server.drivers.volumes import GIB, StoreError, volume_of

VOLUME = volume_of("p-a", "vol-1")


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    return FileStore(tmp_path / "store")


def test_a_new_volume_is_a_sparse_file_of_its_size(store: FileStore) -> None:
    store.create(VOLUME, 10 * GIB)
    path = store.path(VOLUME)
    assert path.is_file() and path.is_relative_to(store.root)
    assert store.size(VOLUME) == 10 * GIB
    assert path.stat().st_blocks * 512 < 1 << 20  # no blocks used until written
    assert store.read(VOLUME, 5 * GIB, 4) == b"\0" * 4


def test_byte_ranges_are_written_and_read_back(store: FileStore) -> None:
    store.create(VOLUME, 1 << 20)
    store.write(VOLUME, 4096, b"hello")
    assert store.read(VOLUME, 4096, 5) == b"hello"
    assert store.read(VOLUME, (1 << 20) - 2, 10) == b"\0\0"  # short read at the end
    with pytest.raises(StoreError, match="past its end"):
        store.write(VOLUME, (1 << 20) - 2, b"abc")


def test_a_volume_grows_but_never_shrinks(store: FileStore) -> None:
    store.create(VOLUME, 1 << 20)
    store.write(VOLUME, 0, b"keep")
    store.resize(VOLUME, 2 << 20)
    assert store.size(VOLUME) == 2 << 20 and store.read(VOLUME, 0, 4) == b"keep"
    with pytest.raises(StoreError, match="cannot shrink"):
        store.resize(VOLUME, 1 << 20)
    store.create(VOLUME, 1 << 10)  # create on an existing one keeps its size and bytes
    assert store.size(VOLUME) == 2 << 20 and store.read(VOLUME, 0, 4) == b"keep"


def test_a_snapshot_copies_the_bytes_and_keeps_the_holes(store: FileStore) -> None:
    store.create(VOLUME, GIB)
    store.write(VOLUME, 512 << 20, b"data in the middle")
    copy = volume_of("p-a", "vol-1") + "@snapshot"
    store.snapshot(VOLUME, copy)
    assert store.size(copy) == GIB
    assert store.read(copy, 512 << 20, 18) == b"data in the middle"
    assert store.path(copy).stat().st_blocks * 512 < 16 << 20
    store.write(VOLUME, 0, b"later")
    assert store.read(copy, 0, 5) == b"\0" * 5  # a copy, not a link


def test_import_and_export_files(store: FileStore, tmp_path: Path) -> None:
    source = tmp_path / "disk.img"
    source.write_bytes(b"\x01" * 1000)
    image = "images/p-a/cirros"
    store.import_file(image, source)
    assert store.size(image) == 1000 and store.read(image, 998, 5) == b"\x01\x01"
    out = tmp_path / "out.img"
    store.export_file(image, out)
    assert out.read_bytes() == source.read_bytes()


def test_delete_removes_the_file_and_a_missing_one_is_fine(store: FileStore) -> None:
    store.create(VOLUME, 10)
    store.delete(VOLUME)
    assert not store.exists(VOLUME) and not store.path(VOLUME).exists()
    store.delete(VOLUME)
    with pytest.raises(StoreError, match="no volume"):
        store.size(VOLUME)


@pytest.mark.parametrize("name", ["../etc/passwd", "volumes/p/../../x", "other/p/v", "volumes/p"])
def test_names_outside_the_store_are_refused(store: FileStore, name: str) -> None:
    with pytest.raises(StoreError, match="not a volume name"):
        store.create(name, 10)


def test_project_and_entity_ids_are_quoted_into_one_segment_each() -> None:
    assert volume_of("a/b", "c d") == "volumes/a%2Fb/c%20d"
