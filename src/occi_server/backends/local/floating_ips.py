"""Floating IPs: the catalogue's pools as mixins, alloc_float_ip and dealloc_float_ip.

A floating IP is a networkinterface link from the compute to the project's public network,
carrying ipnetworkinterface with the floating address; the pool it came from is a private
value of the link. A compute may hold several. It shows the first one as
org.openstack.network.floating.ip (compatibility with the walkthrough) and carries the mixin of
every pool it holds an address from: adding a pool mixin (at creation, or by a POST to the
pool's location) allocates one address from it; removing it releases them all.

Addresses: a pool that overlaps the public network allocates under the public network's key
(devstack's pool and public network share 172.24.4.0/24), so a floating IP and a plain
interface on the public network can never get the same address; the UNIQUE (pool, address)
constraint decides between concurrent requests. The gateways of the catalogue's networks are
never handed out.
"""

from __future__ import annotations

from typing import Any

from occi_server.backends.local import addresses, links, network, private, store
from occi_server.backends.local.offer import CloudOffer, FloatingPool, NetworkSpec
from occi_server.backends.local.rules import Update
from occi_server.backends.local.scope import Scope
from occi_server.backends.local.states import FLOATING_IP
from occi_server.backends.local.store import EntityRecord
from occi_server.categories import infrastructure as infra
from occi_server.categories import openstack
from occi_server.categories.templates import floating_pool, sanitize_term
from occi_server.errors import BadRequest, Conflict
from occi_server.model import Mixin

POOL_SCHEME = openstack.FLOATING_POOL_SCHEME
POOL_PARAMETER = openstack.FLOATING_POOL


def pool_mixin(pool: FloatingPool) -> Mixin:
    return floating_pool(pool.name, pool.cidr)


def is_pool(type_id: str) -> bool:
    return type_id.startswith(POOL_SCHEME)


def public_network(catalogue: CloudOffer) -> NetworkSpec | None:
    return next((n for n in catalogue.networks if n.public), None)


def available(catalogue: CloudOffer) -> bool:
    """Floating IPs need a pool and a public network to attach them to."""
    return bool(catalogue.floating_pools) and public_network(catalogue) is not None


def find_pool(catalogue: CloudOffer, wanted: Any) -> FloatingPool:
    """The pool a parameter names (by name or term); the first pool when none is named."""
    if not catalogue.floating_pools:
        raise Conflict("this cloud has no floating IP pools")
    if wanted is None or wanted == "":
        return catalogue.floating_pools[0]
    name = str(wanted).strip()
    if is_pool(name):
        name = name[len(POOL_SCHEME) :]
    for pool in catalogue.floating_pools:
        if name in (pool.name, sanitize_term(pool.name)):
            return pool
    known = ", ".join(p.name for p in catalogue.floating_pools)
    raise BadRequest(f"parameter {POOL_PARAMETER}: no pool {name!r} (pools: {known})")


def pool_by_mixin(catalogue: CloudOffer, type_id: str) -> FloatingPool:
    for pool in catalogue.floating_pools:
        if pool_mixin(pool).type_id == type_id:
            return pool
    raise BadRequest(f"unknown floating IP pool {type_id}")


def space(catalogue: CloudOffer, pool: FloatingPool) -> addresses.AddressSpace:
    net = addresses.parse_cidr(pool.cidr)
    key = "shared:" + str(net)
    gateway: str | None = None
    reserved: set[str] = set()
    for spec in catalogue.networks:
        spec_net = addresses.parse_cidr(spec.cidr)
        spec_gateway = spec.gateway or addresses.first_host(spec_net)
        if spec_net.version == net.version and spec_net.overlaps(net):  # type: ignore[arg-type]
            reserved.add(spec_gateway)
        if spec is public_network(catalogue) and spec_net.version == net.version:
            if spec_net.overlaps(net):  # type: ignore[arg-type]
                key = "shared:" + str(spec_net)  # network.pool_of's key for it
            gateway = spec_gateway
    return addresses.AddressSpace(key, net, frozenset(reserved), gateway)


def allocate(scope: Scope, compute: EntityRecord, pool: FloatingPool) -> EntityRecord:
    """Take a free address of `pool` for `compute`: a new interface to the public network."""
    spec = public_network(scope.cloud.offer)
    target = store.find(scope, network.provider_location(spec)) if spec else None
    if target is None:
        raise Conflict("this project has no public network to attach a floating IP to")
    try:  # a failed allocation takes back the interface it began to write
        with scope.tx.savepoint():
            link = links.create_link(
                scope,
                links.NewLink(
                    kind=infra.NETWORKINTERFACE_KIND,
                    mixins=[],
                    attributes={"occi.core.title": f"floating IP from {pool.name}"},
                    source=compute.location,
                    target=target.location,
                    source_row=compute,
                    space=space(scope.cloud.offer, pool),
                ),
            )
    except Conflict as error:
        raise Conflict(f"floating IP pool {pool.name}: {error.args[0]}") from None
    private.put(scope, link, private.FLOATING_POOL, pool.name)
    return link


