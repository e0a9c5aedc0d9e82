"""Listings cross the services' pages, OCCI pages walk the markers no further than needed, and
one compute costs calls scoped to its server: a fake cloud on the wire under keystoneauth."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any
from urllib.parse import parse_qs, urlsplit

from occi_server.backends.openstack import servers
from occi_server.backends.openstack.client import IDS_PER_CALL
from occi_server.backends.openstack.project_cloud import OpenStackProjectCloud
from occi_server.backends.openstack.scope import Scope, Settings
from occi_server.backends.openstack.templates import OfferCache
from occi_server.model import Resource
from tests.openstack.unit.fake_cloud import ENDPOINTS, FakeCloud, fake_api, paged

NOVA, NEUTRON, CINDER = ENDPOINTS["compute"], ENDPOINTS["network"], ENDPOINTS["volumev3"]
GLANCE = ENDPOINTS["image"]
SERVER = "6b1f4f7e-3c1a-4e8b-9a52-2c7d9f1e0a11"


def _items(count: int, **extra: Any) -> list[dict[str, Any]]:
    return [{"id": f"i{n:03d}", "name": f"n{n}", **extra} for n in range(count)]


def _queries(cloud: FakeCloud, url: str) -> list[dict[str, list[str]]]:
    return [
        parse_qs(urlsplit(str(r.url)).query)
        for r in cloud.sent
        if str(r.url).split("?", 1)[0] == url
    ]


def test_every_follows_next_links_with_the_markers_only() -> None:
    cloud = FakeCloud()
    cloud.on("GET", f"{NOVA}/servers/detail", paged("servers", _items(12), 5))
    found = fake_api(cloud).every("compute", "/servers/detail", "servers", all_tenants=None)
    assert [s["id"] for s in found] == [f"i{n:03d}" for n in range(12)]
    queries = _queries(cloud, f"{NOVA}/servers/detail")
    assert [q.get("marker") for q in queries] == [None, ["i004"], ["i009"]]
    # the links name another host: the calls still go to the catalogue's endpoint
    assert all(str(r.url).startswith(NOVA) for r in cloud.sent)


def test_glance_next_and_neutron_links_are_followed() -> None:
    cloud = FakeCloud()
    cloud.on("GET", f"{GLANCE}/v2/images", paged("images", _items(7), 3, style="next"))
    cloud.on("GET", f"{NEUTRON}/v2.0/ports", paged("ports", _items(11), 5))
    api = fake_api(cloud)
    assert len(api.every("image", "/v2/images", "images", status="active")) == 7
    assert all(q["status"] == ["active"] for q in _queries(cloud, f"{GLANCE}/v2/images"))
    assert len(api.every("network", "/v2.0/ports", "ports")) == 11
    assert len(_queries(cloud, f"{NEUTRON}/v2.0/ports")) == 3


def test_a_repeated_marker_ends_the_listing() -> None:
    cloud = FakeCloud()
    loop = {"servers": [{"id": "a"}], "servers_links": [{"rel": "next", "href": "/x?marker=a"}]}
    cloud.on("GET", f"{NOVA}/servers/detail", (200, loop))
    assert len(fake_api(cloud).every("compute", "/servers/detail", "servers")) == 2


def test_list_by_splits_ids_into_concurrent_filtered_calls() -> None:
    cloud = FakeCloud()
    cloud.on("GET", f"{NEUTRON}/v2.0/floatingips", (200, {"floatingips": []}))
    ids = [f"port{n}" for n in range(2 * IDS_PER_CALL + 10)]
    fake_api(cloud).list_by("network", "/v2.0/floatingips", "floatingips", "port_id", ids)
    sizes = [len(q["port_id"]) for q in _queries(cloud, f"{NEUTRON}/v2.0/floatingips")]
    assert sorted(sizes) == [10, IDS_PER_CALL, IDS_PER_CALL]
    cloud.sent.clear()
    fake_api(cloud).list_by("network", "/v2.0/floatingips", "floatingips", "port_id", [])
    assert not cloud.sent  # nothing to ask for: no call


def test_a_filtered_call_of_uuids_keeps_its_query_within_a_kib() -> None:
    """uWSGI's 4 KiB request buffer holds the query twice beside the headers and the token."""
    cloud = FakeCloud()
    cloud.on("GET", f"{NEUTRON}/v2.0/floatingips", (200, {"floatingips": []}))
    ids = [str(uuid.uuid4()) for _ in range(100)]
    fake_api(cloud).list_by("network", "/v2.0/floatingips", "floatingips", "port_id", ids)
    queries = [str(r.url).split("?", 1)[1] for r in cloud.sent]
    assert len(queries) == -(-100 // IDS_PER_CALL)
    assert max(len(q) for q in queries) <= 1024


def _offer_routes(cloud: FakeCloud) -> None:
    cloud.on("GET", f"{NOVA}/flavors/detail", (200, {"flavors": [{"id": "98", "name": "itsy"}]}))
    cloud.on("GET", f"{GLANCE}/v2/images", (200, {"images": []}))
    cloud.on("GET", f"{NEUTRON}/v2.0/networks", (200, {"networks": []}))
    cloud.on("GET", f"{NEUTRON}/v2.0/security-groups", (200, {"security_groups": []}))


def test_an_occi_page_walks_the_markers_no_further_than_it_needs() -> None:
    cloud = FakeCloud()
    _offer_routes(cloud)
    items = _items(23, status="ACTIVE", flavor={"original_name": "itsy"})
    items[2]["OS-EXT-STS:task_state"] = "deleting"  # gone for OCCI: not counted in the page
    cloud.on("GET", f"{NOVA}/servers/detail", paged("servers", items, 5))
    scope = Scope(fake_api(cloud), OfferCache(), Settings())
    assert servers.locations(scope, offset=5, limit=5) == [
        f"/compute/i{n:03d}" for n in (6, 7, 8, 9, 10)
    ]
    queries = _queries(cloud, f"{NOVA}/servers/detail")
    assert len(queries) == 3  # 15 of 23 servers read, the rest never asked for
    assert queries[0]["limit"] == ["10"]


def test_one_compute_costs_calls_scoped_to_its_server() -> None:
    cloud, scope = _one_compute_cloud()
    found = servers.get_compute(scope, SERVER)
    _assert_one_compute_calls(cloud, found)


def test_a_read_started_early_sends_its_first_calls_at_once_and_none_twice() -> None:
    """The handler's start_reading: the server, its ports and the groups are asked for before
    the catalogue version waits for the groups, and the read then takes those answers."""
    cloud, scope = _one_compute_cloud()
    project_cloud = OpenStackProjectCloud(scope)
    project_cloud.start_reading(f"/compute/{SERVER}", {})
    early = dict(scope._early)  # what start_reading began, finished before anything else
    for future in early.values():
        future.result()
    assert {str(r.url).split("?", 1)[0] for r in cloud.sent} == {
        f"{NOVA}/servers/{SERVER}",
        f"{NEUTRON}/v2.0/ports",
        f"{NEUTRON}/v2.0/security-groups",
    }
    project_cloud.catalogue_version()
    found = servers.get_compute(scope, SERVER)
    _assert_one_compute_calls(cloud, found)
    assert scope._early == {}


def _one_compute_cloud() -> tuple[FakeCloud, Scope]:
    cloud = FakeCloud()
    _offer_routes(cloud)
    server = {
        "id": SERVER,
        "status": "ACTIVE",
        "flavor": {"original_name": "itsy"},
        "os-extended-volumes:volumes_attached": [{"id": "vol"}],
    }
    port = {
        "id": "p1",
        "device_id": SERVER,
        "device_owner": "compute:nova",
        "network_id": "n1",
        "fixed_ips": [{"subnet_id": "s1", "ip_address": "10.0.0.5"}],
    }
    fip = {"id": "f1", "port_id": "p1", "floating_ip_address": "172.24.4.9",
           "floating_network_id": "ext"}  # fmt: skip
    cloud.on("GET", f"{NOVA}/servers/{SERVER}", (200, {"server": server}))
    cloud.on("GET", f"{NEUTRON}/v2.0/ports", (200, {"ports": [port]}))
    cloud.on("GET", f"{NEUTRON}/v2.0/floatingips", (200, {"floatingips": [fip]}))
    cloud.on("GET", f"{NEUTRON}/v2.0/subnets", (200, {"subnets": [{"id": "s1"}]}))
    attachment = {"volumeAttachment": {"device": "/dev/vdb", "volumeId": "vol"}}
    cloud.on("GET", f"{NOVA}/servers/{SERVER}/os-volume_attachments/vol", (200, attachment))
    volume = {"id": "vol", "status": "attaching", "attachments": []}
    cloud.on("GET", f"{CINDER}/volumes/vol", (200, {"volume": volume}))
    scope = Scope(fake_api(cloud), OfferCache(), Settings())
    scope.offer()
    cloud.sent.clear()
    return cloud, scope


def _assert_one_compute_calls(cloud: FakeCloud, found: Resource) -> None:
    calls = Counter(str(r.url).split("?", 1)[0] for r in cloud.sent)
    assert calls == Counter(
        {
            f"{NOVA}/servers/{SERVER}": 1,
            f"{NEUTRON}/v2.0/ports": 1,
            f"{NEUTRON}/v2.0/security-groups": 1,
            f"{NEUTRON}/v2.0/floatingips": 1,
            f"{NEUTRON}/v2.0/subnets": 1,
            f"{NOVA}/servers/{SERVER}/os-volume_attachments/vol": 1,
            f"{CINDER}/volumes/vol": 1,
        }
    )
    sent = {str(r.url).split("?", 1)[0]: parse_qs(urlsplit(str(r.url)).query) for r in cloud.sent}
    assert sent[f"{NEUTRON}/v2.0/ports"] == {"device_id": [SERVER]}
    assert sent[f"{NEUTRON}/v2.0/floatingips"] == {"port_id": ["p1"]}
    assert found.attributes["org.openstack.network.floating.ip"] == "172.24.4.9"
    link = next(x for x in found.links if x.location.endswith("_vol"))
    assert link.attributes["occi.storagelink.state"] == "inactive"
    assert link.attributes["occi.storagelink.state.message"] == "attaching"
    assert link.attributes["occi.storagelink.deviceid"] == "/dev/vdb"
