"""Entity instances. Attribute values live in one dict keyed by their rendered names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True, kw_only=True)
class Entity:
    id: str
    kind: str
    location: str
    mixins: list[str] = field(default_factory=list)
    # Every attribute but occi.core.id/source/target (fields); title and summary live here.
    attributes: dict[str, Any] = field(default_factory=dict)
    # Type ids of the actions applicable now (filled by the service from registry + backend state).
    actions: list[str] = field(default_factory=list)
    # Opaque version for ETag / If-Match.
    version: str | None = None

    @property
    def title(self) -> str | None:
        value = self.attributes.get("occi.core.title")
        return value if isinstance(value, str) else None


@dataclass(slots=True, kw_only=True)
class Link(Entity):
    source: str
    target: str
    source_kind: str | None = None
    target_kind: str | None = None


@dataclass(slots=True, kw_only=True)
class Resource(Entity):
    links: list[Link] = field(default_factory=list)
