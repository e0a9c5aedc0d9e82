"""User mixins kept in Neutron: security groups (rel security#group) and plain user mixins.

A user mixin is a Neutron security group of the project; its OCCI scheme and location live in
the group's description ("occi-mixin <scheme> <location> [plain]"). Groups made outside OCCI
appear under the scheme http://schemas.openstack.org/infrastructure/security/group# at
/security/group/<name>/. A *plain* mixin is an empty group that is never put on a port; its
members are servers carrying the Nova tag occi-mixin-<sha1(type id)[:20]>.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from occi_server.backends.openstack.client import OpenStackApi
from occi_server.categories import openstack as ext
from occi_server.errors import BadRequest, Conflict, NotFound
from occi_server.model import Mixin

MARK = "occi-mixin"
FOREIGN_SCHEME = "http://schemas.openstack.org/infrastructure/security/group#"
PROTOCOLS = ("tcp", "udp", "icmp")


@dataclass(slots=True)
class Groups:
    mixins: list[Mixin] = field(default_factory=list)  # security groups
    plain: list[Mixin] = field(default_factory=list)  # plain user mixins
    by_type: dict[str, dict[str, Any]] = field(default_factory=dict)

    def is_group(self, type_id: str) -> bool:
        return any(m.type_id == type_id for m in self.mixins)

    def is_plain(self, type_id: str) -> bool:
        return any(m.type_id == type_id for m in self.plain)

    def id_of(self, type_id: str) -> str:
        return str(self.by_type[type_id]["id"])

    def name_of(self, type_id: str) -> str | None:
        group = self.by_type.get(type_id)
        return None if group is None else str(group.get("name"))

    def by_id(self, group_id: str) -> Mixin | None:
        for type_id, group in self.by_type.items():
            if group["id"] == group_id:
                return next(m for m in [*self.mixins, *self.plain] if m.type_id == type_id)
        return None


def load_groups(api: OpenStackApi) -> Groups:
    # Only what a mixin needs: not the rules Neutron embeds in every group.
    found = api.every(
        "network",
        "/v2.0/security-groups",
        "security_groups",
        project_id=api.project_id,
        fields=["id", "name", "description"],
    )
    groups = Groups()
    for group in found:
        mixin, plain = _mixin(group)
        if mixin.type_id in groups.by_type:
            continue
        groups.by_type[mixin.type_id] = group
        (groups.plain if plain else groups.mixins).append(mixin)
    return groups


def _mixin(group: dict[str, Any]) -> tuple[Mixin, bool]:
    parts = str(group.get("description") or "").split()
    name = str(group.get("name") or group["id"])
    if len(parts) >= 3 and parts[0] == MARK:
        scheme, location, plain = parts[1], parts[2], "plain" in parts[3:]
    else:
        scheme, location, plain = FOREIGN_SCHEME, f"/security/group/{name}/", False
    return (
        Mixin(
            scheme=scheme,
            term=name,
            title=f"Security group {name}" if not plain else name,
            location=location,
            depends=() if plain else (ext.SECURITY_GROUP,),
            user_defined=True,
        ),
        plain,
    )


def create_group(api: OpenStackApi, mixin: Mixin) -> None:
    plain = ext.SECURITY_GROUP not in mixin.depends
    if any(c.isspace() for c in mixin.scheme + (mixin.location or "")):
        raise BadRequest("a user mixin's scheme and location cannot hold spaces here")
    description = f"{MARK} {mixin.scheme} {mixin.location}" + (" plain" if plain else "")
    group = api.post(
        "network",
        "/v2.0/security-groups",
        {"security_group": {"name": mixin.term, "description": description}},
    )["security_group"]
    if plain:  # an inert group: no rules at all
        for rule in group.get("security_group_rules") or []:
            api.delete("network", f"/v2.0/security-group-rules/{rule['id']}")


def delete_group(api: OpenStackApi, groups: Groups, mixin: Mixin) -> None:
    """Neutron refuses (409) while ports still use the group: so do we."""
    if mixin.type_id not in groups.by_type:
        raise NotFound(f"Category {mixin.type_id}: no such user mixin")
    try:
        api.delete("network", f"/v2.0/security-groups/{groups.id_of(mixin.type_id)}")
    except Conflict as error:
        raise Conflict(
            f"{mixin.term} still has members; remove them first ({error.message})"
        ) from error


def rule_body(group_id: str, attributes: dict[str, Any]) -> dict[str, Any]:
    protocol = str(attributes.get("occi.network.security.protocol", "")).lower()
    if protocol not in PROTOCOLS:
        raise BadRequest("occi.network.security.protocol: tcp, udp or icmp")
    low = attributes.get("occi.network.security.from")
    high = attributes.get("occi.network.security.to")
    rule: dict[str, Any] = {
        "security_group_id": group_id,
        "direction": "ingress",
        "ethertype": "IPv6"
        if ":" in str(attributes.get("occi.network.security.range", ""))
        else "IPv4",
        "protocol": protocol,
        "remote_ip_prefix": str(attributes.get("occi.network.security.range") or "0.0.0.0/0"),
    }
    if low is not None and int(low) >= 0:
        rule["port_range_min"] = int(low)
        rule["port_range_max"] = int(high) if high is not None and int(high) >= 0 else int(low)
    if (
        protocol != "icmp"
        and "port_range_min" in rule
        and rule["port_range_max"] < rule["port_range_min"]
    ):
        raise BadRequest("occi.network.security.to is below occi.network.security.from")
    return rule
