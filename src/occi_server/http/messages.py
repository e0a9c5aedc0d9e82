"""A request and its answer as http/ sees them: decoded from ASGI once, nothing more."""

from __future__ import annotations

from dataclasses import dataclass, field

from occi_server.errors import OcciError
from occi_server.model.request import OcciRequest
from occi_server.rendering.base import Rendered
from occi_server.rendering.html import PageContext


@dataclass(slots=True)
class HttpRequest:
    method: str
    path: str
    params: dict[str, str]
    headers: list[tuple[str, str]]  # names lower-cased, repeated headers kept
    body: bytes
    base_url: str
    # Name of a header whose value was not valid UTF-8 (reported as a 400, never guessed at).
    undecodable: str | None = None
    # "headers" or "body" when that part exceeded its configured limit (431 / 413).
    too_large: str | None = None
    # The peer's address (failed passwords are counted per source).
    client: str = ""
    # Refused before anything else (a Host this server does not answer to, a cross-site
    # write: http/hosts.py, http/csrf.py).
    refused: OcciError | None = None
    # --- HTML console (http/console.py) -------------------------------------------------------
    # A form post the console already parsed; the form parser is not a negotiated parser, so
    # every other rendering still answers 415 to form content.
    parsed: OcciRequest | None = None
    # What an HTML page needs beyond the model (path, CSRF token); None for other renderings.
    page: PageContext | None = None

    def header(self, name: str) -> str | None:
        values = [v for n, v in self.headers if n == name]
        return ", ".join(values) if values else None


@dataclass(slots=True)
class HttpResponse:
    status: int
    rendered: Rendered
    headers: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Negotiated:
    """What the Accept header asked for, decided once per request and passed along."""

    media_type: str  # what the answer is rendered as
    # 406 when nothing acceptable is offered (the error itself is then rendered as text/plain).
    refused: OcciError | None = None
