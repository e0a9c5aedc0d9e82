"""The OCCI text rendering ABNF (occi-spec §4.2 / GFD.229 §4), one function per production.

Each `*_value` function parses one member of a (comma-split) header value and raises BadRequest
naming `where` (the header or body line) and the offending text. Leniency follows occi-spec §4.2
"gotchas": optional white space, a trailing ';', a missing or unquoted `class`, an unquoted Link
`category`, a space-separated `rel` list, a leading '-' on numbers.
"""

from __future__ import annotations

import math
import re
from typing import Any

from occi_server.model.request import AttributeDef, CategoryRef, LinkRef
from occi_server.rendering.text_lexer import Param, Scanner, clip

# term = ( ALPHA | DIGIT ) *( ALPHA | DIGIT | "-" | "_" | "." ); attribute-name is the same.
TERM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
CATEGORY_CLASSES = ("kind", "mixin", "action")
# Characters never valid in a URI reference, even leniently (RFC 3986 excludes them all).
_NOT_URI = re.compile(r'[\s<>"{}|\\^`]')
_INT = re.compile(r"-?[0-9]+")
_FLOAT = re.compile(r"-?(?:[0-9]+\.[0-9]*|\.[0-9]+)")
_ATTRIBUTE_DEF = re.compile(r"([^\s{}]+)(?:\{([^{}]*)\})?")
_ATTRIBUTE_PROPERTIES = ("immutable", "required")

# Parameters whose value must be a quoted-string; `class` may be either (ABNF).
_CATEGORY_QUOTED = ("scheme", "title", "rel", "location", "attributes", "actions")
_CATEGORY_PARAMS = (*_CATEGORY_QUOTED, "class")
_LINK_PARAMS = ("rel", "self", "category")


# --- Category ------------------------------------------------------------------------------


def category_value(text: str, where: str = "Category") -> CategoryRef:
    """category-value = term ";" "scheme" "=" <"> scheme <"> ";" "class" "=" class [...]"""
    scanner = Scanner(text, where)
    term = scanner.take_match(TERM)
    scanner.skip_ows()
    if not term or scanner.peek() not in ("", ";"):
        raise scanner.error("bad term")
    params = _unique(scanner, scanner.parameters(), _CATEGORY_PARAMS)
    for param in params.values():
        if param.name not in _CATEGORY_PARAMS:
            raise scanner.error(f"unknown parameter {param.name!r}")
        if param.name in _CATEGORY_QUOTED and not param.quoted:
            raise scanner.error(f"{param.name} must be a quoted string")
    if "scheme" not in params:
        raise scanner.error("missing scheme")
    return CategoryRef(
        term=term,
        scheme=uri(scanner, params["scheme"].value, "scheme"),
        category_class=_category_class(scanner, params.get("class")),
        title=params["title"].value if "title" in params else None,
        rel=type_identifiers(scanner, _value(params, "rel"), "rel"),
        location=_optional_uri(scanner, params, "location"),
        attributes=attribute_list(scanner, _value(params, "attributes")),
        actions=type_identifiers(scanner, _value(params, "actions"), "actions"),
    )


def _unique(scanner: Scanner, params: list[Param], known: tuple[str, ...]) -> dict[str, Param]:
    """Index parameters by name; `known` names match case-insensitively (ABNF literals do),
    anything else (link attribute names) keeps its case."""
    indexed: dict[str, Param] = {}
    for param in params:
        if param.name.lower() in known:
            param.name = param.name.lower()
        if param.name in indexed:
            raise scanner.error(f"duplicate parameter {param.name!r}")
        indexed[param.name] = param
    return indexed


def _optional_uri(scanner: Scanner, params: dict[str, Param], name: str) -> str | None:
    return uri(scanner, params[name].value, name) if name in params else None


def _value(params: dict[str, Param], name: str) -> str:
    return params[name].value if name in params else ""


def _category_class(scanner: Scanner, param: Param | None) -> str | None:
    """class = "action" | "mixin" | "kind"; clients may omit it in filters and requests."""
    if param is None:
        return None
    value = param.value.lower()
    if value not in CATEGORY_CLASSES:
        raise scanner.error(f"bad class {clip(param.value, 30)!r}")
    return value


def attribute_list(scanner: Scanner, text: str) -> tuple[AttributeDef, ...]:
    """attribute-list = attribute-def *( 1*SP attribute-def )"""
    return tuple(attribute_def(scanner, member) for member in _space_separated(scanner, text))


def _space_separated(scanner: Scanner, text: str) -> list[str]:
    """Split on white space, keeping `{immutable required}` attached to its name."""
    members: list[str] = []
    pos = 0
    while pos < len(text):
        if text[pos] in " \t":
            pos += 1
            continue
        found = _ATTRIBUTE_DEF.match(text, pos)
        if found is None or (found.end() < len(text) and text[found.end()] not in " \t"):
            raise scanner.error(f"bad attribute list {clip(text[pos:], 40)!r}")
        members.append(found.group())
        pos = found.end()
    return members


