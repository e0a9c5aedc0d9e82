"""OpenStack objects to OCCI entities: servers, volumes, attachments, networks, ports, rules.

Pure functions of the JSON OpenStack returned; the bulk fetching lives in the kind modules.
"""

from __future__ import annotations

from typing import Any

from occi_server.categories import infrastructure as infra
from occi_server.categories import lifecycles
from occi_server.categories import openstack as ext
from occi_server.model import Link, Resource

LIFECYCLE = lifecycles.COMPUTE
INACTIVE = "inactive"  # what a status the table does not draw (BUILD, VERIFY_RESIZE...) shows
_VOLUME_STATES = {"available": "online", "in-use": "online", "error": "error"}
START, STOP, RESTART, SUSPEND, SAVE = (a.type_id for a in infra.COMPUTE_ACTIONS)
CONFIRM, REVERT = ext.CONFIRM_RESIZE.type_id, ext.REVERT_RESIZE.type_id
ALLOC, DEALLOC = ext.ALLOC_FLOAT_IP.type_id, ext.DEALLOC_FLOAT_IP.type_id
CHG_PWD, CREATE_IMAGE, REBOOT = ext.CHG_PWD.type_id, ext.CREATE_IMAGE.type_id, ext.REBOOT.type_id
# Every compute action of the table but OCCI's save (Nova has no such operation; its
# createImage is create_image). The OVF export is a job of service/appliances.py.
ACTIONS = frozenset(LIFECYCLE.actions) - {SAVE}


def occi_state(status: str) -> str:
    return LIFECYCLE.occi_state(status.upper(), INACTIVE)


def server_actions(status: str, task_state: str | None) -> list[str]:
    """What can be done now, as Nova would allow it (the lifecycle table's sources)."""
    if task_state:
        return []
    return [a for a in LIFECYCLE.allowed(status.upper()) if a in ACTIONS]


def task_message(task: str) -> str:
    """A Nova task state as the lifecycle table's transitional message ("starting")."""
    step = LIFECYCLE.step_of_task(task)
    return step.busy if step is not None else task


def compute_entity(
    server: dict[str, Any], mixins: list[str], links: list[Link], floating: list[str]
) -> Resource:
    flavor = server.get("flavor") or {}
    status = str(server.get("status", ""))
    task = server.get("OS-EXT-STS:task_state")
    attributes: dict[str, Any] = {
        "occi.core.title": server.get("name", ""),
        "occi.compute.hostname": server.get("name", ""),
        "occi.compute.cores": int(flavor.get("vcpus", 0) or 0),
        "occi.compute.memory": round(int(flavor.get("ram", 0) or 0) / 1024, 3),
        "occi.compute.state": occi_state(status),
        ext.NOVA_STATE: status,
    }
    if task:
        attributes[ext.NOVA_TASK] = str(task)
    message = task_message(str(task)) if task else (server.get("fault") or {}).get("message")
    if message:
        attributes["occi.compute.state.message"] = str(message)
    if floating:
        attributes[ext.FLOATING_IP] = floating[0]
    return Resource(
        id=server["id"],
        kind=infra.COMPUTE,
        location=f"/compute/{server['id']}",
        mixins=mixins,
        attributes=attributes,
        actions=server_actions(status, task),
        version=str(server.get("updated", "")),
        links=links,
    )


def volume_entity(volume: dict[str, Any], links: list[Link]) -> Resource:
    status = str(volume.get("status", ""))
    attributes: dict[str, Any] = {
        "occi.core.title": volume.get("name") or "",
        "occi.storage.size": float(volume.get("size", 0)),
        "occi.storage.state": _VOLUME_STATES.get(status, "offline"),
        "org.openstack.storage.state": status,
    }
    return Resource(
        id=volume["id"],
        kind=infra.STORAGE,
        location=f"/storage/{volume['id']}",
        attributes=attributes,
        version=str(volume.get("updated_at") or ""),
        links=links,
    )


