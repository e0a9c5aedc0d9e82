"""Listings from a fake cloud on the wire: one call per object type, states mapped, and
objects being deleted already gone."""

from __future__ import annotations

from collections import Counter
from typing import Any

from occi_server.backends.openstack import servers, storage
from occi_server.backends.openstack.scope import Scope, Settings
from occi_server.backends.openstack.templates import OfferCache
from tests.openstack.unit.fake_cloud import ENDPOINTS, PROJECT, FakeCloud, fake_api

NOVA, NEUTRON, CINDER = ENDPOINTS["compute"], ENDPOINTS["network"], ENDPOINTS["volumev3"]


def _server(ident: str, status: str, task: str | None = None) -> dict[str, Any]:
    return {
        "id": ident,
        "name": ident,
        "status": status,
        "OS-EXT-STS:task_state": task,
        "flavor": {"vcpus": 1, "ram": 128, "original_name": "itsy"},
        "image": {"id": "img"},
        "os-extended-volumes:volumes_attached": [{"id": "vol"}],
    }


def _cloud() -> FakeCloud:
    cloud = FakeCloud()
    servers = [
        _server("up", "ACTIVE"),
        _server("off", "SHUTOFF"),
        _server("paused", "PAUSED"),
        _server("going", "ACTIVE", "deleting"),
        _server("gone", "DELETED"),
    ]
    port = {
        "id": "p1",
        "device_id": "up",
        "device_owner": "compute:nova",
        "network_id": "n1",
        "mac_address": "fa:16:3e:00:00:01",
        "status": "ACTIVE",
        "fixed_ips": [{"subnet_id": "s1", "ip_address": "10.0.0.5"}],
    }
    volume = {
        "id": "vol",
        "size": 1,
        "status": "in-use",
        "attachments": [{"server_id": "up", "device": "/dev/vdb"}],
    }
    cloud.on("GET", f"{NOVA}/servers/detail", (200, {"servers": servers}))
    cloud.on("GET", f"{NEUTRON}/v2.0/ports", (200, {"ports": [port]}))
    cloud.on("GET", f"{NEUTRON}/v2.0/floatingips", (200, {"floatingips": []}))
    subnet = {"id": "s1", "network_id": "n1", "cidr": "10.0.0.0/24", "gateway_ip": "10.0.0.1"}
    cloud.on("GET", f"{NEUTRON}/v2.0/subnets", (200, {"subnets": [subnet]}))
    cloud.on("GET", f"{CINDER}/volumes/detail", (200, {"volumes": [volume]}))
    record = {"id": "a1", "instance": "up", "volume_id": "vol", "status": "attaching"}
    cloud.on("GET", f"{CINDER}/attachments", (200, {"attachments": [record]}))
    cloud.on("GET", f"{NOVA}/flavors/detail", (200, {"flavors": [{"id": "98", "name": "itsy"}]}))
    image = {"id": "img", "name": "cirros", "status": "active"}
    cloud.on("GET", f"{ENDPOINTS['image']}/v2/images", (200, {"images": [image]}))
    cloud.on("GET", f"{NEUTRON}/v2.0/networks", (200, {"networks": []}))
    cloud.on("GET", f"{NEUTRON}/v2.0/security-groups", (200, {"security_groups": []}))
    return cloud


