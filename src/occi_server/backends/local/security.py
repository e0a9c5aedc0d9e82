"""Security groups and their rules, the OpenStack way.

A security group is a user mixin whose depends include
http://schemas.ogf.org/occi/infrastructure/security#group (clients create it on /-/ with that
rel). A rule is an entity of the `rule` kind carrying exactly one group's mixin; a compute
joins a group by carrying its mixin (given at creation, or by a POST to the group's location).

Rules are validated like Nova's: the protocol is tcp, udp or icmp (stored in lower case,
clients send "TCP"); tcp and udp ports lie in 1..65535 with from <= to (one port given stands
for both, none means every port); icmp's type and code lie in -1..255 (-1: any); the range is a
CIDR, stored normalised.

Deleting a group:
- while computes still carry it, it is a 409 naming how many (Nova refuses to delete a group
  that is in use as well; detaching them silently would open or close ports behind the
  user's back);
- otherwise its rules are deleted with it: a rule belongs to exactly one group and means
  nothing without it. Other entities carrying it (none in OpenStack) just lose the mixin.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from typing import Any

from occi_server.backends.base import EntityDraft
from occi_server.backends.local import store, user_mixins
from occi_server.backends.local.rules import KindRules, Update
from occi_server.backends.local.scope import Scope
from occi_server.backends.local.store import EntityRecord
from occi_server.categories import infrastructure as infra
from occi_server.categories import openstack
from occi_server.errors import BadRequest, Conflict
from occi_server.model import Mixin

PROTOCOL = "occi.network.security.protocol"
FROM = "occi.network.security.from"
TO = "occi.network.security.to"
RANGE = "occi.network.security.range"
PROTOCOLS = ("tcp", "udp", "icmp")


def is_group(mixin: Mixin) -> bool:
    return openstack.SECURITY_GROUP in mixin.depends


def group_ids(scope: Scope) -> set[str]:
    """Type ids of the project's security groups."""
    return {m.type_id for m in user_mixins.of_project(scope) if is_group(m)}


class RuleRules(KindRules):
    def prepare(
        self, scope: Scope, draft: EntityDraft, attributes: dict[str, Any], mixins: list[Mixin]
    ) -> list[Mixin]:
        validate(scope, attributes, [m.type_id for m in mixins])
        return mixins

    def before_update(self, scope: Scope, row: EntityRecord, change: Update) -> None:
        validate(scope, change.attributes, change.mixins())


def validate(scope: Scope, attributes: dict[str, Any], mixins: Sequence[str]) -> None:
    """Check and normalise a rule's values; it must belong to exactly one group."""
    protocol = str(attributes.get(PROTOCOL) or "").strip().lower()
    if protocol not in PROTOCOLS:
        raise BadRequest(f"attribute {PROTOCOL}: must be tcp, udp or icmp, not {protocol!r}")
    attributes[PROTOCOL] = protocol
    _ports(protocol, attributes)
    attributes[RANGE] = _cidr(attributes.get(RANGE))
    groups = group_ids(scope)
    mine = [m for m in mixins if m in groups]
    if len(mine) != 1:
        found = ", ".join(mine) if mine else "none"
        raise BadRequest(f"a rule belongs to exactly one security group mixin; got {found}")


def _ports(protocol: str, attributes: dict[str, Any]) -> None:
    low, high = attributes.get(FROM), attributes.get(TO)
    if protocol == "icmp":
        for name, value in ((FROM, low), (TO, high)):
            if value is not None and not -1 <= int(value) <= 255:
                raise BadRequest(f"attribute {name}: an ICMP type or code lies in -1..255")
        return
    given = [int(v) for v in (low, high) if v is not None]
    if not given:
        given = [1, 65535]  # every port
    low, high = (
        (int(low) if low is not None else given[0]),
        (int(high) if high is not None else given[-1]),
    )
    for name, value in ((FROM, low), (TO, high)):
        if not 1 <= value <= 65535:
            raise BadRequest(f"attribute {name}: a {protocol} port lies in 1..65535, not {value}")
    if low > high:
        raise BadRequest(f"attribute {FROM}: {low} is above {TO} {high}")
    attributes[FROM], attributes[TO] = low, high


def _cidr(value: Any) -> str:
    text = "0.0.0.0/0" if value is None else str(value).strip()
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        raise BadRequest(f"attribute {RANGE}: {text!r} is not a CIDR range") from None


def before_group_delete(scope: Scope, mixin: Mixin, delete_entity: Callable[[str], None]) -> None:
    """Refuse while computes carry the group; otherwise delete its rules."""
    members = store.carrying(scope, mixin.type_id)
    computes = sum(1 for member in members if member.kind == infra.COMPUTE)
    if computes:
        noun = "compute still carries" if computes == 1 else "computes still carry"
        raise Conflict(f"security group {mixin.term}: {computes} {noun} it; remove it first")
    for member in members:
        if member.kind == openstack.SECURITY_RULE:
            delete_entity(member.location)
