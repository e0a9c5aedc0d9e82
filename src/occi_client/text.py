"""The OCCI text renderings (GFD.185 / GFD.229): parsing what servers send, writing requests.

Lenient on input the way the reference clients are: header names in any case, `X-OCCI-Category`
for `Category`, comma-joined or repeated values, optional spaces around `;` and `=`, a trailing
`;`, unquoted `category=`, space-separated `rel` lists. Strict on output: the ABNF's forms only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

import httpx

from occi_client.model import AttributeDef, Category, Entity, Link

# Structure names a server may use, normalised to the spec's.
_NAMES = {
    "category": "Category",
    "x-occi-category": "Category",
    "link": "Link",
    "x-occi-link": "Link",
    "x-occi-attribute": "X-OCCI-Attribute",
    "x-occi-location": "X-OCCI-Location",
}
_ATTRIBUTE_DEF = re.compile(r"([^\s{]+)(?:\{([^}]*)\})?")
_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")

Structures = list[tuple[str, str]]


class TextError(ValueError):
    """A text rendering this parser cannot read."""


# --- Lexical ----------------------------------------------------------------------------------


def split_outside(value: str, separator: str) -> list[str]:
    """Split on `separator` outside quoted strings and <...>, stripping the parts."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    angle = 0
    i = 0
    while i < len(value):
        ch = value[i]
        if quoted and ch == "\\" and i + 1 < len(value):
            current.append(value[i : i + 2])
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "<":
            angle += 1
        elif not quoted and ch == ">" and angle:
            angle -= 1
        if ch == separator and not quoted and not angle:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
        i += 1
    if quoted:
        raise TextError(f"unbalanced quote in {value!r}")
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _params(parts: Iterable[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in parts:
        name, sep, value = part.partition("=")
        if not sep:
            raise TextError(f"expected name=value, got {part!r}")
        out[name.strip().lower()] = value.strip()
    return out


def parse_value(raw: str) -> Any:
    """An attribute value by its lexical form: quoted string, boolean, integer, float, or the
    raw token (some servers leave enums unquoted)."""
    raw = raw.strip()
    if raw.startswith('"') or raw.startswith("'"):
        return unquote(raw)
    if raw in ("true", "false"):
        return raw == "true"
    if _INT.fullmatch(raw):
        return int(raw)
    if _FLOAT.fullmatch(raw):
        return float(raw)
    return raw


def render_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot render {value} in OCCI text")
        out = repr(value)
        if "e" in out or "E" in out:  # the ABNF's number has no exponent
            out = format(Decimal(out), "f")
        return out if "." in out else out + ".0"
    if isinstance(value, str):
        return quote(value)
    import json

    return quote(json.dumps(value))  # lists and objects: JSON in a string, as rOCCI does


# --- Structures -------------------------------------------------------------------------------


def parse_category(value: str) -> Category:
    parts = split_outside(value, ";")
    if not parts:
        raise TextError("empty Category")
    term = parts[0]
    params = _params(parts[1:])
    if "scheme" not in params:
        raise TextError(f"Category {term!r} has no scheme")
    cls = unquote(params.get("class", "")) or "mixin"
    if cls not in ("kind", "mixin", "action"):
        raise TextError(f"Category {term!r}: unknown class {cls!r}")
    rel = unquote(params.get("rel", "")).split()
    category = Category(
        term=term,
        scheme=unquote(params["scheme"]),
        category_class=cls,  # type: ignore[arg-type]
        title=unquote(params["title"]) if "title" in params else None,
        location=unquote(params["location"]) if "location" in params else None,
        attributes=parse_attribute_defs(unquote(params.get("attributes", ""))),
        actions=unquote(params.get("actions", "")).split(),
    )
    if cls == "kind":
        category.parent = rel[0] if rel else None
    else:
        category.depends = rel
    return category


def parse_attribute_defs(text: str) -> dict[str, AttributeDef]:
    out: dict[str, AttributeDef] = {}
    for match in _ATTRIBUTE_DEF.finditer(text):
        flags = set((match.group(2) or "").split())
        name = match.group(1)
        out[name] = AttributeDef(
            name=name, mutable="immutable" not in flags, required="required" in flags
        )
    return out


def parse_attribute(value: str) -> tuple[str, Any]:
    name, sep, raw = value.partition("=")
    if not sep or not name.strip():
        raise TextError(f"expected name=value in X-OCCI-Attribute, got {value!r}")
    return name.strip(), parse_value(raw)


def parse_link(value: str) -> Link:
    """A Link value; action links come back with `rel` the action and no `self`."""
    parts = split_outside(value, ";")
    if not parts or not (parts[0].startswith("<") and parts[0].endswith(">")):
        raise TextError(f"Link must start with <target>: {value!r}")
    params: dict[str, str] = {}
    attributes: dict[str, Any] = {}
    for part in parts[1:]:
        name, sep, raw = part.partition("=")
        if not sep:
            raise TextError(f"expected name=value in Link, got {part!r}")
        key = name.strip()
        if key.lower() in ("rel", "self", "category"):
            params[key.lower()] = unquote(raw)
        else:
            attributes[key] = parse_value(raw)
    categories = params.get("category", "").split()
    return Link(
        target=parts[0][1:-1].strip(),
        rel=params.get("rel", "").split(),
        location=params.get("self") or None,
        kind=categories[0] if categories else None,
        mixins=categories[1:],
        attributes=attributes,
    )


def is_action_link(link: Link) -> bool:
    return "?action=" in link.target and link.location is None


# --- Responses --------------------------------------------------------------------------------


def structures(response: httpx.Response) -> Structures:
    """(name, value) pairs from the headers (text/occi) or body lines (text/plain), one per
    value, names normalised."""
    media = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "text/occi":
        pairs: Iterable[tuple[str, str]] = response.headers.multi_items()
    else:
        pairs = _body_lines(response.text)
    out: Structures = []
    for name, value in pairs:
        normal = _NAMES.get(name.strip().lower())
        if normal is None and media == "text/occi" and name.lower() == "location":
            normal = "X-OCCI-Location"  # rOCCI 5 lists locations in Location
        if normal is not None:
            out.extend((normal, v) for v in split_outside(value, ","))
    return out


def _body_lines(body: str) -> Iterator[tuple[str, str]]:
    for line in body.splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip().lower() in _NAMES:
            yield name, value.strip()


def parse_model(response: httpx.Response) -> list[Category]:
    return [parse_category(v) for n, v in structures(response) if n == "Category"]


def parse_locations(response: httpx.Response) -> list[str]:
    media = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "text/uri-list":
        return [
            line.strip()
            for line in response.text.splitlines()
            if line.strip() and not line.startswith("#")
        ]
    found = [v for n, v in structures(response) if n == "X-OCCI-Location"]
    return list(dict.fromkeys(found))


def parse_entity(response: httpx.Response) -> Entity | None:
    """The entity a rendering describes; None when the body holds no kind Category."""
    return entity_from(structures(response))


def entity_from(pairs: Structures) -> Entity | None:
    categories = [parse_category(v) for n, v in pairs if n == "Category"]
    kinds = [c.type_id for c in categories if c.category_class == "kind"]
    if not kinds:
        return None
    entity = Entity(
        kind=kinds[0], mixins=[c.type_id for c in categories if c.category_class == "mixin"]
    )
    for name, value in pairs:
        if name == "X-OCCI-Attribute":
            key, parsed = parse_attribute(value)
            entity.attributes[key] = parsed
        elif name == "Link":
            link = parse_link(value)
            if is_action_link(link):
                entity.actions.extend(link.rel)
            else:
                entity.links.append(link)
    return entity


def parse_categories(response: httpx.Response) -> list[Category]:
    """Categories in a non-discovery answer (`save` answers with the new OS template)."""
    return parse_model(response)


# --- Requests ---------------------------------------------------------------------------------


def category_value(category: Category, *, full: bool = False, cls: str | None = None) -> str:
    """`term; scheme="..."; class="..."`; `full` adds title, rel and location (user mixins)."""
    out = f'{category.term}; scheme="{category.scheme}"; class="{cls or category.category_class}"'
    if full:
        if category.title:
            out += f"; title={quote(category.title)}"
        if category.rel:
            out += f'; rel="{category.rel[0]}"'
        if category.location:
            out += f'; location="{category.location}"'
    return out


def attribute_value(name: str, value: Any) -> str:
    return f"{name}={render_value(value)}"


def link_value(link: Link) -> str:
    out = f"<{link.target}>"
    if link.rel:
        out += f'; rel="{" ".join(link.rel)}"'
    if link.location:
        out += f'; self="{link.location}"'
    kinds = [k for k in (link.kind, *link.mixins) if k]
    if kinds:
        out += f'; category="{" ".join(kinds)}"'
    for name, value in link.attributes.items():
        out += f"; {attribute_value(name, value)}"
    return out


def request_structures(
    categories: Iterable[Category] = (),
    attributes: dict[str, Any] | None = None,
    links: Iterable[Link] = (),
    locations: Iterable[str] = (),
    *,
    full_categories: bool = False,
) -> Structures:
    out: Structures = [("Category", category_value(c, full=full_categories)) for c in categories]
    out += [("Link", link_value(link)) for link in links]
    out += [("X-OCCI-Attribute", attribute_value(k, v)) for k, v in (attributes or {}).items()]
    out += [("X-OCCI-Location", loc) for loc in locations]
    return out


def as_body(pairs: Structures) -> bytes:
    """text/plain: one structure per line."""
    return "".join(f"{name}: {value}\r\n" for name, value in pairs).encode()


def as_headers(pairs: Structures) -> list[tuple[str, str]]:
    """text/occi: one header per structure (repeated, never folded, so no value is split wrong)."""
    return list(pairs)