def attribute_def(scanner: Scanner, text: str) -> AttributeDef:
    """attribute-def = attribute-name [ "{" attribute-property *( 1*SP attribute-property ) "}" ]"""
    name, _, rest = text.partition("{")
    if not TERM.fullmatch(name):
        raise scanner.error(f"bad attribute name {clip(name, 40)!r}")
    properties = rest.removesuffix("}").split()
    if rest and not properties:
        raise scanner.error(f"empty properties for attribute {name!r}")
    for prop in properties:
        if prop not in _ATTRIBUTE_PROPERTIES:
            raise scanner.error(f"bad property {clip(prop, 30)!r} of attribute {name!r}")
    return AttributeDef(
        name=name, required="required" in properties, mutable="immutable" not in properties
    )


def type_identifiers(scanner: Scanner, text: str, param: str) -> tuple[str, ...]:
    """action-list / resource-type / link-type: type-identifier *( 1*SP type-identifier )"""
    return tuple(uri(scanner, member, param) for member in text.split())


def uri(scanner: Scanner, text: str, param: str) -> str:
    """A URI or URI-reference: non-empty, no white space, quotes or angle brackets."""
    if not text or _NOT_URI.search(text):
        raise scanner.error(f"bad {param} {clip(text, 60)!r}")
    return text


# --- Link ----------------------------------------------------------------------------------


def link_value(text: str, where: str = "Link") -> LinkRef:
    """link-value = "<" URI-reference ">" ";" "rel" "=" <"> resource-type <"> [ ";" "self" ... ]

    Any parameter other than rel/self/category is a link-attribute (`name=token|quoted`).
    """
    scanner = Scanner(text, where)
    scanner.expect("<")
    target = uri(scanner, scanner.take_until(">"), "link target")
    scanner.expect(">")
    rel: tuple[str, ...] = ()
    self_location: str | None = None
    categories: tuple[str, ...] = ()
    attributes: dict[str, Any] = {}
    for name, param in _unique(scanner, scanner.parameters(), _LINK_PARAMS).items():
        if name == "rel":
            rel = type_identifiers(scanner, _quoted(scanner, param), "rel")
        elif name == "self":
            self_location = uri(scanner, _quoted(scanner, param), "self")
        elif name == "category":
            categories = type_identifiers(scanner, param.value, "category")
        else:
            attributes[_attribute_name(scanner, name)] = _link_attribute_value(scanner, param)
    return LinkRef(
        target=target,
        rel=rel,
        self_location=self_location,
        categories=categories,
        attributes=attributes,
    )


def _quoted(scanner: Scanner, param: Param) -> str:
    if not param.quoted:
        raise scanner.error(f"{param.name} must be a quoted string")
    return param.value


def _link_attribute_value(scanner: Scanner, param: Param) -> Any:
    """link-attribute value = token | quoted-string; typed like an X-OCCI-Attribute value."""
    if param.quoted:
        return param.value
    literal = _literal(scanner, param.value)
    return param.value if literal is None else literal


# --- X-OCCI-Attribute ----------------------------------------------------------------------


def attribute_repr(text: str, where: str = "X-OCCI-Attribute") -> tuple[str, Any]:
    """attribute-repr = attribute-name "=" attribute-value"""
    scanner = Scanner(text, where)
    name = _attribute_name(scanner, scanner.take_match(TERM))
    scanner.skip_ows()
    scanner.expect("=")
    scanner.skip_ows()
    value = attribute_value(scanner)
    if scanner.parameters():
        raise scanner.error("unexpected parameters after the value")
    return name, value


def _attribute_name(scanner: Scanner, name: str) -> str:
    if not TERM.fullmatch(name):
        raise scanner.error(f"bad attribute name {clip(name, 40)!r}")
    return name


def attribute_value(scanner: Scanner) -> Any:
    """attribute-value = string | number | bool | enum-val (enum-val is a quoted string too)"""
    if scanner.peek() == '"':
        return scanner.quoted_string()
    raw = scanner.take_until("; \t")
    value = _literal(scanner, raw)
    if value is None:
        raise scanner.error(f"bad value {clip(raw, 40)!r} (strings must be quoted)")
    return value


def _literal(scanner: Scanner, raw: str) -> int | float | bool | None:
    """number | bool, or None when `raw` is neither."""
    if raw in ("true", "false"):
        return raw == "true"
    try:
        if _INT.fullmatch(raw):
            return int(raw)
        if _FLOAT.fullmatch(raw):
            number = float(raw)
            if not math.isfinite(number):
                raise scanner.error(f"number out of range {clip(raw, 40)!r}")
            return number
    except ValueError:  # int() refuses more than sys.get_int_max_str_digits() digits
        raise scanner.error(f"number out of range {clip(raw, 40)!r}") from None
    return None


# --- X-OCCI-Location -----------------------------------------------------------------------


def location_value(text: str, where: str = "X-OCCI-Location") -> str:
    """location-value = URI-reference"""
    scanner = Scanner(text.strip(" \t"), where)
    return uri(scanner, scanner.text, "location")