def storage_link(server_id: str, volume_id: str, device: str | None) -> Link:
    link_id = f"{server_id}_{volume_id}"
    attributes: dict[str, Any] = {"occi.storagelink.state": "active"}
    if device:
        attributes["occi.storagelink.deviceid"] = device
    return Link(
        id=link_id,
        kind=infra.STORAGELINK,
        location=f"/storage/link/{link_id}",
        attributes=attributes,
        source=f"/compute/{server_id}",
        target=f"/storage/{volume_id}",
        source_kind=infra.COMPUTE,
        target_kind=infra.STORAGE,
    )


def port_link(port: dict[str, Any], subnets: dict[str, dict[str, Any]]) -> Link:
    fixed = (port.get("fixed_ips") or [{}])[0]
    subnet = subnets.get(str(fixed.get("subnet_id")), {})
    attributes: dict[str, Any] = {
        "occi.networkinterface.interface": f"tap{port['id'][:11]}",
        "occi.networkinterface.mac": port.get("mac_address", ""),
        "occi.networkinterface.state": "active" if port.get("status") == "ACTIVE" else "inactive",
    }
    mixins = []
    if fixed.get("ip_address"):
        mixins.append(infra.IPNETWORKINTERFACE)
        attributes["occi.networkinterface.address"] = fixed["ip_address"]
        attributes["occi.networkinterface.allocation"] = "dynamic"
        if subnet.get("gateway_ip"):
            attributes["occi.networkinterface.gateway"] = subnet["gateway_ip"]
    return Link(
        id=port["id"],
        kind=infra.NETWORKINTERFACE,
        location=f"/networklink/{port['id']}",
        mixins=mixins,
        attributes=attributes,
        source=f"/compute/{port.get('device_id')}",
        target=f"/network/{port['network_id']}",
        source_kind=infra.COMPUTE,
        target_kind=infra.NETWORK,
    )


def floating_link(server_id: str, fip: dict[str, Any]) -> Link:
    link_id = f"fip-{fip['id']}"
    return Link(
        id=link_id,
        kind=infra.NETWORKINTERFACE,
        location=f"/networklink/{link_id}",
        mixins=[infra.IPNETWORKINTERFACE],
        attributes={
            "occi.networkinterface.interface": "floating",
            "occi.networkinterface.mac": "",
            "occi.networkinterface.state": "active",
            "occi.networkinterface.address": fip.get("floating_ip_address", ""),
            "occi.networkinterface.allocation": "static",
        },
        source=f"/compute/{server_id}",
        target=f"/network/{fip['floating_network_id']}",
        source_kind=infra.COMPUTE,
        target_kind=infra.NETWORK,
    )


def network_entity(network: dict[str, Any], subnet: dict[str, Any] | None) -> Resource:
    attributes: dict[str, Any] = {
        "occi.core.title": network.get("name") or "",
        "occi.network.label": network.get("name") or "",
        "occi.network.state": "active" if network.get("status") == "ACTIVE" else "inactive",
        "org.openstack.network.external": bool(network.get("router:external")),
    }
    mixins = []
    if subnet is not None:
        mixins.append(infra.IPNETWORK)
        attributes["occi.network.address"] = subnet.get("cidr", "")
        attributes["occi.network.allocation"] = "dynamic" if subnet.get("enable_dhcp") else "static"
        if subnet.get("gateway_ip"):
            attributes["occi.network.gateway"] = subnet["gateway_ip"]
    return Resource(
        id=network["id"],
        kind=infra.NETWORK,
        location=f"/network/{network['id']}",
        mixins=mixins,
        attributes=attributes,
        version=str(network.get("updated_at") or ""),
    )


def rule_entity(rule: dict[str, Any], group_mixin: str | None) -> Resource:
    low, high = rule.get("port_range_min"), rule.get("port_range_max")
    attributes: dict[str, Any] = {
        "occi.network.security.protocol": str(rule.get("protocol") or "any"),
        "occi.network.security.from": -1 if low is None else int(low),
        "occi.network.security.to": -1 if high is None else int(high),
        "occi.network.security.range": rule.get("remote_ip_prefix") or "0.0.0.0/0",
        "org.openstack.network.security.direction": rule.get("direction", "ingress"),
    }
    return Resource(
        id=rule["id"],
        kind=ext.SECURITY_RULE,
        location=f"/network/security/rule/{rule['id']}",
        mixins=[group_mixin] if group_mixin else [],
        attributes=attributes,
        version=str(rule.get("updated_at") or ""),
    )
