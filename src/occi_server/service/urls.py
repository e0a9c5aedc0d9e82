"""Locations arrive as paths or absolute URLs; inside the service everything local is a path.

Every location a client sends is parsed here, once: a reference that is not a well-formed path
or absolute URI (RFC 3986 characters only, a host `urlsplit` accepts) is a 400 naming where it
came from, so an external link target is always something every rendering can carry.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit

from occi_server.errors import BadRequest

# RFC 3986: unreserved, reserved and percent-encoded characters, nothing else.
_URI_CHARS = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
MAX_URI = 2048


def split_uri(reference: str, what: str) -> SplitResult:
    """urlsplit, with every way it can fail (or let through what no rendering can carry) a 400."""
    if len(reference) > MAX_URI:
        raise BadRequest(f"{what}: longer than {MAX_URI} characters")
    if not _URI_CHARS.fullmatch(reference):
        raise BadRequest(f"{what}: {reference[:80]!r} holds characters a URI cannot")
    try:
        parts = urlsplit(reference)
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        raise BadRequest(f"{what}: {reference[:80]!r} is not a valid URI") from None
    return parts


def to_path(
    reference: str, base_url: str, *, what: str = "location", same_port: bool = False
) -> str:
    """Turn a client-given location into a local path; foreign absolute URIs are returned as-is.

    A URL names this server when its host is this server's or a loopback name, whatever its
    port (the seed's curl lines say `localhost:8787` of a server on any port). With
    `same_port` the port must be this server's too: where another port of the same host may be
    another server that is meant (a storagelink's target, an OVF disk's href: a CDMI server to
    import from)."""
    reference = reference.strip()
    if not reference:
        raise BadRequest(f"{what}: empty location")
    if reference.startswith("/"):
        split_uri(reference, what)
        return _clean(reference, what)
    parts = split_uri(reference, what)
    if not parts.scheme or not _SCHEME.fullmatch(parts.scheme):
        raise BadRequest(f"{what}: {reference[:80]!r} is neither a path nor an absolute URL")
    base = urlsplit(base_url)
    local_hosts = {(base.hostname or "").lower(), "localhost", "127.0.0.1"}
    same_server = (parts.hostname or "").lower() in local_hosts and (
        not same_port or _port(parts) == _port(base)
    )
    root = base.path.rstrip("/")
    if same_server and (parts.path.startswith(root + "/") or not root):
        path = parts.path[len(root) :] if root else parts.path
        return _clean(path or "/", what)
    return reference


def _port(parts: SplitResult) -> int | None:
    return parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())


# Paths the server itself answers (query interface, CDMI's namespace, the HTML console).
RESERVED_PREFIXES = ("/-/", "/.well-known/", "/cdmi/", "/console/")
# A segment of a path a client may choose: RFC 3986 pchar, unencoded (no '%').
_SEGMENT = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@]+")


def check_new_location(path: str) -> None:
    """A path chosen for a new entity (PUT) must be addressable as it is: plain segments, no
    '.' or '..', and outside the namespaces the server answers itself."""
    reserved = next((p for p in RESERVED_PREFIXES if path.startswith(p)), None)
    if reserved is not None:
        raise BadRequest(f"{path[:80]}: {reserved} is reserved; choose another location")
    segments = path.split("/")[1:]
    for segment in segments:
        if segment in (".", "..") or not _SEGMENT.fullmatch(segment):
            raise BadRequest(
                f"{path[:80]}: segment {segment[:40]!r} is not a plain path segment "
                "(letters, digits and -._~!$&'()*+,;=:@ only)"
            )


def is_local(reference: str) -> bool:
    return reference.startswith("/")


def _clean(path: str, what: str) -> str:
    if any(c in path for c in "\r\n\t ") or "//" in path or "/../" in path or path.endswith("/.."):
        raise BadRequest(f"{what}: {path[:80]!r} is not a valid path")
    return path
