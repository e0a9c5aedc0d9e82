import pytest

from occi_server.backends.base import EntityQuery
from occi_server.backends.local import LocalBackend
from occi_server.categories import core
from occi_server.categories import infrastructure as infra
from occi_server.errors import BadRequest, Conflict

from .conftest import A, compute, new_entity, storage, template


@pytest.fixture
def populated(backend: LocalBackend) -> list[str]:
    locations = []
    with backend.open(A) as s:
        for index in range(5):
            flavor = template(s, "itsy" if index % 2 else "bitsy")
            vm = new_entity(s, compute(flavor, occi__core__title=f"vm{index}"))
            locations.append(vm.location)
        locations.append(new_entity(s, storage(3.0, occi__core__title="disk")).location)
    return locations


def _query(**kwargs: object) -> EntityQuery:
    return EntityQuery(**kwargs)  # type: ignore[arg-type]


def test_listing_is_ordered_by_creation(backend: LocalBackend, populated: list[str]) -> None:
    with backend.open(A) as s:
        everything = s.list_locations(_query(kinds=(infra.COMPUTE, infra.STORAGE)))
        entities = s.list_entities(_query(kinds=(infra.COMPUTE, infra.STORAGE)))
    assert everything == populated
    assert [e.location for e in entities] == populated


def test_filter_by_kind(backend: LocalBackend, populated: list[str]) -> None:
    with backend.open(A) as s:
        assert s.list_locations(_query(kinds=(infra.STORAGE,))) == populated[-1:]
        assert s.list_locations(_query(kinds=())) == []


def test_filter_by_mixin(backend: LocalBackend, populated: list[str]) -> None:
    with backend.open(A) as s:
        itsy = template(s, "itsy").type_id
        assert s.list_locations(_query(mixins=(itsy,))) == [populated[1], populated[3]]


def test_filter_by_attribute_value_of_any_type(backend: LocalBackend, populated: list[str]) -> None:
    with backend.open(A) as s:
        assert s.list_locations(_query(attributes={"occi.core.title": "vm2"})) == [populated[2]]
        # Filters from text renderings arrive as strings; numbers still match.
        assert s.list_locations(_query(attributes={"occi.storage.size": "3"})) == populated[-1:]
        assert s.list_locations(_query(attributes={"occi.compute.memory": 0.125})) == [
            populated[1],
            populated[3],
        ]
        assert s.list_locations(_query(attributes={"occi.core.title": "nope"})) == []


def test_filter_by_id_and_by_several_conditions(
    backend: LocalBackend, populated: list[str]
) -> None:
    entity_id = populated[3].rsplit("/", 1)[1]
    with backend.open(A) as s:
        assert s.list_locations(_query(attributes={"occi.core.id": entity_id})) == [populated[3]]
        both = _query(
            kinds=(infra.COMPUTE,),
            attributes={"occi.core.title": "vm3"},
            mixins=(template(s, "itsy").type_id,),
        )
        assert s.list_locations(both) == [populated[3]]


def test_paging_with_offset_and_limit(backend: LocalBackend, populated: list[str]) -> None:
    with backend.open(A) as s:
        kinds = (infra.COMPUTE,)
        assert s.list_locations(_query(kinds=kinds, offset=1, limit=2)) == populated[1:3]
        assert s.list_locations(_query(kinds=kinds, offset=4, limit=10)) == populated[4:5]
        assert s.list_locations(_query(kinds=kinds, offset=50)) == []


def test_location_prefix_selects_an_unbound_path(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        chosen = compute()
        chosen.location = "/vms/web_%1"
        new_entity(s, chosen)
        new_entity(s, compute())
        assert s.list_locations(_query(location_prefix="/vms/")) == ["/vms/web_%1"]
        assert s.list_locations(_query(location_prefix="/vms/web_%")) == ["/vms/web_%1"]
        assert s.list_locations(_query(location_prefix="/vms/webx")) == []


def test_client_chosen_id_and_location_are_honoured_once(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        first = compute()
        first.id = "my-vm"
        assert new_entity(s, first).location == "/compute/my-vm"
        again = compute()
        again.id = "my-vm"
        with pytest.raises(Conflict, match="my-vm"):
            new_entity(s, again)
        placed = compute()
        placed.location = "/compute/my-vm"
        with pytest.raises(Conflict, match="location"):
            new_entity(s, placed)


@pytest.mark.parametrize("bad", ["", "has space", "a/b", "x" * 129])
def test_an_invalid_client_id_is_refused(backend: LocalBackend, bad: str) -> None:
    draft = compute()
    draft.id = bad
    with backend.open(A) as s, pytest.raises(BadRequest):
        new_entity(s, draft)


def test_generated_ids_are_uuids_under_the_kind_location(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm = new_entity(s, compute())
    assert vm.location == f"/compute/{vm.id}" and len(vm.id) == 36


def test_any_resource_can_be_listed_through_its_parent_kinds(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm = new_entity(s, compute())
        every = (core.RESOURCE, infra.COMPUTE, infra.STORAGE, infra.NETWORK)
        assert vm.location in s.list_locations(_query(kinds=every))
