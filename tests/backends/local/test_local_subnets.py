"""Networks created without a range get a private /24 of their own."""

import ipaddress

from occi_server.backends.base import EntityChanges, EntityDraft
from occi_server.backends.local import LocalBackend
from occi_server.categories import infrastructure as infra
from occi_server.model import Entity

from .conftest import A, B, compute, interface, network, new_entity


def _cidr(entity: Entity) -> str:
    return str(entity.attributes["occi.network.address"])


def test_each_new_network_gets_the_next_free_private_range(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        first = new_entity(s, network())
        second = new_entity(s, network())
    assert (_cidr(first), _cidr(second)) == ("10.0.0.0/24", "10.0.1.0/24")
    assert first.attributes["occi.network.allocation"] == "dynamic"


def test_ranges_chosen_by_the_client_are_skipped(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        new_entity(s, network("10.0.0.0/23"))
        new_entity(s, network("10.0.2.128/25"))
        auto = new_entity(s, network())
    assert _cidr(auto) == "10.0.3.0/24"


def test_projects_choose_their_ranges_independently(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        mine = new_entity(s, network())
    with backend.open(B) as s:
        theirs = new_entity(s, network())
    assert _cidr(mine) == _cidr(theirs) == "10.0.0.0/24"


def test_the_ipnetwork_mixin_without_an_address_also_gets_a_range(
    backend: LocalBackend,
) -> None:
    with backend.open(A) as s:
        net = new_entity(s, EntityDraft(kind=infra.NETWORK_KIND, mixins=[infra.IPNETWORK_MIXIN]))
    assert _cidr(net) == "10.0.0.0/24" and net.attributes["occi.network.gateway"] == "10.0.0.1"


def test_a_deleted_network_gives_its_range_back(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        net = new_entity(s, network())
        s.delete_entity(net.location)
        again = new_entity(s, network())
    assert _cidr(again) == _cidr(net)


def test_a_readdressed_network_gives_its_automatic_range_back(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        net = new_entity(s, network())
        s.update_entity(
            net.location, EntityChanges(set_attributes={"occi.network.address": "192.168.9.0/24"})
        )
        again = new_entity(s, network())
    assert _cidr(again) == "10.0.0.0/24"


def test_a_networklink_to_an_automatic_network_gets_an_address_in_its_range(
    backend: LocalBackend,
) -> None:
    with backend.open(A) as s:
        vm = new_entity(s, compute())
        net = new_entity(s, network(occi__network__label="www"))
        nic = new_entity(s, interface(vm.location, net.location))
    address = ipaddress.ip_address(nic.attributes["occi.networkinterface.address"])
    assert address in ipaddress.ip_network(_cidr(net))
    assert str(address) != net.attributes["occi.network.gateway"]
