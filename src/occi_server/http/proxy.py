"""X-Forwarded-For/-Proto/-Host/-Prefix, believed only from configured trusted proxies.

From a trusted peer the scope is rewritten as the client saw the service: its scheme, its Host,
the path prefix the proxy removed (as the ASGI root_path, which absolute URLs then include), and
the client's own address (the right-most X-Forwarded-For address that is not itself a trusted
proxy). From anyone else those headers are ignored, so a client cannot choose what URLs the
server writes into its answers or what address its log lines name.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import MutableMapping, Sequence
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_PREFIX = re.compile(r"(/[A-Za-z0-9._~%!$&'()*+,;=:@-]+)+")
_HOST = re.compile(r"[A-Za-z0-9.-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")


class TrustedProxies:
    def __init__(self, networks: Sequence[Network]) -> None:
        self.networks = list(networks)

    def trusts(self, address: str | None) -> bool:
        if not address:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def apply(self, scope: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        """The scope as the client addressed the service (unchanged from an untrusted peer)."""
        client = scope.get("client")
        if client is None or not self.trusts(client[0]):
            return scope
        forwarded: dict[bytes, str] = {}
        kept: list[tuple[bytes, bytes]] = []
        for name, value in scope["headers"]:
            if name.startswith(b"x-forwarded-"):
                text = value.decode("latin-1")
                forwarded[name] = f"{forwarded[name]},{text}" if name in forwarded else text
            else:
                kept.append((name, value))
        if not forwarded:
            return scope
        scope = dict(scope)
        proto = _first(forwarded.get(b"x-forwarded-proto"))
        if proto in ("http", "https"):
            scope["scheme"] = proto
        host = _first(forwarded.get(b"x-forwarded-host"))
        if host and _HOST.fullmatch(host):
            kept = [(n, v) for n, v in kept if n != b"host"] + [(b"host", host.encode())]
            scope["headers"] = kept
        prefix = (_first(forwarded.get(b"x-forwarded-prefix")) or "").rstrip("/")
        if prefix and _PREFIX.fullmatch(prefix):
            scope["root_path"] = prefix
        origin = self._client(forwarded.get(b"x-forwarded-for"))
        if origin is not None:
            scope["client"] = (origin, 0)
        return scope

    def _client(self, chain: str | None) -> str | None:
        """The right-most address in the chain that is not one of our proxies."""
        if not chain:
            return None
        hops = [hop.strip() for hop in chain.split(",") if hop.strip()]
        for hop in reversed(hops):
            try:
                ipaddress.ip_address(hop)
            except ValueError:
                return None  # garbage in the chain: keep the peer's own address
            if not self.trusts(hop):
                return hop
        return hops[0] if hops else None


def _first(value: str | None) -> str | None:
    if value is None:
        return None
    return value.split(",", 1)[0].strip() or None
