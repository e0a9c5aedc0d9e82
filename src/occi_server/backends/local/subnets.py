"""Private ranges for networks created without one (Neutron gives every subnet a CIDR).

A network created without occi.network.address gets the next /24 of 10.0.0.0/8 that overlaps
no other network of its project, and the ipnetwork mixin, so an interface to it always gets an
address. Each range taken is an allocation under the project's key, so two concurrent
creations can never take the same one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from occi_server.backends.local import allocations, store
from occi_server.backends.local.addresses import IpNetwork
from occi_server.backends.local.scope import Scope
from occi_server.backends.local.store import EntityRecord
from occi_server.categories import infrastructure as infra
from occi_server.errors import Conflict

PRIVATE_RANGE = ipaddress.ip_network("10.0.0.0/8")
PREFIX = 24
ADDRESS = "occi.network.address"
_RETRIES = 5


def key(scope: Scope) -> str:
    return f"subnets:{scope.project_id}"


def allocate(scope: Scope, holder: EntityRecord) -> IpNetwork:
    """Take the first free private /24 of the project for `holder` (a network)."""
    for _ in range(_RETRIES):
        taken = _taken(scope, holder)
        candidate = next(_free(taken), None)
        if candidate is None:
            raise Conflict(f"no free /{PREFIX} left in {PRIVATE_RANGE} for a new network")
        if allocations.take(scope, key(scope), str(candidate), holder.pk):
            return candidate
    raise Conflict("could not find a free range for the network; try again")


def release(scope: Scope, holder: EntityRecord) -> None:
    allocations.release_in(scope, key(scope), holder.pk)


def _taken(scope: Scope, holder: EntityRecord) -> list[IpNetwork]:
    ranges = [ipaddress.ip_network(a) for a in allocations.taken(scope, key(scope))]
    networks = [row for row in store.of_kind(scope, infra.NETWORK) if row.pk != holder.pk]
    for row in networks:
        cidr = row.attributes.get(ADDRESS)
        if cidr:
            try:
                ranges.append(ipaddress.ip_network(str(cidr), strict=False))
            except ValueError:
                continue
    return [r for r in ranges if r.version == PRIVATE_RANGE.version]


def _free(taken: list[IpNetwork]) -> Iterator[IpNetwork]:
    exact = {str(r) for r in taken}
    wide = [r for r in taken if r.prefixlen < PREFIX]
    for candidate in PRIVATE_RANGE.subnets(new_prefix=PREFIX):
        if str(candidate) in exact:
            continue
        if any(candidate.subnet_of(w) for w in wide):  # type: ignore[arg-type]
            continue
        if any(r.subnet_of(candidate) for r in taken if r.prefixlen > PREFIX):  # type: ignore[arg-type]
            continue
        yield candidate
