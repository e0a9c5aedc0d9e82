"""Floating IPs: allocation from the pools, links to the public network, release."""

import threading

import pytest
from sqlalchemy import Engine

from occi_server.backends.base import EntityChanges, EntityQuery, ProjectCloud
from occi_server.backends.local import (
    CloudOffer,
    FloatingPool,
    LocalBackend,
    NetworkSpec,
    default_offer,
)
from occi_server.categories import infrastructure as infra
from occi_server.categories import openstack
from occi_server.errors import BadRequest, Conflict, NotFound
from occi_server.model import Entity, Link, Mixin

from .conftest import A, B, as_resource, compute, interface, new_entity

ALLOC, DEALLOC = openstack.ALLOC_FLOAT_IP.type_id, openstack.DEALLOC_FLOAT_IP.type_id
FIP = "org.openstack.network.floating.ip"
ADDRESS = "occi.networkinterface.address"
NOVA_POOL = openstack.FLOATING_POOL_SCHEME + "nova"


def _alloc(s: ProjectCloud, location: str, pool: str | None = "nova") -> Entity:
    params = {} if pool is None else {openstack.FLOATING_POOL: pool}
    result = s.invoke_action(location, ALLOC, params)
    assert isinstance(result, Entity)
    return result


def _floating_links(entity: Entity) -> list[Link]:
    return [
        ln
        for ln in as_resource(entity).links
        if ln.target == "/network/public" and ADDRESS in ln.attributes
    ]


def _tiny_backend(engine: Engine) -> LocalBackend:
    base = default_offer()
    cloud = CloudOffer(
        flavors=base.flavors,
        images=base.images,
        floating_pools=(FloatingPool("tiny", "10.99.0.0/30"),),
        networks=(NetworkSpec("public", "10.99.0.0/30", public=True),),
        default_flavor=base.default_flavor,
        default_image=base.default_image,
    )
    return LocalBackend(engine, cloud)


def test_alloc_float_ip_shows_the_address_and_a_link_to_the_public_network(
    backend: LocalBackend,
) -> None:
    with backend.open(A) as s:
        vm = new_entity(s, compute())
        assert DEALLOC not in vm.actions and ALLOC in vm.actions
        got = _alloc(s, vm.location)
    address = got.attributes[FIP]
    assert address.startswith("172.24.4.") and address != "172.24.4.1"  # never the gateway
    [link] = _floating_links(got)
    assert link.kind == infra.NETWORKINTERFACE
    assert infra.IPNETWORKINTERFACE in link.mixins
    assert link.attributes[ADDRESS] == address
    assert NOVA_POOL in got.mixins
    assert DEALLOC in got.actions
    with backend.open(A) as s:
        assert s.get_entity(vm.location).attributes[FIP] == address


def test_the_pool_defaults_to_the_first_and_an_unknown_pool_names_the_parameter(
    backend: LocalBackend,
) -> None:
    with backend.open(A) as s:
        vm = new_entity(s, compute())
        assert FIP in _alloc(s, vm.location, pool=None).attributes
        with pytest.raises(BadRequest, match=r"org\.openstack\.network\.floating\.pool"):
            _alloc(s, vm.location, pool="nowhere")