def test_compute_listing_is_one_call_per_type_and_maps_states() -> None:
    cloud = _cloud()
    found = servers.list_computes(Scope(fake_api(cloud), OfferCache(), Settings()))
    states = {r.id: r.attributes["occi.compute.state"] for r in found}
    assert states == {"up": "active", "off": "inactive", "paused": "suspended"}
    up = next(r for r in found if r.id == "up")
    assert up.attributes["org.openstack.compute.state"] == "ACTIVE"
    assert {"itsy", "cirros"} <= {m.rsplit("#", 1)[1] for m in up.mixins}
    assert {link.kind.rsplit("#", 1)[1] for link in up.links} == {
        "networkinterface",
        "storagelink",
    }
    attaching = next(x for x in up.links if x.location == "/storage/link/up_vol")
    assert attaching.attributes["occi.storagelink.state.message"] == "attaching"
    calls = Counter(str(r.url).split("?", 1)[0] for r in cloud.sent)
    assert f"{CINDER}/volumes/detail" not in calls  # the states come from the attachments
    assert max(calls.values()) == 1, calls  # no call per server
    sent = [str(r.url) for r in cloud.sent]
    ports = next(url for url in sent if "/v2.0/ports" in url)
    assert f"project_id={PROJECT}" in ports
    assert "port_id=p1" in next(url for url in sent if "/v2.0/floatingips" in url)
    assert "id=s1" in next(url for url in sent if "/v2.0/subnets" in url)


def test_volumes_map_states_and_hide_deleting_ones() -> None:
    cloud = FakeCloud()
    volumes = [
        {"id": "a", "size": 2, "status": "available"},
        {"id": "b", "size": 1, "status": "creating", "name": "new"},
        {"id": "c", "size": 1, "status": "error"},
        {"id": "d", "size": 1, "status": "deleting"},
    ]
    cloud.on("GET", f"{CINDER}/volumes/detail", (200, {"volumes": volumes}))
    found = storage.list_volumes(Scope(fake_api(cloud), OfferCache(), Settings()))
    states = {r.id: r.attributes["occi.storage.state"] for r in found}
    assert states == {"a": "online", "b": "offline", "c": "error"}
    assert next(r for r in found if r.id == "b").attributes["occi.core.title"] == "new"


def test_an_attachment_nova_holds_after_cinder_let_go_is_detaching() -> None:
    """Nova removes its record last when it detaches: Cinder showing the volume available
    (one compute) or holding no attachment record (a listing) means detaching, not attaching."""
    freed = {"id": "vol", "status": "available", "attachments": []}
    link = storage.stated_link("up", freed, "/dev/vdb")
    assert link.attributes["occi.storagelink.state"] == "inactive"
    assert link.attributes["occi.storagelink.state.message"] == "detaching"
    reserved = {"id": "vol", "status": "reserved", "attachments": []}
    assert (
        storage.stated_link("up", reserved, None).attributes["occi.storagelink.state.message"]
        == "attaching"
    )

    cloud = _cloud()
    cloud.on("GET", f"{CINDER}/attachments", (200, {"attachments": []}))
    found = servers.list_computes(Scope(fake_api(cloud), OfferCache(), Settings()))
    up = next(r for r in found if r.id == "up")
    leaving = next(x for x in up.links if x.location == "/storage/link/up_vol")
    assert leaving.attributes["occi.storagelink.state.message"] == "detaching"


def test_a_network_whose_server_is_being_deleted_is_deleted_once_the_port_goes() -> None:
    """Nova refuses to detach from a server it is deleting (409); the port goes with the
    server, so the network's DELETE waits for it instead of failing."""
    cloud = FakeCloud()
    port = {"id": "p1", "device_id": "going", "device_owner": "compute:nova", "network_id": "n1"}
    cloud.on(
        "GET",
        f"{NEUTRON}/v2.0/ports",
        (200, {"ports": [port]}),
        (200, {"ports": [port]}),
        (200, {"ports": []}),
    )
    refusal = {"conflictingRequest": {"message": "Cannot 'detach_interface' while deleting"}}
    cloud.on("DELETE", f"{NOVA}/servers/going/os-interface/p1", (409, refusal))
    cloud.on("DELETE", f"{NEUTRON}/v2.0/networks/n1", (204, None))
    storage.delete_network(Scope(fake_api(cloud), OfferCache(), Settings()), "n1")
    sent = [(r.method, str(r.url).split("?", 1)[0]) for r in cloud.sent]
    assert sent[-1] == ("DELETE", f"{NEUTRON}/v2.0/networks/n1")
