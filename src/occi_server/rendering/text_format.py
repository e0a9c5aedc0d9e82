"""Formatting of the four text structures (occi-spec §4, interop forms of §3.1 and §6).

Functions return header *values* (without `Name: `); text_render.py places them in the body
(text/plain) or in headers (text/occi).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from occi_server.model import Attribute, Category, Entity, Kind, Link, Mixin, Resource
from occi_server.model.category import split_type_id

CATEGORY = "Category"
LINK = "Link"
ATTRIBUTE = "X-OCCI-Attribute"
LOCATION = "X-OCCI-Location"

CORE_RESOURCE = "http://schemas.ogf.org/occi/core#resource"
# Control characters, and what str.splitlines() and other clients also take for a line end
# (NEL, LINE and PARAGRAPH SEPARATOR): none may reach a text rendering raw.
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")
_HAS_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# Rendered first, in this order (occi-spec §4.3); everything else follows sorted by name.
_LEADING = (
    "occi.core.id",
    "occi.core.title",
    "occi.core.summary",
    "occi.core.source",
    "occi.core.target",
    "occi.core.target.kind",
    "occi.core.source.kind",
)


# --- Values --------------------------------------------------------------------------------


def one_line(text: str) -> str:
    """Control characters and line separators would end a header or body line early (for some
    clients), so they become spaces."""
    return _CONTROL.sub(" ", text)


def quote(text: str) -> str:
    """quoted-string with `\\` and `"` escaped (control characters become spaces)."""
    # Short values (schemes, paths, states) repeat in every rendering: cached, bounded in size.
    return _quote_short(text) if len(text) <= 200 else _quote(text)


def _quote(text: str) -> str:
    escaped = one_line(text).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


_quote_short = lru_cache(maxsize=8192)(_quote)


def title_text(title: str) -> str:
    """Titles must not contain ';' or ',': the OGF script and pOCCI split on them naively."""
    return title.replace(";", " ").replace(",", " ")


def format_float(number: float) -> str:
    """Plain decimal, never an exponent (the ABNF has none): 2.0, 0.125, 1e-07 -> 0.0000001."""
    text = repr(number)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return text if "." in text else text + ".0"


def format_value(value: Any) -> str:
    """attribute-value: quoted string, bool, int, plain float; lists/hashes as quoted JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value) if math.isfinite(value) else quote(repr(value))
    if isinstance(value, list | tuple | dict):
        return quote(json.dumps(value, separators=(",", ":"), default=str))
    return quote(str(value))


def attribute_pairs(pairs: Iterable[tuple[str, Any]]) -> list[str]:
    """`name=value` members; None values are not rendered."""
    return [f"{name}={format_value(value)}" for name, value in pairs if value is not None]


# --- Locations -----------------------------------------------------------------------------


