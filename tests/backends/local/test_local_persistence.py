import pytest

from occi_server.backends.base import EntityChanges, EntityQuery
from occi_server.backends.local import LocalBackend, default_offer
from occi_server.categories import infrastructure as infra
from occi_server.db.engine import make_engine
from occi_server.errors import NotFound
from occi_server.model import Mixin

from .conftest import A, as_resource, compute, interface, network, new_entity, storage, storagelink

TAG = Mixin(scheme="http://example.org/tags#", term="keep", location="/keep/", user_defined=True)


def test_everything_survives_a_restart(db_url: str, backend: LocalBackend) -> None:
    with backend.open(A) as s:
        s.create_user_mixin(TAG)
        vm = new_entity(s, compute(TAG))
        volume = new_entity(s, storage(4.0))
        net = new_entity(s, network("10.1.0.0/24"))
        new_entity(s, storagelink(vm.location, volume.location))
        new_entity(s, interface(vm.location, net.location))
        saved = s.invoke_action(vm.location, infra.SAVE.type_id, {"name": "golden"})
        s.invoke_action(vm.location, infra.STOP.type_id, {})
    before_vm = _snapshot(backend, vm.location)
    backend.close()

    engine = make_engine(db_url)
    reborn = LocalBackend(engine, default_offer())
    try:
        assert _snapshot(reborn, vm.location) == before_vm
        with reborn.open(A) as s:
            assert s.user_mixins() == [TAG]
            assert saved in s.provider_mixins()
            assert s.get_entity(volume.location).attributes["occi.storage.size"] == 4.0
            # The next address continues after the one already given out.
            other = new_entity(s, compute())
            nic = new_entity(s, interface(other.location, net.location))
            assert nic.attributes["occi.networkinterface.address"] == "10.1.0.3"
    finally:
        reborn.close()


def _snapshot(backend: LocalBackend, location: str) -> object:
    with backend.open(A) as s:
        return s.get_entity(location)


def test_an_error_inside_a_session_rolls_everything_back(backend: LocalBackend) -> None:
    with pytest.raises(RuntimeError), backend.open(A) as s:
        new_entity(s, compute())
        s.create_user_mixin(TAG)
        raise RuntimeError("the service failed after the backend call")
    with backend.open(A) as s:
        assert s.list_locations(EntityQuery(kinds=(infra.COMPUTE,))) == []
        assert s.user_mixins() == []


def test_a_refused_request_changes_nothing(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm = new_entity(s, compute())
    with pytest.raises(NotFound), backend.open(A) as s:
        s.update_entity(vm.location, EntityChanges(set_attributes={"occi.core.title": "new"}))
        s.get_entity("/compute/missing")
    with backend.open(A) as s:
        assert "occi.core.title" not in s.get_entity(vm.location).attributes


def test_every_change_moves_the_version_on(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm = new_entity(s, compute())
        volume = new_entity(s, storage())
        retitle = EntityChanges(set_attributes={"occi.core.title": "t"})
        titled = s.update_entity(vm.location, retitle)
        stopped = s.invoke_action(vm.location, infra.STOP.type_id, {})
        new_entity(s, storagelink(vm.location, volume.location))
        linked = s.get_entity(vm.location)
    versions = [vm.version, titled.version, as_resource(stopped).version, linked.version]
    assert all(v is not None for v in versions)
    assert [int(str(v)) for v in versions] == sorted({int(str(v)) for v in versions})
