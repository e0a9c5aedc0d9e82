"""The JSON side of the test client: text-syntax arguments -> JSON request documents, and JSON
responses -> the text-like strings `Parsed` holds, so one test body runs in every rendering.

Requests are translated with the server's text grammar (the arguments are written in text
syntax); responses are formatted back by hand here, independently of the server's text renderer.
"""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import urljoin

from occi_server.model.category import split_type_id
from occi_server.model.request import CategoryRef, LinkRef
from occi_server.rendering.text_grammar import attribute_repr, category_value, link_value

JSON_TYPES = ("application/occi+json", "application/json")
QUERY_PATHS = ("/-/", "/.well-known/org/ogf/occi/-/")
_TOP_LEVEL = {"occi.core.id": "id", "occi.core.title": "title", "occi.core.summary": "summary"}
_ENDPOINTS = {"occi.core.source": "source", "occi.core.target": "target"}


def is_json(media_type: str) -> bool:
    return media_type.split(";")[0].strip() in JSON_TYPES


# --- Requests ---------------------------------------------------------------------------------


def request_document(
    path: str,
    categories: list[str],
    attributes: list[str],
    links: list[str],
    locations: list[str],
) -> Any:
    """The JSON body that says what the text structures say; None when there is nothing."""
    refs = [category_value(c) for c in categories]
    values = dict(attribute_repr(a) for a in attributes)
    if not (refs or values or links or locations):
        return None
    actions = [r for r in refs if r.category_class == "action"]
    if actions:
        return {"action": actions[0].type_id, "attributes": values}
    if path.split("?")[0].endswith(QUERY_PATHS):
        objects = [_category_object(r) for r in refs]
        return objects[0] if len(objects) == 1 else {"mixins": objects}
    if locations and not (refs or values or links):
        return {"resources": [{"location": location} for location in locations]}
    document = _entity_object(refs, values)
    # Action links (echoed from a GET) are not links to create; the server ignores them too.
    refs_to_links = [link_value(x) for x in links]
    if inline := [_link_object(r) for r in refs_to_links if not r.is_action_link]:
        document["links"] = inline
    return document


def _category_object(ref: CategoryRef) -> dict[str, Any]:
    out: dict[str, Any] = {"term": ref.term, "scheme": ref.scheme}
    for name, value in (("title", ref.title), ("location", ref.location)):
        if value:
            out[name] = value
    if ref.rel:
        out["depends"] = list(ref.rel)
    return out


