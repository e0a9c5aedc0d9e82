import pytest

from occi_server.backends.base import EntityChanges, EntityQuery
from occi_server.backends.local import LocalBackend
from occi_server.categories import infrastructure as infra
from occi_server.errors import BadRequest, NotFound
from occi_server.model import Mixin

from .conftest import A, B, compute, interface, network, new_entity, storage, storagelink

TAG = Mixin(
    scheme="http://example.org/tags#", term="blue", location="/tags/blue/", user_defined=True
)


def test_another_projects_entity_is_not_found(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm = new_entity(s, compute())
    with backend.open(B) as s:
        with pytest.raises(NotFound):
            s.get_entity(vm.location)
        with pytest.raises(NotFound):
            s.update_entity(vm.location, EntityChanges(set_attributes={"occi.core.title": "x"}))
        with pytest.raises(NotFound):
            s.invoke_action(vm.location, infra.STOP.type_id, {})
        with pytest.raises(NotFound):
            s.delete_entity(vm.location)
    with backend.open(A) as s:
        assert s.get_entity(vm.location).attributes["occi.compute.state"] == "active"


def test_listings_and_filters_show_only_the_callers_entities(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        new_entity(s, compute(occi__core__title="shared-name"))
    with backend.open(B) as s:
        assert s.list_locations(EntityQuery(kinds=(infra.COMPUTE,))) == []
        assert s.list_entities(EntityQuery(attributes={"occi.core.title": "shared-name"})) == []


def test_a_project_cannot_link_to_another_projects_resources(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm, volume = new_entity(s, compute()), new_entity(s, storage())
        net = new_entity(s, network("10.0.0.0/24"))
    with backend.open(B) as s:
        mine = new_entity(s, compute())
        with pytest.raises(BadRequest, match=r"occi.core.target"):
            new_entity(s, storagelink(mine.location, volume.location))
        with pytest.raises(BadRequest, match=r"occi.core.target"):
            new_entity(s, interface(mine.location, net.location))
        with pytest.raises(BadRequest, match=r"occi.core.source"):
            new_entity(s, storagelink(vm.location, volume.location))


def test_the_same_id_may_exist_in_two_projects(backend: LocalBackend) -> None:
    draft_a, draft_b = compute(), compute()
    draft_a.id = draft_b.id = "web-1"
    with backend.open(A) as s:
        new_entity(s, draft_a)
    with backend.open(B) as s:
        assert new_entity(s, draft_b).location == "/compute/web-1"


def test_user_mixins_belong_to_their_project(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        s.create_user_mixin(TAG)
    with backend.open(B) as s:
        assert s.user_mixins() == []
        with pytest.raises(BadRequest, match="unknown mixin"):
            new_entity(s, compute(TAG))
        s.create_user_mixin(TAG)  # B may define its own with the same name
        with pytest.raises(NotFound):
            s.delete_user_mixin(Mixin(scheme="http://example.org/tags#", term="red"))


def test_providers_networks_are_per_project_views(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        s.delete_entity(new_entity(s, compute()).location)
        a_public = s.get_entity("/network/public")
    with backend.open(B) as s:
        b_public = s.get_entity("/network/public")
    assert a_public.location == b_public.location
