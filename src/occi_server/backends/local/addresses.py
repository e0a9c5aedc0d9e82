"""IP address allocation from a pool, never twice: the allocations repository takes an address
only while it is free, and the UNIQUE (pool, address) constraint decides should two meet."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass

from occi_server.backends.local import allocations
from occi_server.backends.local.scope import Scope
from occi_server.errors import BadRequest, Conflict

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_RETRIES = 5


@dataclass(frozen=True, slots=True)
class AddressSpace:
    """Where an interface's address comes from: the allocation key (pool), the range, the
    addresses never handed out, and the gateway to render beside the address."""

    key: str
    network: IpNetwork
    reserved: frozenset[str] = frozenset()
    gateway: str | None = None


def parse_cidr(cidr: str, attribute: str = "occi.network.address") -> IpNetwork:
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        raise BadRequest(f"attribute {attribute}: {cidr!r} is not a CIDR range") from None


def first_host(network: IpNetwork) -> str:
    return str(next(iter(network.hosts()), network.network_address))


def is_host(network: IpNetwork, address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    if ip not in network:
        return False
    # The network and broadcast addresses of an IPv4 subnet cannot be given to a host.
    edges = network.version == 4 and network.prefixlen < 31
    return not edges or ip not in (network.network_address, network.broadcast_address)


def allocate(
    scope: Scope,
    pool: str,
    network: IpNetwork,
    holder_pk: int,
    *,
    reserved: frozenset[str] = frozenset(),
    requested: str | None = None,
) -> str:
    """Take `requested` (409 when taken) or the first free host address of `network`."""
    if requested is not None:
        address = str(ipaddress.ip_address(requested.strip()))
        if address in reserved or not allocations.take(scope, pool, address, holder_pk):
            raise Conflict(f"address {address} is already in use in {network}")
        return address
    for _ in range(_RETRIES):
        taken = allocations.taken(scope, pool) | reserved
        free = next(_free(network, taken), None)
        if free is None:
            raise Conflict(f"no free address left in {network}")
        if allocations.take(scope, pool, free, holder_pk):
            return free
    raise Conflict(f"could not allocate an address in {network}; try again")


def release(scope: Scope, holder_pk: int) -> None:
    allocations.release(scope, holder_pk)


def _free(network: IpNetwork, taken: set[str]) -> Iterator[str]:
    for host in network.hosts():
        text = str(host)
        if text not in taken:
            yield text