def _entity_object(refs: list[CategoryRef], values: dict[str, Any]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    kinds = [r.type_id for r in refs if r.category_class == "kind"]
    if kinds:
        document["kind"] = kinds[0]
    mixins = [r.type_id for r in refs if r.category_class != "kind"]
    if mixins:
        document["mixins"] = mixins
    _split_attributes(document, values)
    return document


def _split_attributes(document: dict[str, Any], values: dict[str, Any]) -> None:
    """occi.core.* names become their own members, the rest goes into `attributes`."""
    attributes: dict[str, Any] = {}
    for name, value in values.items():
        if name in _TOP_LEVEL:
            document[_TOP_LEVEL[name]] = value
        elif name in _ENDPOINTS:
            document.setdefault(_ENDPOINTS[name], {})["location"] = value
        elif name == "occi.core.target.kind":
            document.setdefault("target", {})["kind"] = value
        elif name != "occi.core.source.kind":
            attributes[name] = value
    if attributes:
        document["attributes"] = attributes


def _link_object(ref: LinkRef) -> dict[str, Any]:
    document: dict[str, Any] = {"target": {"location": ref.target}}
    if ref.rel:
        document["target"]["kind"] = ref.rel[0]
    if ref.categories:
        document["kind"] = ref.categories[0]
    if ref.categories[1:]:
        document["mixins"] = list(ref.categories[1:])
    if ref.self_location:
        document["location"] = ref.self_location
    _split_attributes(document, ref.attributes)
    return document


# --- Responses --------------------------------------------------------------------------------


Structures = tuple[list[str], list[str], dict[str, str], list[str]]


def structures(document: Any, url: str) -> Structures:
    """(categories, links, attributes, locations) in text form; locations absolute URLs."""
    categories: list[str] = []
    links: list[str] = []
    attributes: dict[str, str] = {}
    locations: list[str] = []
    if not isinstance(document, dict):
        return categories, links, attributes, locations
    if document.keys() & {"kinds", "mixins", "actions"} and "kind" not in document:
        for name, cls in (("kinds", "kind"), ("mixins", "mixin"), ("actions", "action")):
            categories += [_category_line(c, cls) for c in document.get(name, [])]
    elif "kind" in document:
        categories, links, attributes = _entity_structures(document)
    elif "resources" in document or "links" in document:
        members = [*document.get("resources", []), *document.get("links", [])]
        locations = [urljoin(url, m["location"]) for m in members]
    elif "locations" in document:
        locations = [urljoin(url, loc) for loc in document["locations"]]
    elif "location" in document:
        locations = [urljoin(url, document["location"])]
    return categories, links, attributes, locations


def _category_line(category: dict[str, Any], cls: str) -> str:
    rel = category.get("parent") or (category.get("depends") or [None])[0]
    title = str(category.get("title", "")).replace(";", " ").replace(",", " ")
    attributes = " ".join(
        name + _properties(description)
        for name, description in category.get("attributes", {}).items()
    )
    params = [
        ("scheme", category["scheme"]),
        ("class", cls),
        ("title", title),
        ("rel", rel),
        ("location", category.get("location")),
        ("attributes", attributes),
        ("actions", " ".join(category.get("actions", []))),
    ]
    return str(category["term"]) + "".join(f"; {n}={_quote(v)}" for n, v in params if v)


def _properties(description: dict[str, Any]) -> str:
    flags = [("immutable", not description["mutable"]), ("required", description["required"])]
    props = [name for name, on in flags if on]
    return "{" + " ".join(props) + "}" if props else ""


def _entity_structures(entity: dict[str, Any]) -> tuple[list[str], list[str], dict[str, str]]:
    categories = [_short_category(entity["kind"], "kind")]
    categories += [_short_category(m, "mixin") for m in entity.get("mixins", [])]
    location = entity.get("location", "")
    links = [
        f"<{location}?action={split_type_id(a)[1]}>; rel={_quote(a)}"
        for a in entity.get("actions", [])
    ]
    links += [_link_line(link) for link in entity.get("links", [])]
    attributes = {name: text_value(v) for name, v in _attribute_values(entity).items()}
    return categories, links, attributes


def _attribute_values(entity: dict[str, Any]) -> dict[str, Any]:
    """Every attribute under its text name: the top-level members back in occi.core.*."""
    values: dict[str, Any] = {}
    for name, member in _TOP_LEVEL.items():
        if member in entity:
            values[name] = entity[member]
    for name, member in _ENDPOINTS.items():
        if member in entity:
            values[name] = entity[member]["location"]
            if "kind" in entity[member]:
                values[name + ".kind"] = entity[member]["kind"]
    values.update(entity.get("attributes", {}))
    return values


def _link_line(link: dict[str, Any]) -> str:
    target = link["target"]
    parts = [
        f"<{target['location']}>",
        f"rel={_quote(target.get('kind', 'http://schemas.ogf.org/occi/core#resource'))}",
        f"self={_quote(link['location'])}",
        f"category={_quote(' '.join([link['kind'], *link.get('mixins', [])]))}",
    ]
    own = {
        n: v
        for n, v in _attribute_values(link).items()
        if not n.startswith(("occi.core.source", "occi.core.target"))
    }
    parts += [f"{name}={text_value(value)}" for name, value in own.items()]
    return "; ".join(parts)


def _short_category(type_id: str, cls: str) -> str:
    scheme, term = split_type_id(type_id)
    return f'{term}; scheme="{scheme}"; class="{cls}"'


def text_value(value: Any) -> str:
    """How the text renderings write a value: strings quoted, numbers and booleans bare."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    if isinstance(value, list | dict):
        return _quote(json.dumps(value, separators=(",", ":")))
    return _quote(str(value))


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
