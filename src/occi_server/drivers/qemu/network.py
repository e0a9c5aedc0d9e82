"""User-mode networking (QEMU's slirp) that gives a guest the address the control plane
allocated: each interface's slirp is a network of its own, so it can be told the interface's
network (`net`), its gateway (`host`, slirp's own address) and the first address its DHCP
server hands out (`dhcpstart`, the allocated one): the guest's first lease is its OCCI address.

slirp refuses a DHCP start equal to its host or DNS address (by default the network's .3), so
the DNS address is chosen apart from both. What slirp cannot take (an IPv6 network, no network
known, an address outside it) gets slirp's defaults, and the log says so.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterator

from occi_server.drivers.hypervisor import IpConfig

log = logging.getLogger("occi_server.qemu")


def slirp_options(ip: IpConfig | None) -> dict[str, str]:
    """The netdev `user` options for an interface ({}: slirp's defaults, 10.0.2.0/24)."""
    if ip is None:
        return {}
    try:
        net = ipaddress.ip_network(ip.network, strict=False) if ip.network else None
        address = ipaddress.ip_address(ip.address)
        gateway = ipaddress.ip_address(ip.gateway) if ip.gateway else None
        usable = (
            isinstance(net, ipaddress.IPv4Network)
            and address in net
            and (gateway is None or gateway in net)
        )
    except ValueError:
        usable = False
    if not usable or not isinstance(net, ipaddress.IPv4Network):
        log.warning(
            "qemu: %s (network %s) is not an IPv4 address slirp can hand out; the guest "
            "gets slirp's default address", ip.address, ip.network or "unknown",
        )  # fmt: skip
        return {}
    host = gateway or next(_others(net, {address}), None)
    dns = next(_others(net, {address, host}), None)
    if host is None or dns is None:
        log.warning("qemu: network %s is too small for slirp (a host, a DNS and %s)", net, address)
        return {}
    return {"net": str(net), "host": str(host), "dhcpstart": str(address), "dns": str(dns)}


def _others(
    net: ipaddress.IPv4Network, taken: set[ipaddress.IPv4Address | ipaddress.IPv6Address | None]
) -> Iterator[ipaddress.IPv4Address]:
    """Addresses of `net` not taken, host addresses first (slirp takes the edges too)."""
    for candidate in net.hosts():
        if candidate not in taken:
            yield candidate
    for candidate in (net.broadcast_address, net.network_address):
        if candidate not in taken:
            yield candidate


def netdev_argument(nic: str, options: dict[str, str]) -> str:
    """The -netdev value of an interface."""
    return ",".join([f"user,id={nic}", *(f"{k}={v}" for k, v in options.items())])
