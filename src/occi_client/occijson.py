"""The OCCI JSON rendering (GFD.225): reading what servers send, writing requests.

Accepts the variants seen in the wild: occi.core.* at the top level (the spec, ooi) or inside
`attributes` (rOCCI, MartServer); `pattern` as an object or a regex string; a missing `mutable`
read as the spec says (immutable); collections under `resources`/`links`; a bare array of
locations; entities without `location` (placed in their kind's collection by id).
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from occi_client.model import AttributeDef, Category, Entity, Link

MEDIA_TYPES = ("application/occi+json", "application/json")
_TOP = {"id": "occi.core.id", "title": "occi.core.title", "summary": "occi.core.summary"}


class JSONRenderingError(ValueError):
    """A JSON document that is not an OCCI rendering this parser understands."""


def is_json(media_type: str) -> bool:
    return media_type.split(";")[0].strip().lower() in MEDIA_TYPES


def _document(response: httpx.Response) -> Any:
    if not response.content.strip():
        return None
    try:
        return response.json()
    except json.JSONDecodeError as error:
        raise JSONRenderingError(f"invalid JSON from {response.url}: {error}") from error


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise JSONRenderingError(f"{what} must be a JSON object, got {type(value).__name__}")
    return value


def _strings(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise JSONRenderingError(f"{what} must be an array of strings")
    return list(value)


# --- Categories -------------------------------------------------------------------------------


def attribute_def(name: str, value: Any) -> AttributeDef:
    spec = _object(value, f"attribute {name}")
    pattern = spec.get("pattern")
    return AttributeDef(
        name=name,
        type=str(spec.get("type", "string")),
        mutable=bool(spec.get("mutable", False)),
        required=bool(spec.get("required", False)),
        default=spec.get("default"),
        description=spec.get("description"),
        pattern=pattern,
    )


def category(value: Any, cls: str) -> Category:
    doc = _object(value, cls)
    try:
        term, scheme = str(doc["term"]), str(doc["scheme"])
    except KeyError as missing:
        raise JSONRenderingError(f"{cls} without {missing.args[0]}") from None
    attributes = _object(doc.get("attributes") or {}, f"{term}.attributes")
    parent = doc.get("parent")
    return Category(
        term=term,
        scheme=scheme,
        category_class=cls,  # type: ignore[arg-type]
        title=doc.get("title"),
        location=doc.get("location"),
        attributes={k: attribute_def(k, v) for k, v in attributes.items()},
        actions=_strings(doc.get("actions"), f"{term}.actions"),
        parent=str(parent) if parent else None,
        depends=_strings(doc.get("depends"), f"{term}.depends"),
        applies=_strings(doc.get("applies"), f"{term}.applies"),
    )


def parse_model(response: httpx.Response) -> list[Category]:
    doc = _document(response)
    if doc is None:
        return []
    doc = _object(doc, "the query interface")
    if "term" in doc:  # a single category
        return [category(doc, _guess_class(doc))]
    out: list[Category] = []
    for key, cls in (("kinds", "kind"), ("mixins", "mixin"), ("actions", "action")):
        for item in doc.get(key) or []:
            out.append(category(item, cls))
    return out


def _guess_class(doc: dict[str, Any]) -> str:
    if "parent" in doc:
        return "kind"
    if "depends" in doc or "applies" in doc or "location" in doc:
        return "mixin"
    return "action"


# --- Entities ---------------------------------------------------------------------------------


def _endpoint(value: Any) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    if isinstance(value, str):
        return value, None
    doc = _object(value, "source/target")
    location = doc.get("location")
    return (str(location) if location is not None else None), doc.get("kind")


def entity(value: Any) -> Entity:
    doc = _object(value, "entity")
    if "kind" not in doc:
        raise JSONRenderingError("entity without kind")
    attributes = dict(_object(doc.get("attributes") or {}, "attributes"))
    for member, name in _TOP.items():
        if doc.get(member) is not None:
            attributes[name] = doc[member]
    for member in ("source", "target"):
        location, kind = _endpoint(doc.get(member))
        if location is not None:
            attributes[f"occi.core.{member}"] = location
        if kind is not None:
            attributes[f"occi.core.{member}.kind"] = kind
    return Entity(
        kind=str(doc["kind"]),
        mixins=_strings(doc.get("mixins"), "mixins"),
        attributes=attributes,
        links=[inline_link(x) for x in doc.get("links") or []],
        actions=_strings(doc.get("actions"), "actions"),
        location=doc.get("location"),
    )


def inline_link(value: Any) -> Link:
    doc = _object(value, "link")
    target, target_kind = _endpoint(doc.get("target"))
    source, _ = _endpoint(doc.get("source"))
    if target is None:
        raise JSONRenderingError("link without target")
    attributes = dict(_object(doc.get("attributes") or {}, "link attributes"))
    for member, name in _TOP.items():
        if doc.get(member) is not None:
            attributes[name] = doc[member]
    rel = [target_kind] if target_kind else _strings(doc.get("rel"), "rel")
    return Link(
        target=target,
        rel=rel,
        location=doc.get("location"),
        kind=doc.get("kind"),
        mixins=_strings(doc.get("mixins"), "mixins"),
        attributes=attributes,
        source=source,
    )


def parse_entity(response: httpx.Response) -> Entity | None:
    doc = _document(response)
    if not isinstance(doc, dict) or "kind" not in doc:
        return None
    return entity(doc)


def parse_entities(response: httpx.Response) -> list[Entity]:
    doc = _document(response)
    if doc is None:
        return []
    if isinstance(doc, list):  # rOCCI: bare locations
        return [Entity(kind="", location=str(x)) for x in doc]
    doc = _object(doc, "collection")
    if "kind" in doc:
        return [entity(doc)]
    return [entity(x) for key in ("resources", "links") for x in doc.get(key) or []]


def parse_categories(response: httpx.Response) -> list[Category]:
    return parse_model(response)


# --- Requests ---------------------------------------------------------------------------------


def entity_document(
    kind: Category | None,
    mixins: list[Category],
    attributes: dict[str, Any],
    links: list[Link],
) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    if kind is not None:
        doc["kind"] = kind.type_id
    if mixins:
        doc["mixins"] = [m.type_id for m in mixins]
    rest = _core_members(doc, attributes)
    if rest:
        doc["attributes"] = rest
    if links:
        doc["links"] = [link_document(x) for x in links]
    return doc


def _core_members(doc: dict[str, Any], attributes: dict[str, Any]) -> dict[str, Any]:
    """occi.core.* to their own members; returns the other attributes."""
    reverse = {v: k for k, v in _TOP.items()}
    rest: dict[str, Any] = {}
    for name, value in attributes.items():
        if name in reverse:
            doc[reverse[name]] = value
        elif name in ("occi.core.source", "occi.core.target"):
            doc.setdefault(name.rpartition(".")[2], {})["location"] = value
        elif name in ("occi.core.source.kind", "occi.core.target.kind"):
            doc.setdefault(name.split(".")[2], {})["kind"] = value
        else:
            rest[name] = value
    return rest


def link_document(link: Link) -> dict[str, Any]:
    doc: dict[str, Any] = {"target": {"location": link.target}}
    if link.rel:
        doc["target"]["kind"] = link.rel[0]
    if link.kind:
        doc["kind"] = link.kind
    if link.mixins:
        doc["mixins"] = list(link.mixins)
    rest = _core_members(doc, link.attributes)
    if rest:
        doc["attributes"] = rest
    return doc


def mixin_document(mixin: Category) -> dict[str, Any]:
    doc: dict[str, Any] = {"term": mixin.term, "scheme": mixin.scheme}
    if mixin.title:
        doc["title"] = mixin.title
    if mixin.location:
        doc["location"] = mixin.location
    if mixin.depends:
        doc["depends"] = list(mixin.depends)
    if mixin.applies:
        doc["applies"] = list(mixin.applies)
    return doc


def action_document(action: Category, parameters: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {"action": action.type_id}
    if parameters:
        doc["attributes"] = dict(parameters)
    return doc


def locations_document(locations: list[str]) -> dict[str, Any]:
    return {"resources": [{"location": x} for x in locations]}
