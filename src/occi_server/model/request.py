"""The format-neutral content of a request, as every parser produces it.

Parsers (text/plain, text/occi, JSON, ...) fill this; the service reads only this. Values are
kept as parsed (str/int/float/bool/list/dict) and coerced against definitions by the service.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True, kw_only=True)
class AttributeDef:
    """An attribute definition as a client sends it (user mixins): name and properties."""

    name: str
    required: bool = False
    mutable: bool = True


@dataclass(slots=True, kw_only=True)
class CategoryRef:
    """One Category as sent in a request; `category_class` is None when the client omitted it."""

    term: str
    scheme: str
    category_class: str | None = None
    title: str | None = None
    rel: tuple[str, ...] = ()
    location: str | None = None
    attributes: tuple[AttributeDef, ...] = ()
    actions: tuple[str, ...] = ()

    @property
    def type_id(self) -> str:
        return self.scheme + self.term


@dataclass(slots=True, kw_only=True)
class LinkRef:
    """A Link value: an inline link at creation, or an action link echoed back by a client."""

    target: str
    rel: tuple[str, ...] = ()
    self_location: str | None = None
    categories: tuple[str, ...] = ()  # type ids: the link kind first, then mixins
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def is_action_link(self) -> bool:
        return "?action=" in self.target


@dataclass(slots=True, kw_only=True)
class OcciRequest:
    categories: list[CategoryRef] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)
    links: list[LinkRef] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    # Structures a lenient parse set aside, each with why (answered in a `Warning` header).
    ignored: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.categories or self.attributes or self.links or self.locations)
