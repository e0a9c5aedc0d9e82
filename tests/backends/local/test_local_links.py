import ipaddress
import re
from collections.abc import Callable

import pytest

from occi_server.backends.base import EntityDraft, EntityQuery
from occi_server.backends.local import LocalBackend
from occi_server.categories import infrastructure as infra
from occi_server.errors import BadRequest, Conflict, Forbidden, NotFound

from .conftest import (
    A,
    as_link,
    as_resource,
    compute,
    inline,
    interface,
    link,
    network,
    new_entity,
    plain_link,
    storage,
    storagelink,
)

ADDRESS = "occi.networkinterface.address"


def test_a_storagelink_attaches_a_volume_and_shows_on_the_compute(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm, volume = new_entity(s, compute()), new_entity(s, storage())
        attached = new_entity(s, storagelink(vm.location, volume.location))
    assert attached.attributes["occi.storagelink.state"] == "active"
    assert attached.location.startswith("/storage/link/")
    with backend.open(A) as s:
        links = as_resource(s.get_entity(vm.location)).links
        got = s.get_entity(attached.location)
    assert [(ln.location, ln.target, ln.target_kind) for ln in links] == [
        (attached.location, volume.location, infra.STORAGE)
    ]
    assert (as_link(got).source, as_link(got).source_kind) == (vm.location, infra.COMPUTE)


def test_a_storagelink_without_device_gets_the_next_free_one(backend: LocalBackend) -> None:
    # GFD.224: the device id is "as defined by the OCCI service provider"; pOCCI sends none.
    with backend.open(A) as s:
        vm = new_entity(s, compute())
        first, second = new_entity(s, storage()), new_entity(s, storage())
        new_entity(s, link(infra.STORAGELINK_KIND, vm.location, first.location))
        new_entity(s, storagelink(vm.location, second.location, "/dev/vdd"))
        third = new_entity(s, storage())
        chosen = new_entity(s, link(infra.STORAGELINK_KIND, vm.location, third.location))
    assert chosen.attributes["occi.storagelink.deviceid"] == "/dev/vdc"
    with backend.open(A) as s:
        devices = [
            ln.attributes["occi.storagelink.deviceid"]
            for ln in as_resource(s.get_entity(vm.location)).links
        ]
    assert sorted(devices) == ["/dev/vdb", "/dev/vdc", "/dev/vdd"]


def test_a_volume_can_be_attached_only_once(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        one, two = new_entity(s, compute()), new_entity(s, compute())
        volume = new_entity(s, storage())
        new_entity(s, storagelink(one.location, volume.location))
        with pytest.raises(Conflict, match="already attached"):
            new_entity(s, storagelink(two.location, volume.location, "/dev/vdd"))


@pytest.mark.parametrize(
    ("make", "attribute"),
    [
        (lambda vm, vol: storagelink("/compute/missing", vol), "occi.core.source"),
        (lambda vm, vol: storagelink(vm, "/storage/missing"), "occi.core.target"),
        (lambda vm, vol: storagelink(vol, vm), "occi.core.source"),
        (lambda vm, vol: storagelink(vm, vm), "occi.core.target"),
        (lambda vm, vol: interface(vm, vol), "occi.core.target"),
        (lambda vm, vol: interface(vm, "http://elsewhere.example/net/1"), "occi.core.target"),
        (lambda vm, vol: plain_link("http://elsewhere.example/x", vol), "occi.core.source"),
    ],
)
def test_links_need_existing_ends_of_the_right_kind(
    backend: LocalBackend, make: Callable[[str, str], EntityDraft], attribute: str
) -> None:
    with backend.open(A) as s:
        vm, volume = new_entity(s, compute()), new_entity(s, storage())
        with pytest.raises(BadRequest, match=attribute):
            new_entity(s, make(vm.location, volume.location))


def test_a_generic_link_may_point_outside_the_service(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm = new_entity(s, compute())
        external = new_entity(s, plain_link(vm.location, "https://other.example/r/1"))
        local = new_entity(s, plain_link(vm.location, "http://127.0.0.1:8787" + vm.location))
    assert as_link(external).target == "https://other.example/r/1"
    assert as_link(local).target == vm.location


def test_interfaces_get_names_and_unique_locally_administered_macs(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm, net = new_entity(s, compute()), new_entity(s, network())
        first = new_entity(s, interface(vm.location, net.location))
        second = new_entity(s, interface(vm.location, net.location))
    names = [
        first.attributes["occi.networkinterface.interface"],
        second.attributes["occi.networkinterface.interface"],
    ]
    macs = [
        first.attributes["occi.networkinterface.mac"],
        second.attributes["occi.networkinterface.mac"],
    ]
    assert names == ["eth0", "eth1"]
    assert macs[0] != macs[1]
    for mac in macs:
        assert re.fullmatch(r"([0-9a-f]{2}:){5}[0-9a-f]{2}", mac)
        assert int(mac[:2], 16) & 0b10 and not int(mac[:2], 16) & 0b01  # local, unicast


def test_an_ip_network_hands_out_distinct_addresses_until_exhausted(
    backend: LocalBackend,
) -> None:
    with backend.open(A) as s:
        vm, net = new_entity(s, compute()), new_entity(s, network("10.0.0.0/29"))
    assert net.attributes["occi.network.gateway"] == "10.0.0.1"
    given = []
    for _ in range(5):  # 6 hosts, one of them the gateway
        with backend.open(A) as s:
            nic = new_entity(s, interface(vm.location, net.location))
        assert infra.IPNETWORKINTERFACE in nic.mixins
        assert nic.attributes["occi.networkinterface.gateway"] == "10.0.0.1"
        given.append(nic.attributes[ADDRESS])
    assert len(set(given)) == 5 and "10.0.0.1" not in given
    assert all(ipaddress.ip_address(a) in ipaddress.ip_network("10.0.0.0/29") for a in given)
    with backend.open(A) as s, pytest.raises(Conflict, match="no free address"):
        new_entity(s, interface(vm.location, net.location))


def test_deleting_an_interface_returns_its_address(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm, net = new_entity(s, compute()), new_entity(s, network("10.0.0.0/30"))
        nic = new_entity(s, interface(vm.location, net.location))
        with pytest.raises(Conflict):
            new_entity(s, interface(vm.location, net.location))
    with backend.open(A) as s:
        s.delete_entity(nic.location)
        again = new_entity(s, interface(vm.location, net.location))
    assert again.attributes[ADDRESS] == nic.attributes[ADDRESS]


def test_a_requested_address_must_be_inside_and_free(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm, net = new_entity(s, compute()), new_entity(s, network("192.168.5.0/24"))
        fixed = new_entity(s, interface(vm.location, net.location, **{ADDRESS: "192.168.5.77"}))
        assert fixed.attributes[ADDRESS] == "192.168.5.77"
        assert fixed.attributes["occi.networkinterface.allocation"] == "static"
        with pytest.raises(Conflict, match=r"192.168.5.77"):
            new_entity(s, interface(vm.location, net.location, **{ADDRESS: "192.168.5.77"}))
        with pytest.raises(Conflict, match=r"192.168.5.1"):
            new_entity(s, interface(vm.location, net.location, **{ADDRESS: "192.168.5.1"}))
        with pytest.raises(BadRequest, match=ADDRESS):
            new_entity(s, interface(vm.location, net.location, **{ADDRESS: "10.1.1.1"}))


def test_deleting_a_resource_takes_links_from_and_to_it(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm, volume = new_entity(s, compute()), new_entity(s, storage())
        net = new_entity(s, network("10.9.0.0/24"))
        attached = new_entity(s, storagelink(vm.location, volume.location))
        nic = new_entity(s, interface(vm.location, net.location))
    with backend.open(A) as s:
        s.delete_entity(volume.location)
        assert as_resource(s.get_entity(vm.location)).links[0].location == nic.location
        with pytest.raises(NotFound):
            s.get_entity(attached.location)
        s.delete_entity(vm.location)
        with pytest.raises(NotFound):
            s.get_entity(nic.location)
        other = new_entity(s, compute())
        reused = new_entity(s, interface(other.location, net.location))
    assert reused.attributes[ADDRESS] == nic.attributes[ADDRESS]  # the address came back


def test_deleting_a_network_deletes_its_interfaces(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        vm, net = new_entity(s, compute()), new_entity(s, network("10.9.0.0/24"))
        new_entity(s, interface(vm.location, net.location))
        s.delete_entity(net.location)
        assert as_resource(s.get_entity(vm.location)).links == []


def test_inline_links_are_created_with_the_resource(backend: LocalBackend) -> None:
    with backend.open(A) as s:
        net = new_entity(s, network("10.7.0.0/24"))
        volume = new_entity(s, storage())
        vm = new_entity(
            s,
            compute(
                links=[
                    inline(infra.NETWORKINTERFACE_KIND, net.location),
                    inline(
                        infra.STORAGELINK_KIND,
                        volume.location,
                        **{"occi.storagelink.deviceid": "/dev/vdb"},
                    ),
                ]
            ),
        )
    links = as_resource(vm).links
    assert [ln.kind for ln in links] == [infra.NETWORKINTERFACE, infra.STORAGELINK]
    assert all(ln.source == vm.location for ln in links)
    assert links[0].attributes[ADDRESS] == "10.7.0.2"


def test_a_failed_inline_link_leaves_no_resource_behind(backend: LocalBackend) -> None:
    with pytest.raises(BadRequest), backend.open(A) as s:
        new_entity(s, compute(links=[inline(infra.STORAGELINK_KIND, "/storage/missing")]))
    with backend.open(A) as s:
        assert s.list_locations(_compute_query()) == []


def test_every_project_sees_the_public_network_and_cannot_delete_it(
    backend: LocalBackend,
) -> None:
    with backend.open(A) as s:
        public = s.get_entity("/network/public")
        assert public.attributes["occi.network.address"] == "172.24.4.0/24"
        vm = new_entity(s, compute())
        nic = new_entity(s, interface(vm.location, public.location))
        assert nic.attributes[ADDRESS] == "172.24.4.2"
        with pytest.raises(Forbidden):
            s.delete_entity(public.location)


def _compute_query() -> EntityQuery:
    return EntityQuery(kinds=(infra.COMPUTE,))
