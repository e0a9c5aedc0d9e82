"""Cinder volumes as storage; Nova volume attachments as storagelinks; networks and ports."""

from __future__ import annotations

import contextlib
import ipaddress
import random
import time
from typing import Any

from occi_server.backends.base import EntityChanges, EntityDraft, LinkDraft
from occi_server.backends.openstack import views
from occi_server.backends.openstack.scope import Scope
from occi_server.errors import BadRequest, Conflict, NotFound
from occi_server.model import Link, Resource

GONE = ("deleting", "deleted")  # Cinder statuses of volumes that no longer exist for OCCI


def tail(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


# -- volumes ---------------------------------------------------------------------------------
def list_volumes(scope: Scope, offset: int = 0, limit: int | None = None) -> list[Resource]:
    """The project's volumes (all pages, or only as far as the OCCI page needs)."""
    return [views.volume_entity(v, _attachments(v)) for v in volume_records(scope, offset, limit)]


def volume_records(scope: Scope, offset: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
    """Cinder's volumes that exist for OCCI, from `offset`, at most `limit`."""
    wanted = None if limit is None else offset + limit
    found: list[dict[str, Any]] = []
    for page in scope.api.pages("volumev3", "/volumes/detail", "volumes", limit=wanted):
        found += [v for v in page if v["status"] not in GONE]
        if wanted is not None and len(found) >= wanted:
            break
    return found[offset:wanted]


def get_volume(scope: Scope, volume_id: str) -> Resource:
    volume = scope.api.get("volumev3", f"/volumes/{volume_id}")["volume"]
    if volume["status"] in GONE:
        raise NotFound(f"/storage/{volume_id}: no such entity")
    return views.volume_entity(volume, _attachments(volume))


def links_in(volume: dict[str, Any]) -> list[Link]:
    """The attachments Cinder lists on a volume (attached ones)."""
    return _attachments(volume)


def _attachments(volume: dict[str, Any]) -> list[Link]:
    return [
        views.storage_link(str(a["server_id"]), volume["id"], a.get("device"))
        for a in volume.get("attachments") or []
    ]


def create_volume(scope: Scope, draft: EntityDraft) -> str:
    size = float(draft.attributes.get("occi.storage.size") or 1)
    body = {
        "volume": {
            "size": _whole_gib(size),
            "name": draft.attributes.get("occi.core.title") or None,
        }
    }
    return str(scope.api.post("volumev3", "/volumes", body)["volume"]["id"])


def delete_volume(scope: Scope, volume_id: str) -> None:
    # A second DELETE while Cinder still deletes would be Cinder's 400: for OCCI it is gone.
    get_volume(scope, volume_id)
    scope.api.delete("volumev3", f"/volumes/{volume_id}")


def update_volume(scope: Scope, volume_id: str, changes: EntityChanges) -> None:
    """The title is the volume's name; a larger size extends it (Cinder cannot shrink)."""
    api, values = scope.api, changes.set_attributes
    if "occi.core.title" in values or "occi.core.title" in changes.remove_attributes:
        name = str(values.get("occi.core.title") or "")
        api.put("volumev3", f"/volumes/{volume_id}", {"volume": {"name": name}})
    if values.get("occi.storage.size") is not None:
        wanted = _whole_gib(float(values["occi.storage.size"]))
        current = api.get("volumev3", f"/volumes/{volume_id}")["volume"]
        if wanted < int(current["size"]):
            raise Conflict(
                f"occi.storage.size: Cinder cannot shrink a volume below {current['size']}"
            )
        if wanted > int(current["size"]):
            body = {"os-extend": {"new_size": wanted}}
            api.post("volumev3", f"/volumes/{volume_id}/action", body)


def _whole_gib(size: float) -> int:
    """Cinder allocates whole GiB: the smallest that holds the size asked for."""
    return max(1, int(-(-size // 1)))


# -- attachments -------------------------------------------------------------------------------
def get_attachment(scope: Scope, link_id: str) -> Link:
    server_id, _, volume_id = link_id.partition("_")
    found = attachment(scope, server_id, volume_id) if volume_id else None
    if found is None:
        raise NotFound(f"/storage/link/{link_id}: no such storage link")
    return found


def attachment(scope: Scope, server_id: str, volume_id: str) -> Link | None:
    """A storagelink from its two ends, concurrently: Nova's attachment (it exists from the
    moment Nova accepts the attach until the detach is done) and Cinder's volume (its state)."""
    api = scope.api
    try:
        held, volume = api.together(
            lambda: api.get("compute", f"/servers/{server_id}/os-volume_attachments/{volume_id}"),
            lambda: api.get("volumev3", f"/volumes/{volume_id}")["volume"],
        )
    except NotFound:
        return None
    found = held["volumeAttachment"]
    return stated_link(server_id, volume, found.get("device"))


def stated_link(server_id: str, volume: dict[str, Any], device: str | None) -> Link:
    """An attachment Nova holds, in the state its volume shows in Cinder. Nova reserves the
    volume in Cinder before it answers an attach, and lets go of its own record last when it
    detaches: a volume Nova still holds that Cinder shows available is on its way out."""
    attached = any(a.get("server_id") == server_id for a in volume.get("attachments") or [])
    status = str(volume.get("status", ""))
    leaving = status == "detaching" or (status == "available" and not attached)
    phase = "detaching" if leaving else "attached" if attached else "attaching"
    return phased_link(server_id, volume["id"], device, phase)


def phased_link(server_id: str, volume_id: str, device: str | None, phase: str) -> Link:
    """Active once Cinder has the volume attached; else inactive, "attaching" (reserved,
    attaching) or "detaching" (until Nova has let go, then the link is gone)."""
    link = views.storage_link(server_id, volume_id, device)
    if phase != "attached":
        link.attributes["occi.storagelink.state"] = "inactive"
        message = "detaching" if phase == "detaching" else "attaching"
        link.attributes["occi.storagelink.state.message"] = message
    return link


def attachment_phases(scope: Scope) -> dict[tuple[str, str], str]:
    """Cinder's attachment records of the project, (server, volume) -> status: as many as
    volumes are attached, however many volumes the project holds. (Filtering them, or volumes
    by status, needs the site's resource_filters.json, which not every cloud has.)"""
    found = scope.api.every("volumev3", "/attachments", "attachments")
    return {(str(a.get("instance")), str(a.get("volume_id"))): str(a.get("status")) for a in found}


def restate(links: list[Link], volumes: dict[str, dict[str, Any]]) -> list[Link]:
    """Nova's attachments with the device and state of the volumes Cinder listed (by id)."""
    result = []
    for link in links:
        server_id, volume_id = tail(link.source), tail(link.target)
        volume = volumes.get(volume_id)
        if volume is None:
            continue  # the volume is gone (or being deleted)
        device = next(
            (
                a.get("device")
                for a in volume.get("attachments") or []
                if a.get("server_id") == server_id
            ),
            link.attributes.get("occi.storagelink.deviceid"),
        )
        result.append(stated_link(server_id, volume, device))
    return result


def attach_volume(scope: Scope, source: str, link: LinkDraft, attributes: dict[str, Any]) -> Link:
    """Answered when Nova accepts; Cinder shows the attachment a moment later."""
    server_id, volume_id = tail(source), tail(link.target)
    body: dict[str, Any] = {"volumeId": volume_id}
    device = attributes.get("occi.storagelink.deviceid")
    if device:
        body["device"] = str(device)
    found = scope.api.post(
        "compute", f"/servers/{server_id}/os-volume_attachments", {"volumeAttachment": body}
    )["volumeAttachment"]
    link_made = views.storage_link(server_id, volume_id, found.get("device"))
    link_made.attributes["occi.storagelink.state"] = "inactive"
    link_made.attributes["occi.storagelink.state.message"] = "attaching"
    return link_made


def detach_volume(scope: Scope, link_id: str) -> None:
    server_id, _, volume_id = link_id.partition("_")
    link = get_attachment(scope, link_id)
    if link.attributes.get("occi.storagelink.state.message") == "detaching":
        raise Conflict(f"/storage/link/{link_id}: already being detached")
    scope.api.delete("compute", f"/servers/{server_id}/os-volume_attachments/{volume_id}")


# -- networks ----------------------------------------------------------------------------------
def list_networks(scope: Scope, network_id: str | None = None) -> list[Resource]:
    api = scope.api
    if network_id is None:
        networks, subnets = api.together(
            lambda: api.every("network", "/v2.0/networks", "networks"),
            lambda: api.every("network", "/v2.0/subnets", "subnets"),
        )
    else:
        networks, subnets = api.together(
            lambda: [api.get("network", f"/v2.0/networks/{network_id}")["network"]],
            lambda: api.every("network", "/v2.0/subnets", "subnets", network_id=network_id),
        )
    first: dict[str, dict[str, Any]] = {}
    for subnet in subnets:
        first.setdefault(subnet["network_id"], subnet)
    return [views.network_entity(n, first.get(n["id"])) for n in networks]


def create_network(scope: Scope, draft: EntityDraft) -> str:
    api, attrs = scope.api, draft.attributes
    name = str(attrs.get("occi.network.label") or attrs.get("occi.core.title") or "occi")
    network = api.post("network", "/v2.0/networks", {"network": {"name": name}})["network"]
    cidr = str(attrs.get("occi.network.address") or "") or _free_cidr(scope)
    try:
        ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        api.delete("network", f"/v2.0/networks/{network['id']}")
        raise BadRequest(f"occi.network.address: {cidr} is not a CIDR") from None
    subnet: dict[str, Any] = {
        "network_id": network["id"],
        "cidr": cidr,
        "ip_version": 4,
        "name": f"{name}-subnet",
    }
    if attrs.get("occi.network.gateway"):
        subnet["gateway_ip"] = str(attrs["occi.network.gateway"])
    try:
        api.post("network", "/v2.0/subnets", {"subnet": subnet})
    except Exception:
        api.delete("network", f"/v2.0/networks/{network['id']}")
        raise
    return str(network["id"])


def update_network(scope: Scope, network_id: str, changes: EntityChanges) -> None:
    """The label (or else the title) is the network's name; the gateway is its subnet's."""
    api, values = scope.api, changes.set_attributes
    name = values.get("occi.network.label") or values.get("occi.core.title")
    if name is not None:
        api.put("network", f"/v2.0/networks/{network_id}", {"network": {"name": str(name)}})
    subnets = None
    for key in ("occi.network.address", "occi.network.gateway"):
        if values.get(key) is None:
            continue
        if subnets is None:
            subnets = api.every("network", "/v2.0/subnets", "subnets", network_id=network_id)
        _update_subnet(scope, subnets, key, str(values[key]))


def _update_subnet(scope: Scope, subnets: list[dict[str, Any]], key: str, value: str) -> None:
    if not subnets:
        raise Conflict("the network has no subnet: create a new network with an address")
    subnet = subnets[0]
    if key == "occi.network.address":
        if ipaddress.ip_network(value, strict=False) != ipaddress.ip_network(subnet["cidr"]):
            raise Conflict("occi.network.address: Neutron cannot change a subnet's CIDR")
        return
    if value != subnet.get("gateway_ip"):
        body = {"subnet": {"gateway_ip": value}}
        scope.api.put("network", f"/v2.0/subnets/{subnet['id']}", body)


def _free_cidr(scope: Scope) -> str:
    used = {s["cidr"] for s in scope.api.every("network", "/v2.0/subnets", "subnets")}
    for _ in range(64):
        candidate = f"10.{random.randint(64, 250)}.{random.randint(0, 255)}.0/24"
        if candidate not in used:
            return candidate
    raise BadRequest("no free address range; give occi.network.address")


def delete_network(scope: Scope, network_id: str) -> None:
    """Cascade: the compute interfaces on the network are detached first, then it goes."""
    api = scope.api
    ports = api.every("network", "/v2.0/ports", "ports", network_id=network_id)
    attached = [p for p in ports if str(p.get("device_owner", "")).startswith("compute:")]
    for port in attached:
        # A server gone or being deleted refuses the detach; its port goes with it (below).
        with contextlib.suppress(NotFound, Conflict):
            api.delete("compute", f"/servers/{port['device_id']}/os-interface/{port['id']}")
    for _ in range(60 if attached else 0):  # Nova detaches asynchronously
        left = api.every("network", "/v2.0/ports", "ports", network_id=network_id)
        if not any(str(p.get("device_owner", "")).startswith("compute:") for p in left):
            break
        time.sleep(0.25)
    api.delete("network", f"/v2.0/networks/{network_id}")


# -- network interfaces --------------------------------------------------------------------
def get_interface(scope: Scope, link_id: str) -> Link:
    api = scope.api
    if link_id.startswith("fip-"):
        fip = api.get("network", f"/v2.0/floatingips/{link_id[4:]}")["floatingip"]
        port = (
            api.get("network", f"/v2.0/ports/{fip['port_id']}")["port"]
            if fip.get("port_id")
            else None
        )
        if port is None:
            raise NotFound(f"/networklink/{link_id}: no such network interface")
        return views.floating_link(str(port["device_id"]), fip)
    port = api.get("network", f"/v2.0/ports/{link_id}")["port"]
    if not str(port.get("device_owner", "")).startswith("compute:"):
        raise NotFound(f"/networklink/{link_id}: no such network interface")
    subnets = {
        s["id"]: s
        for s in api.every("network", "/v2.0/subnets", "subnets", network_id=port["network_id"])
    }
    return views.port_link(port, subnets)


def attach_interface(scope: Scope, source: str, link: LinkDraft) -> str:
    body = {"interfaceAttachment": {"net_id": tail(link.target)}}
    found = scope.api.post("compute", f"/servers/{tail(source)}/os-interface", body)
    return str(found["interfaceAttachment"]["port_id"])


def detach_interface(scope: Scope, link_id: str) -> None:
    if link_id.startswith("fip-"):
        scope.api.delete("network", f"/v2.0/floatingips/{link_id[4:]}")
        return
    link = get_interface(scope, link_id)
    scope.api.delete("compute", f"/servers/{tail(link.source)}/os-interface/{link_id}")