class Locator:
    """Turns model paths (relative to the OCCI root) into the path or URL forms of §3.1."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.base_path = urlsplit(self.base_url).path.rstrip("/")

    def path(self, location: str) -> str:
        """Absolute path (Link targets, self, action links, source/target, Category location)."""
        if _HAS_SCHEME.match(location):
            return location
        return self.base_path + _rooted(location)

    def urls(self, locations: Sequence[str]) -> list[str]:
        """url() of each; stored paths are rooted already, and listings have thousands."""
        base = self.base_url
        return [base + loc if loc[:1] == "/" else self.url(loc) for loc in locations]

    def url(self, location: str) -> str:
        """Absolute URL (X-OCCI-Location, text/uri-list, Location)."""
        if _HAS_SCHEME.match(location):
            return location
        return self.base_url + _rooted(location)


def _rooted(location: str) -> str:
    return location if location.startswith("/") else "/" + location


# --- Category (query interface) ------------------------------------------------------------


def category_value(category: Category, base_path: str = "") -> str:
    """The full Category rendering; cached because the query interface renders every category
    on every request and the categories are frozen."""
    try:
        return _cached_category_value(category, base_path)
    except TypeError:  # unhashable: an attribute default is a list or dict
        return _category_value(category, base_path)


@lru_cache(maxsize=4096)
def _cached_category_value(category: Category, base_path: str) -> str:
    return _category_value(category, base_path)


def _category_value(category: Category, base_path: str) -> str:
    """term; scheme; class; title; rel; location; attributes; actions (only the ABNF seven)."""
    rel: str | None = None
    location: str | None = None
    actions: tuple[str, ...] = ()
    if isinstance(category, Kind):
        rel, location, actions = category.parent, category.location, category.actions
    elif isinstance(category, Mixin):
        # Only the first `depends` goes into text; `applies` is JSON-only (GFD.229 §5.5.2).
        rel = category.depends[0] if category.depends else None
        location, actions = category.location, category.actions
    params = [
        ("scheme", category.scheme),
        ("class", category.category_class),
        ("title", title_text(category.title)),
        ("rel", rel),
        ("location", _category_location(location, base_path)),
        ("attributes", attribute_defs(category.attributes)),
        ("actions", " ".join(actions)),
    ]
    rendered = "".join(f"; {name}={quote(value)}" for name, value in params if value)
    return category.term + rendered


def _category_location(location: str | None, base_path: str) -> str | None:
    if not location or _HAS_SCHEME.match(location):
        return location
    return base_path + _rooted(location)


def attribute_defs(attributes: Iterable[Attribute]) -> str:
    """attribute-list: `name{immutable required}`, no braces when mutable and optional."""
    rendered = []
    for attr in attributes:
        flags = (("immutable", not attr.mutable), ("required", attr.required))
        props = [name for name, on in flags if on]
        rendered.append(attr.name + ("{" + " ".join(props) + "}" if props else ""))
    return " ".join(rendered)


def category_ref_value(type_id: str, category_class: str) -> str:
    """The short Category form used inside entity renderings: term, scheme and class only."""
    scheme, term = split_type_id(type_id)
    return f"{term}; scheme={quote(scheme)}; class={quote(category_class)}"


# --- Entities ------------------------------------------------------------------------------


def entity_structures(entity: Entity, locator: Locator) -> list[tuple[str, str]]:
    """(structure name, value) pairs of resource_rendering / link_rendering, in wire order.

    Action links come before owned links: the OGF 1.1 script takes the first Link as an action.
    """
    out = [(CATEGORY, category_ref_value(entity.kind, "kind"))]
    out += [(CATEGORY, category_ref_value(mixin, "mixin")) for mixin in entity.mixins]
    out += [(LINK, action_link_value(entity, action, locator)) for action in entity.actions]
    if isinstance(entity, Resource):
        out += [(LINK, link_value(link, locator)) for link in entity.links]
    out += [(ATTRIBUTE, pair) for pair in attribute_pairs(entity_attributes(entity, locator))]
    return out


def action_link_value(entity: Entity, action: str, locator: Locator) -> str:
    """ActionLink: `</compute/1?action=stop>; rel="...compute/action#stop"`."""
    _, term = split_type_id(action)
    return f"<{locator.path(entity.location)}?action={term}>; rel={quote(action)}"


def link_value(link: Link, locator: Locator) -> str:
    """An owned link as seen from its source resource."""
    parts = [
        f"<{locator.path(link.target)}>",
        f"rel={quote(link.target_kind or CORE_RESOURCE)}",
        f"self={quote(locator.path(link.location))}",
        f"category={quote(' '.join([link.kind, *link.mixins]))}",
    ]
    own = [(n, v) for n, v in entity_attributes(link, locator) if not n.startswith(_ENDPOINTS)]
    parts += attribute_pairs(own)
    return "; ".join(parts)


# Source, target and their kinds are already expressed by `<target>` and `rel` in a Link value.
_ENDPOINTS = ("occi.core.source", "occi.core.target")


def entity_attributes(entity: Entity, locator: Locator) -> list[tuple[str, Any]]:
    """Attribute (name, value) pairs: the leading core names in §4.3 order, then sorted."""
    values: dict[str, Any] = {"occi.core.id": entity.id}
    values["occi.core.title"] = entity.attributes.get("occi.core.title")
    values["occi.core.summary"] = entity.attributes.get("occi.core.summary")
    if isinstance(entity, Link):
        values["occi.core.source"] = locator.path(entity.source)
        values["occi.core.target"] = locator.path(entity.target)
        values["occi.core.target.kind"] = entity.target_kind
        values["occi.core.source.kind"] = entity.source_kind
    leading = [(name, values.get(name)) for name in _LEADING]
    rest = sorted(
        ((n, v) for n, v in entity.attributes.items() if n not in _LEADING), key=lambda p: p[0]
    )
    return [(name, value) for name, value in leading + rest if value is not None]
