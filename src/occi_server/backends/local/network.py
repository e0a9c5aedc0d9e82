"""Network: up/down, IP networks (CIDR, gateway) and the catalogue's shared networks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from occi_server.backends.base import ActionOutcome, EntityDraft
from occi_server.backends.local import allocations, store, subnets
from occi_server.backends.local.addresses import IpNetwork, first_host, is_host, parse_cidr
from occi_server.backends.local.offer import NetworkSpec
from occi_server.backends.local.rules import KindRules, Update, allowed, step_for
from occi_server.backends.local.scope import Scope
from occi_server.backends.local.store import EntityRecord
from occi_server.categories import infrastructure as infra
from occi_server.categories import lifecycles
from occi_server.errors import BadRequest, Conflict, Forbidden
from occi_server.model import Mixin

LIFECYCLE = lifecycles.NETWORK
STATE, MESSAGE = LIFECYCLE.state, LIFECYCLE.message
ADDRESS = "occi.network.address"
GATEWAY = "occi.network.gateway"
ALLOCATION = "occi.network.allocation"
ACTIVE = LIFECYCLE.initial
ACTIONS = frozenset(LIFECYCLE.actions)


class NetworkRules(KindRules):
    def prepare(
        self, scope: Scope, draft: EntityDraft, attributes: dict[str, Any], mixins: list[Mixin]
    ) -> list[Mixin]:
        if any(m.type_id == infra.IPNETWORK for m in mixins):
            _complete_ip(attributes)
        # Without a range of its own it gets a private one after insertion (after_create).
        # OCCI starts networks inactive; Neutron networks are ACTIVE once created, and an
        # inactive network would make every new interface useless: we mirror Neutron.
        assert LIFECYCLE.create is not None
        LIFECYCLE.settle(attributes, LIFECYCLE.initial, LIFECYCLE.create.done)
        return mixins

    def after_create(self, scope: Scope, row: EntityRecord, draft: EntityDraft) -> None:
        if row.attributes.get(ADDRESS) is not None:
            return
        attributes = dict(row.attributes)
        attributes[ADDRESS] = str(subnets.allocate(scope, row))
        _complete_ip(attributes)
        store.write_attributes(scope, row, attributes)
        store.add_mixins(scope, row, [infra.IPNETWORK])

    def before_update(self, scope: Scope, row: EntityRecord, change: Update) -> None:
        had_ip = infra.IPNETWORK in change.current
        has_ip = infra.IPNETWORK in change.mixins()
        values = change.attributes
        if values.get(ADDRESS) is not None:
            values[ADDRESS] = str(parse_cidr(str(values[ADDRESS])))
        old = row.attributes
        if values.get(ADDRESS) != old.get(ADDRESS) and values.get(GATEWAY) == old.get(GATEWAY):
            values.pop(GATEWAY, None)  # an untouched gateway follows the new range
        before = (had_ip, old.get(ADDRESS), old.get(GATEWAY))
        after = (has_ip, values.get(ADDRESS), values.get(GATEWAY))
        if before != after:
            if provider_spec(scope, row) is not None:
                raise Forbidden(f"{row.location} is a provider network: its addressing is fixed")
            if _allocated(scope, row):
                raise Conflict(f"{row.location} has interfaces with addresses: detach them first")
            subnets.release(scope, row)  # a range of its own replaces the one it was given
        if has_ip:
            _complete_ip(values)

    def before_delete(self, scope: Scope, row: EntityRecord) -> None:
        # Deleting a network takes its interfaces with it (their addresses return to the
        # pool), as OCCI composition asks; only the shared provider networks are protected.
        if provider_spec(scope, row) is not None:
            raise Forbidden(f"{row.location} is a provider network and cannot be deleted")

    def actions(self, attributes: Mapping[str, Any]) -> list[str]:
        return allowed(LIFECYCLE, attributes)

    def invoke(
        self, scope: Scope, row: EntityRecord, action: str, parameters: dict[str, Any]
    ) -> ActionOutcome:
        if action not in ACTIONS:
            return super().invoke(scope, row, action, parameters)
        if provider_spec(scope, row) is not None:
            raise Forbidden(f"{row.location} is a provider network")
        step = step_for(LIFECYCLE, row.attributes, action)
        if step is None:
            return None
        attributes = dict(row.attributes)
        assert step.target is not None
        LIFECYCLE.settle(attributes, step.target, step.done)
        store.write_attributes(scope, row, attributes)
        store.bump(scope, row)
        return None


def _complete_ip(attributes: dict[str, Any]) -> None:
    """Normalise the CIDR and default the gateway to its first host."""
    cidr = attributes.get(ADDRESS)
    if cidr is None:
        return
    network = parse_cidr(str(cidr))
    attributes[ADDRESS] = str(network)
    gateway = attributes.get(GATEWAY)
    if gateway is None:
        attributes[GATEWAY] = first_host(network)
    elif not is_host(network, str(gateway)):
        raise BadRequest(f"attribute {GATEWAY}: {gateway} is not a host address of {network}")
    attributes.setdefault(ALLOCATION, "dynamic")


def ip_network(attributes: Mapping[str, Any], mixins: list[str]) -> IpNetwork | None:
    """The CIDR a network hands addresses out of, when it has one."""
    cidr = attributes.get(ADDRESS)
    if infra.IPNETWORK not in mixins or cidr is None:
        return None
    return parse_cidr(str(cidr))


def provider_spec(scope: Scope, row: EntityRecord) -> NetworkSpec | None:
    for spec in scope.cloud.offer.networks:
        if row.id == spec.name and row.location == provider_location(spec):
            return spec
    return None


def provider_location(spec: NetworkSpec) -> str:
    return f"/network/{spec.name}"


def pool_of(scope: Scope, row: EntityRecord) -> str:
    """Address pool key: shared networks share one space across projects (and with the
    floating-IP pools of the same CIDR); a project's own network has its own."""
    spec = provider_spec(scope, row)
    if spec is not None and spec.public:
        return "shared:" + str(parse_cidr(spec.cidr))
    return f"network:{row.pk}"


def _allocated(scope: Scope, row: EntityRecord) -> bool:
    return allocations.project_uses(scope, pool_of(scope, row))


def ensure_provider_networks(scope: Scope) -> None:
    """Give the project its view of the catalogue's networks (idempotent)."""
    for spec in scope.cloud.offer.networks:
        location = provider_location(spec)
        if store.find(scope, location) is not None:
            continue
        if store.id_taken(scope, spec.name):
            continue  # the project already uses that id for something else
        attributes: dict[str, Any] = {
            "occi.core.title": spec.name,
            "occi.core.summary": "public network" if spec.public else "provider network",
            ADDRESS: spec.cidr,
            GATEWAY: spec.gateway,
            STATE: ACTIVE,
            MESSAGE: "up",
        }
        _complete_ip(attributes)
        store.insert_entity(
            scope,
            entity_id=spec.name,
            kind=infra.NETWORK,
            location=location,
            attributes=attributes,
            mixins=[infra.IPNETWORK],
        )
