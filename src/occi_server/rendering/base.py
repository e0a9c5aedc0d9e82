"""What every rendering offers: a parser (request -> OcciRequest) and a renderer (model -> bytes).

Renderers are pure functions of model objects; the service has already hidden secret attributes
and filled `Entity.actions`. Locations handed to renderers are paths (`/compute/1`); a renderer
makes them absolute with `base_url` where the interop rules want absolute URLs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from occi_server.model import Category, Entity
from occi_server.model.request import OcciRequest


@dataclass(slots=True)
class Rendered:
    content_type: str
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


class Renderer(Protocol):
    media_type: str

    def categories(self, categories: Sequence[Category]) -> Rendered:
        """The query interface, or one category (the OS template made by `save`)."""

    def entity(self, entity: Entity) -> Rendered: ...

    def locations(self, paths: Sequence[str]) -> Rendered:
        """A collection as a list of locations (absolute URLs on the wire)."""

    def entities(self, entities: Sequence[Entity]) -> Rendered:
        """A collection with full entities (text renderings list their locations)."""

    def created(self, path: str) -> Rendered:
        """Body and headers of a 201; http/ adds the Location header."""

    def ok(self) -> Rendered: ...

    def error(self, status: int, message: str) -> Rendered: ...


class RendererFactory(Protocol):
    def __call__(self, media_type: str, base_url: str) -> Renderer: ...


class Parser(Protocol):
    def __call__(
        self, headers: Mapping[str, str] | Sequence[tuple[str, str]], body: bytes
    ) -> OcciRequest:
        """Parse a request; raise BadRequest naming the bad header, line or member."""
