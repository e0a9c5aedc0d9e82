"""Who is asking, and from where: built by http/ from the credentials, passed to the backend."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestContext:
    project_id: str
    project_name: str
    user_id: str
    user_name: str
    # The caller's own credential (a Keystone token is re-used for cloud calls on their behalf).
    token: str | None = None
    # scheme://host[:port][/root] without a trailing slash; used only to form absolute URLs.
    base_url: str = "http://127.0.0.1:8787"