def held(scope: Scope, compute: EntityRecord, excluding: int | None = None) -> list[EntityRecord]:
    """The compute's floating-IP interfaces, oldest first."""
    rows = store.links_from(scope, compute, infra.NETWORKINTERFACE)
    pools = private.values_of(scope, [r.pk for r in rows], private.FLOATING_POOL)
    return [r for r in rows if r.pk in pools and r.pk != excluding]


def is_floating(scope: Scope, link: EntityRecord) -> bool:
    return private.get(scope, link, private.FLOATING_POOL) is not None


def release(scope: Scope, compute: EntityRecord, address: Any) -> str:
    """Give back the address named (default: the last allocated); its interface goes."""
    holding = held(scope, compute)
    if not holding:
        raise Conflict(f"{compute.location} holds no floating IP")
    if address is None or address == "":
        chosen = holding[-1]
    else:
        wanted = str(address).strip()
        found = [r for r in holding if r.attributes.get(links.IF_ADDRESS) == wanted]
        if not found:
            raise BadRequest(
                f"parameter {FLOATING_IP}: {compute.location} holds no floating IP {wanted}"
            )
        chosen = found[0]
    drop(scope, chosen)
    return str(chosen.attributes.get(links.IF_ADDRESS))


def drop(scope: Scope, link: EntityRecord) -> None:
    addresses.release(scope, link.pk)
    store.bump_pks(scope, [link.target_pk])
    store.delete_entities(scope, [link])


def current(
    scope: Scope, compute: EntityRecord, excluding: int | None = None
) -> tuple[str | None, list[str]]:
    """(the first floating address, the pool mixins held) as the compute should show them."""
    holding = held(scope, compute, excluding)
    pools = private.values_of(scope, [r.pk for r in holding], private.FLOATING_POOL)
    catalogue = scope.cloud.offer
    names = dict.fromkeys(str(pools[r.pk]) for r in holding)
    mixins = [pool_mixin(p).type_id for p in catalogue.floating_pools if p.name in names]
    first = holding[0].attributes.get(links.IF_ADDRESS) if holding else None
    return (str(first) if first else None), mixins


def show(attributes: dict[str, Any], first: str | None) -> None:
    if first is None:
        attributes.pop(FLOATING_IP, None)
    else:
        attributes[FLOATING_IP] = first


def refresh(scope: Scope, compute: EntityRecord, excluding: int | None = None) -> None:
    """Write the compute's floating-IP attribute and pool mixins after a change."""
    first, held_pools = current(scope, compute, excluding)
    attributes = dict(compute.attributes)
    show(attributes, first)
    store.write_attributes(scope, compute, attributes)
    present = store.mixins_of(scope, compute)
    store.remove_mixins(scope, compute, [m for m in present if is_pool(m) and m not in held_pools])
    store.add_mixins(scope, compute, held_pools)
    store.bump(scope, compute)


def on_update(scope: Scope, row: EntityRecord, change: Update) -> None:
    """Pool mixins added allocate one address each; pool mixins removed release theirs."""
    catalogue = scope.cloud.offer
    added = [m for m in change.add if is_pool(m.type_id) and m.type_id not in change.current]
    removed = [m for m in change.remove if is_pool(m)]
    for mixin in added:
        allocate(scope, row, pool_by_mixin(catalogue, mixin.type_id))
    for type_id in removed:
        pool = pool_by_mixin(catalogue, type_id)
        for link in held(scope, row):
            if private.get(scope, link, private.FLOATING_POOL) == pool.name:
                drop(scope, link)
    if added or removed:
        first, _ = current(scope, row)
        show(change.attributes, first)


class InterfaceRules(links.LinkRules):
    """Network interfaces; a floating IP's interface keeps its address and, when deleted on
    its own, updates the compute it belonged to."""

    def before_update(self, scope: Scope, row: EntityRecord, change: Update) -> None:
        if is_floating(scope, row):
            wanted = change.attributes.get(links.IF_ADDRESS)
            if wanted != row.attributes.get(links.IF_ADDRESS):
                raise BadRequest(
                    f"attribute {links.IF_ADDRESS}: a floating IP's address is fixed; "
                    "use dealloc_float_ip and alloc_float_ip"
                )
            return
        super().before_update(scope, row, change)

    def before_delete(self, scope: Scope, row: EntityRecord) -> None:
        super().before_delete(scope, row)
        if row.source_pk is None or not is_floating(scope, row):
            return
        compute = store.by_pk(scope, row.source_pk)
        if compute is not None:
            refresh(scope, compute, excluding=row.pk)