def test_a_compute_holds_several_and_releases_one_by_address(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm = new_entity(s, compute())
        first = _alloc(s, vm.location).attributes[FIP]
        both = _alloc(s, vm.location)
        addresses = [ln.attributes[ADDRESS] for ln in _floating_links(both)]
        assert len(set(addresses)) == 2 and addresses[0] == first
        assert both.attributes[FIP] == first  # the first one, for compatibility
        left = s.invoke_action(vm.location, DEALLOC, {FIP: first})
    assert left is not None
    assert [ln.attributes[ADDRESS] for ln in _floating_links(left)] == [addresses[1]]
    assert left.attributes[FIP] == addresses[1]


def test_dealloc_without_address_releases_the_last_allocated(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm = new_entity(s, compute())
        first = _alloc(s, vm.location).attributes[FIP]
        _alloc(s, vm.location)
        left = s.invoke_action(vm.location, DEALLOC, {})
        assert left is not None and left.attributes[FIP] == first
        none_left = s.invoke_action(vm.location, DEALLOC, {})
    assert none_left is not None
    assert FIP not in none_left.attributes
    assert _floating_links(none_left) == []
    assert NOVA_POOL not in none_left.mixins
    assert DEALLOC not in none_left.actions


def test_dealloc_errors_name_the_problem(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm = new_entity(s, compute())
        with pytest.raises(Conflict, match="holds no floating IP"):
            s.invoke_action(vm.location, DEALLOC, {})
        _alloc(s, vm.location)
        with pytest.raises(BadRequest, match=FIP):
            s.invoke_action(vm.location, DEALLOC, {FIP: "203.0.113.9"})


def test_a_released_address_returns_to_the_pool(engine: Engine) -> None:
    backend = _tiny_backend(engine)
    with backend.open(A) as s:
        vm = new_entity(s, compute())
        address = _alloc(s, vm.location, "tiny").attributes[FIP]
        s.invoke_action(vm.location, DEALLOC, {})
        other = new_entity(s, compute())
        assert _alloc(s, other.location, "tiny").attributes[FIP] == address


def test_an_exhausted_pool_is_a_conflict(engine: Engine) -> None:
    backend = _tiny_backend(engine)  # a /30: .1 is the gateway, .2 the only floating IP
    with backend.open(A) as s:
        vm = new_entity(s, compute())
        assert _alloc(s, vm.location, "tiny").attributes[FIP] == "10.99.0.2"
    with backend.open(B) as s:
        other = new_entity(s, compute())
        with pytest.raises(Conflict, match="tiny"):
            _alloc(s, other.location, "tiny")


def test_a_failed_allocation_leaves_no_interface_behind(engine: Engine) -> None:
    """The interface is written inside a savepoint of the transaction (Transaction.savepoint):
    rolling it back takes the interface away, and the rest of the transaction still commits."""
    backend = _tiny_backend(engine)
    with backend.open(A) as s:
        _alloc(s, new_entity(s, compute()).location, "tiny")  # the pool's only address
    with backend.open(B) as s:
        other = new_entity(s, compute()).location
        with pytest.raises(Conflict, match="tiny"):
            _alloc(s, other, "tiny")
        assert as_resource(s.get_entity(other)).links == []
    with backend.open(B) as s:
        assert as_resource(s.get_entity(other)).links == []
        assert s.list_locations(EntityQuery(kinds=(infra.NETWORKINTERFACE,))) == []


def test_floating_ips_and_public_interfaces_never_share_an_address(backend: LocalBackend) -> None:
    seen: list[str] = []
    for ctx in (A, B):
        with backend.open(ctx) as s:
            vm = new_entity(s, compute())
            nic = new_entity(s, interface(vm.location, "/network/public"))
            seen.append(nic.attributes[ADDRESS])
            seen.append(_alloc(s, vm.location).attributes[FIP])
            nic2 = new_entity(s, interface(vm.location, "/network/public"))
            seen.append(nic2.attributes[ADDRESS])
    assert len(seen) == len(set(seen)) == 6
    assert "172.24.4.1" not in seen


def test_concurrent_allocations_never_get_the_same_address(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vms = [new_entity(s, compute()).location for _ in range(8)]
    given: list[str] = []
    errors: list[BaseException] = []

    def alloc(vm: str) -> None:
        try:
            with backend.open(A) as s:
                given.append(_alloc(s, vm).attributes[FIP])
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=alloc, args=(vm,)) for vm in vms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(given)) == 8


def test_deleting_the_compute_releases_its_floating_ips(engine: Engine) -> None:
    backend = _tiny_backend(engine)
    with backend.open(A) as s:
        vm = new_entity(s, compute())
        link = _floating_links(_alloc(s, vm.location, "tiny"))[0]
        s.delete_entity(vm.location)
        with pytest.raises(NotFound):
            s.get_entity(link.location)
        other = new_entity(s, compute())
        assert _alloc(s, other.location, "tiny").attributes[FIP] == "10.99.0.2"


def test_deleting_the_floating_link_itself_releases_the_address(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm = new_entity(s, compute())
        link = _floating_links(_alloc(s, vm.location))[0]
        s.delete_entity(link.location)
        after = s.get_entity(vm.location)
    assert FIP not in after.attributes and NOVA_POOL not in after.mixins
    assert DEALLOC not in after.actions


def test_a_floating_address_cannot_be_edited_on_its_link(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm = new_entity(s, compute())
        link = _floating_links(_alloc(s, vm.location))[0]
        with pytest.raises(BadRequest, match="floating"):
            s.update_entity(link.location, EntityChanges(set_attributes={ADDRESS: "172.24.4.200"}))


def _pool(s: ProjectCloud) -> Mixin:
    return next(m for m in s.provider_mixins() if m.type_id == NOVA_POOL)


def test_carrying_a_pool_mixin_means_holding_an_address_from_it(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        pool = _pool(s)
        born = new_entity(s, compute(pool))
        assert FIP in born.attributes and len(_floating_links(born)) == 1
        vm = new_entity(s, compute())
        joined = s.update_entity(vm.location, EntityChanges(add_mixins=[pool]))
        assert FIP in joined.attributes and NOVA_POOL in joined.mixins
        assert s.list_locations(EntityQuery(mixins=(NOVA_POOL,))) == [born.location, vm.location]
        left = s.update_entity(vm.location, EntityChanges(remove_mixins=[pool]))
    assert FIP not in left.attributes and _floating_links(left) == []
