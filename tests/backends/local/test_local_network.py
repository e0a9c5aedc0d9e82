import ipaddress
import threading

import pytest

from occi_server.backends.base import EntityChanges
from occi_server.backends.local import LocalBackend
from occi_server.categories import infrastructure as infra
from occi_server.errors import BadRequest, Conflict, Forbidden

from .conftest import A, compute, interface, network, new_entity

UP, DOWN = infra.UP.type_id, infra.DOWN.type_id


def test_a_new_network_is_up_and_goes_down_and_up(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        net = new_entity(s, network())
        assert net.attributes["occi.network.state"] == "active" and net.actions == [DOWN]
        down = s.invoke_action(net.location, DOWN, {})
        assert down is not None and down.attributes["occi.network.state"] == "inactive"
        # Down on a network that is down: nothing to do, 200 (issue 12), nothing changes.
        before = s.get_entity(net.location)
        s.invoke_action(net.location, DOWN, {})
        after = s.get_entity(net.location)
        assert (after.version, after.attributes) == (before.version, before.attributes)
        s.invoke_action(net.location, UP, {})
        before = s.get_entity(net.location)
        s.invoke_action(net.location, UP, {})
        assert s.get_entity(net.location).version == before.version
        up = s.invoke_action(net.location, UP, {})
    assert up is not None and up.attributes["occi.network.state"] == "active"


def test_the_cidr_is_normalised_and_a_bad_gateway_refused(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        net = new_entity(s, network("192.168.0.1/24"))
        assert net.attributes["occi.network.address"] == "192.168.0.0/24"
        assert net.attributes["occi.network.allocation"] == "dynamic"
        with pytest.raises(BadRequest, match=r"occi.network.gateway"):
            new_entity(s, network("10.0.0.0/24", occi__network__gateway="10.0.1.1"))
        with pytest.raises(BadRequest, match=r"occi.network.address"):
            new_entity(s, network("not-a-cidr"))


def test_readdressing_a_network_with_interfaces_is_a_conflict(backend: LocalBackend) -> None:
    readdress = EntityChanges(set_attributes={"occi.network.address": "10.5.0.0/24"})
    with backend.open(A) as s:
        vm, net = new_entity(s, compute()), new_entity(s, network("10.0.0.0/24"))
        nic = new_entity(s, interface(vm.location, net.location))
        with pytest.raises(Conflict, match="detach"):
            s.update_entity(net.location, readdress)
        s.delete_entity(nic.location)
        moved = s.update_entity(net.location, readdress)
    assert moved.attributes["occi.network.address"] == "10.5.0.0/24"
    assert moved.attributes["occi.network.gateway"] == "10.5.0.1"  # followed the range


def test_a_network_without_a_range_gets_a_private_one_and_interfaces_addresses_in_it(
    backend: LocalBackend,
) -> None:
    with backend.open(A) as s:
        vm = new_entity(s, compute())
        net = new_entity(s, network(occi__network__label="www"))
        nic = new_entity(s, interface(vm.location, net.location))
    assert infra.IPNETWORK in net.mixins
    cidr = ipaddress.ip_network(net.attributes["occi.network.address"])
    assert cidr.subnet_of(ipaddress.ip_network("10.0.0.0/8")) and cidr.prefixlen == 24
    assert net.attributes["occi.network.gateway"] == str(cidr.network_address + 1)
    assert infra.IPNETWORKINTERFACE in nic.mixins
    assert ipaddress.ip_address(nic.attributes["occi.networkinterface.address"]) in cidr


def test_provider_networks_cannot_be_readdressed_or_taken_down(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        with pytest.raises(Forbidden):
            s.invoke_action("/network/public", DOWN, {})
        with pytest.raises(Forbidden):
            s.update_entity(
                "/network/public",
                EntityChanges(set_attributes={"occi.network.address": "10.0.0.0/8"}),
            )
        titled = s.update_entity(
            "/network/public", EntityChanges(set_attributes={"occi.core.title": "outside"})
        )
    assert titled.attributes["occi.core.title"] == "outside"


def test_concurrent_requests_never_get_the_same_address(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        net = new_entity(s, network("10.20.0.0/24"))
        vms = [new_entity(s, compute()).location for _ in range(8)]
    given: list[str] = []
    errors: list[BaseException] = []

    def attach(vm: str) -> None:
        try:
            with backend.open(A) as s:
                nic = new_entity(s, interface(vm, net.location))
            given.append(nic.attributes["occi.networkinterface.address"])
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=attach, args=(vm,)) for vm in vms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(given) == 8 and len(set(given)) == 8
