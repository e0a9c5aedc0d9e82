"""Storage and snapshots have real bytes: the volume store's files follow the entities."""

from __future__ import annotations

import pytest

from occi_server.backends.base import EntityChanges
from occi_server.backends.local import LocalBackend
from occi_server.categories import infrastructure as infra
from occi_server.drivers.files import FileStore
from occi_server.drivers.hypervisor import GuestKey
from occi_server.drivers.volumes import GIB, disk_of, image_of, volume_of
from occi_server.model import Mixin

from .conftest import A, compute, new_entity, storage


def _volume(entity_id: str) -> str:
    return volume_of(A.project_id, entity_id)


def test_a_volume_is_a_sparse_file_that_grows_and_goes_with_it(
    backend: LocalBackend, store: FileStore
) -> None:
    with backend.open(A) as s:
        volume = new_entity(s, storage(size=2.0))
    name = _volume(volume.id)
    assert store.size(name) == 2 * GIB
    with backend.open(A) as s:
        s.invoke_action(volume.location, infra.RESIZE.type_id, {"size": 3.0})
    assert store.size(name) == 3 * GIB
    with backend.open(A) as s:
        s.update_entity(volume.location, EntityChanges(set_attributes={"occi.storage.size": 4.0}))
        s.invoke_action(volume.location, infra.SNAPSHOT.type_id, {})
    assert store.size(name) == 4 * GIB and store.size(name + "@snapshot") == 4 * GIB
    with backend.open(A) as s:
        s.delete_entity(volume.location)
    assert not store.exists(name) and not store.exists(name + "@snapshot")


def test_a_create_rolled_back_leaves_no_file_and_a_delete_rolled_back_keeps_it(
    backend: LocalBackend, store: FileStore
) -> None:
    class Abort(Exception):
        pass

    with pytest.raises(Abort), backend.open(A) as s:
        lost = new_entity(s, storage(size=1.0))
        assert store.exists(_volume(lost.id))
        raise Abort
    assert not store.exists(_volume(lost.id))
    with backend.open(A) as s:
        kept = new_entity(s, storage(size=1.0))
    with pytest.raises(Abort), backend.open(A) as s:
        s.delete_entity(kept.location)
        raise Abort
    assert store.exists(_volume(kept.id))


def test_save_makes_an_image_of_the_root_disk_which_goes_with_the_compute(
    backend: LocalBackend, store: FileStore
) -> None:
    with backend.open(A) as s:
        vm = new_entity(s, compute())
    disk = disk_of(GuestKey(A.project_id, vm.location))
    store.create(disk, GIB)  # what a real hypervisor makes from the image and the guest writes
    store.write(disk, 0, b"installed")
    with backend.open(A) as s:
        saved = s.invoke_action(vm.location, infra.SAVE.type_id, {"name": "golden"})
    assert isinstance(saved, Mixin)
    assert store.read(image_of(A.project_id, saved.term), 0, 9) == b"installed"
    with backend.open(A) as s:
        unwritten = new_entity(s, compute())
        made = s.invoke_action(unwritten.location, infra.SAVE.type_id, {"name": "empty"})
    assert isinstance(made, Mixin)
    assert store.size(image_of(A.project_id, made.term)) == GIB  # its flavor's 1 GiB, all holes
    with backend.open(A) as s:
        s.delete_entity(vm.location)
    assert not store.exists(disk)
