import pytest

from occi_server.backends.base import EntityChanges
from occi_server.backends.local import LocalBackend
from occi_server.categories import infrastructure as infra
from occi_server.errors import BadRequest, Conflict

from .conftest import A, new_entity, storage

ONLINE, OFFLINE, BACKUP, SNAPSHOT, RESIZE = (a.type_id for a in infra.STORAGE_ACTIONS)


def test_a_new_volume_is_online_like_an_available_cinder_volume(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        volume = new_entity(s, storage(2.0))
    assert volume.attributes["occi.storage.state"] == "online"
    assert sorted(volume.actions) == sorted([OFFLINE, BACKUP, SNAPSHOT, RESIZE])


def test_storage_goes_offline_and_online_again(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        location = new_entity(s, storage()).location
        offline = s.invoke_action(location, OFFLINE, {})
        assert offline is not None and offline.attributes["occi.storage.state"] == "offline"
        online = s.invoke_action(location, ONLINE, {})
    assert online is not None and online.attributes["occi.storage.state"] == "online"


@pytest.mark.parametrize("action", [BACKUP, SNAPSHOT])
def test_actions_needing_an_online_volume_conflict_when_offline(
    backend: LocalBackend, action: str
) -> None:
    with backend.open(A) as s:
        location = new_entity(s, storage()).location
        s.invoke_action(location, OFFLINE, {})
        with pytest.raises(Conflict, match="offline"):
            s.invoke_action(location, action, {})


def test_backup_and_snapshot_complete_at_once_with_a_message(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        location = new_entity(s, storage()).location
        done = s.invoke_action(location, BACKUP, {})
    assert done is not None
    assert done.attributes["occi.storage.state"] == "online"
    assert done.attributes["occi.storage.state.message"] == "backup completed"


def test_resize_grows_and_refuses_to_shrink(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        location = new_entity(s, storage(2.0)).location
        grown = s.invoke_action(location, RESIZE, {"size": 5.0})
        assert grown is not None and grown.attributes["occi.storage.size"] == 5.0
        with pytest.raises(Conflict, match="shrink"):
            s.invoke_action(location, RESIZE, {"size": 1.0})


def test_setting_a_smaller_size_is_refused_like_the_resize_action(
    backend: LocalBackend,
) -> None:
    with backend.open(A) as s:
        location = new_entity(s, storage(2.0)).location
        bigger = s.update_entity(location, EntityChanges(set_attributes={"occi.storage.size": 3}))
        assert bigger.attributes["occi.storage.size"] == 3
        with pytest.raises(Conflict, match="shrink"):
            s.update_entity(location, EntityChanges(set_attributes={"occi.storage.size": 1.0}))


def test_a_volume_needs_a_size(backend: LocalBackend) -> None:
    with backend.open(A) as s, pytest.raises(BadRequest, match=r"occi.storage.size"):
        new_entity(s, storage(None))  # type: ignore[arg-type]


@pytest.mark.parametrize("size", [0.0, -1.5])
def test_this_cloud_needs_a_positive_size(backend: LocalBackend, size: float) -> None:
    # OCCI types occi.storage.size as a Float with no range; the range is this cloud's.
    with backend.open(A) as s, pytest.raises(BadRequest, match=r"size above 0 GiB"):
        new_entity(s, storage(size))


def test_online_on_online_and_offline_on_offline_change_nothing(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        location = new_entity(s, storage()).location
        for action, changes in ((ONLINE, False), (OFFLINE, True), (OFFLINE, False)):
            before = s.get_entity(location)
            s.invoke_action(location, action, {})
            after = s.get_entity(location)
            assert (after.version != before.version) is changes, action
    assert after.attributes["occi.storage.state"] == "offline"
