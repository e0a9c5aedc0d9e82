"""Which Host headers the server answers to, and the one base URL absolute URLs are built from.

- `server.public_url` set: every absolute URL is built from it, whatever the Host says.
- `server.allowed_hosts` (and the public URL's host): a Host that is not one of them is 400.
- Neither, under `--auth none`: only loopback names (and `server.host`) are served, so a page
  of another site cannot reach an unauthenticated server through DNS rebinding.
- Neither, with authentication: any well-formed Host is served and used for URLs.

A Host is well-formed when it is a DNS name, an IPv4 address or a bracketed IPv6 address, with
an optional port: never a path, user info or anything `urlsplit` chokes on.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from occi_server.config import ServerConfig
from occi_server.errors import BadRequest

_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_HOST = re.compile(
    rf"(?P<name>{_LABEL}(?:\.{_LABEL})*\.?|\[(?P<ip6>[0-9A-Fa-f:.]+)\])(?::(?P<port>\d{{1,5}}))?"
)
LOOPBACK = ("localhost", "127.0.0.1", "[::1]")
KNOWN_HOSTS = 256


def split_host(host: str) -> tuple[str, str] | None:
    """(name, port) of a well-formed Host value, lower-cased; None otherwise."""
    found = _HOST.fullmatch(host)
    if found is None or len(host) > 261:
        return None
    if found.group("ip6") is not None:
        try:
            ipaddress.IPv6Address(found.group("ip6"))
        except ValueError:
            return None
    port = found.group("port") or ""
    if port and not 0 < int(port) <= 65535:
        return None
    return found.group("name").lower().rstrip("."), port


class HostPolicy:
    def __init__(self, server: ServerConfig) -> None:
        self.public_url = server.public_url.rstrip("/")
        names = {h.strip().lower() for h in server.allowed_hosts if h.strip()}
        if self.public_url:
            names.add(urlsplit(self.public_url).netloc.lower())
        if not names and server.auth == "none":
            names.update(LOOPBACK)
            if server.host not in ("0.0.0.0", "::", ""):
                names.add(f"[{server.host}]" if ":" in server.host else server.host.lower())
        # Entries with a port match that port only; entries without, any port.
        self._exact = {n for n in names if split_host(n) and split_host(n)[1]}  # type: ignore[index]
        self._any_port = {n.rstrip(".") for n in names if n not in self._exact}
        # Clients send the same few Host values over and over: their answers are kept.
        self._known: dict[tuple[str, str | None, str], str] = {}

    def base_url(
        self, scheme: str, host: str | None, server: tuple[str, int] | None, root_path: str = ""
    ) -> str:
        """The base URL for a request (with the ASGI root_path: a prefix a trusted proxy took
        off), or BadRequest naming the refused Host."""
        key = (scheme, host, root_path)
        known = self._known.get(key) if host is not None else None
        if known is not None:
            return known
        url = self._base_url(scheme, host, server, root_path)
        if host is not None and len(self._known) < KNOWN_HOSTS:  # bounded: Host is the client's
            self._known[key] = url
        return url

    def _base_url(
        self, scheme: str, host: str | None, server: tuple[str, int] | None, root_path: str
    ) -> str:
        if host is None:
            if self._exact or self._any_port:
                raise BadRequest("Host: required")
            host = f"{server[0]}:{server[1]}" if server else "localhost"
        parts = split_host(host)
        if parts is None:
            raise BadRequest(f"Host: {host[:80]!r} is not a host name with an optional port")
        if (self._exact or self._any_port) and not (
            host.lower() in self._exact or parts[0] in self._any_port
        ):
            raise BadRequest(f"Host: {host[:80]!r} is not a name this server answers to")
        return self.public_url or f"{scheme}://{host}{root_path}"
