"""Locations arrive as paths or absolute URLs; inside the service everything local is a path."""

from __future__ import annotations

from urllib.parse import urlsplit

from occi_server.errors import BadRequest


def to_path(reference: str, base_url: str, *, what: str = "location") -> str:
    """Turn a client-given location into a local path; foreign absolute URIs are returned as-is."""
    reference = reference.strip()
    if not reference:
        raise BadRequest(f"{what}: empty location")
    if reference.startswith("/"):
        return _clean(reference, what)
    parts = urlsplit(reference)
    if not parts.scheme:
        raise BadRequest(f"{what}: {reference[:80]!r} is neither a path nor an absolute URL")
    base = urlsplit(base_url)
    local_hosts = {base.netloc.lower(), "localhost", "127.0.0.1"}
    root = base.path.rstrip("/")
    if parts.netloc.lower().split(":")[0] in {h.split(":")[0] for h in local_hosts} and (
        parts.path.startswith(root + "/") or not root
    ):
        path = parts.path[len(root) :] if root else parts.path
        return _clean(path or "/", what)
    return reference


def is_local(reference: str) -> bool:
    return reference.startswith("/")


def _clean(path: str, what: str) -> str:
    if any(c in path for c in "\r\n\t ") or "//" in path or "/../" in path or path.endswith("/.."):
        raise BadRequest(f"{what}: {path[:80]!r} is not a valid path")
    return path
