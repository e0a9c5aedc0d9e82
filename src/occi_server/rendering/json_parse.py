"""The OCCI 1.2 JSON rendering, input side: a request body -> one OcciRequest (occi-spec §5).

The parser does not know the route, so the document's shape decides what it is:

* an array, or an object with `resources` / `locations` -> entity locations (mixin membership);
* `{"links": [...]}` alone -> its members with a `location` are entity locations (a link
  collection), the others inline links of a partial update;
* `{"action": ...}` -> an action invocation;
* an object with `term` / `scheme` -> one category (user mixin creation or deletion);
* `{"kinds": ...}`, or `mixins` / `actions` holding objects -> category collections;
* anything else -> a resource or link object (whole or partial; `kind` and `id` optional).

As with the text parsers, OCCI structures in the request headers (filters) are merged in.
"""

from __future__ import annotations

from typing import Any

from occi_server.model.request import AttributeDef, CategoryRef, LinkRef, OcciRequest
from occi_server.rendering import json_reader as jr
from occi_server.rendering.json_reader import child, fail
from occi_server.rendering.text_grammar import TERM
from occi_server.rendering.text_parse import Headers, parse_headers_only

_ENTITY_MEMBERS = frozenset(
    {"kind", "mixins", "id", "title", "summary", "attributes", "actions", "links", "location"}
)
_LINK_MEMBERS = frozenset({*_ENTITY_MEMBERS - {"links", "summary"}, "source", "target", "rel"})
_CATEGORY_MEMBERS = frozenset(
    {"term", "scheme", "title", "attributes", "actions", "parent", "depends", "applies", "location"}
)
_DESCRIPTION_MEMBERS = frozenset(
    {"type", "mutable", "required", "pattern", "default", "description"}
)
_JSON_TYPES = ("string", "number", "boolean", "array", "object")
_COLLECTIONS = {"kinds": "kind", "mixins": "mixin", "actions": "action"}
# Members that only an entity has: their presence rules out a category collection.
_ENTITY_ONLY = frozenset({"kind", "id", "title", "summary", "attributes", "links", "source"})
# Core attributes the service reads as strings; a wrong type is caught here with its pointer.
_STRING_ATTRIBUTES = frozenset(
    {"occi.core.id", "occi.core.title", "occi.core.summary", "occi.core.source"}
    | {"occi.core.target", "occi.core.target.kind", "occi.core.source.kind"}
)


def parse_json(headers: Headers, body: bytes) -> OcciRequest:
    """application/occi+json and application/json: header structures plus the body document."""
    request = parse_headers_only(headers)
    if not body.strip():
        return request
    return merge(request, read_document(jr.load(body)))


def merge(request: OcciRequest, body: OcciRequest) -> OcciRequest:
    """Header structures first, then the body's, as text/plain orders them."""
    request.categories += body.categories
    request.links += body.links
    request.locations += body.locations
    for name, value in body.attributes.items():
        if name in request.attributes:
            raise fail(child("/attributes", name), "also given in an X-OCCI-Attribute header")
        request.attributes[name] = value
    return request


def read_document(document: Any) -> OcciRequest:
    if isinstance(document, list):
        return OcciRequest(locations=_references(document, ""))
    obj = jr.as_object(document, "", "must be an object or an array")
    if "action" in obj:
        return _invocation(obj)
    if "term" in obj or "scheme" in obj:
        return OcciRequest(categories=[category_ref(obj, "", None)])
    if "kinds" in obj or _holds_category_objects(obj):
        return _category_collection(obj)
    if "resources" in obj or "locations" in obj:
        return _entity_collection(obj)
    if set(obj) == {"links"}:
        return _links_only(obj["links"])
    return entity(obj, "")


def _holds_category_objects(obj: dict[str, Any]) -> bool:
    if obj.keys() & _ENTITY_ONLY:
        return False
    arrays = [obj.get(name) for name in ("mixins", "actions")]
    return any(isinstance(a, list) and any(isinstance(i, dict) for i in a) for a in arrays)


# --- Entities ---------------------------------------------------------------------------------


def entity(obj: dict[str, Any], pointer: str) -> OcciRequest:
    """A resource or link object; a link when it has `source` or `target` (§5.1, §5.2)."""
    is_link = "source" in obj or "target" in obj
    jr.check_members(obj, _LINK_MEMBERS if is_link else _ENTITY_MEMBERS, pointer)
    request = OcciRequest(categories=_entity_categories(obj, pointer))
    request.attributes = attribute_values(obj, pointer)
    jr.string_list(obj, "actions", pointer)  # server-computed: checked, then ignored
    if "location" in obj:  # ignored as well: the URL names the entity (occi-spec §5.1)
        jr.location(obj["location"], child(pointer, "location"))
    if is_link:
        _endpoints(obj, pointer, request.attributes)
    if "links" in obj:
        where = child(pointer, "links")
        items = jr.as_array(obj["links"], where)
        request.links = [link_ref(item, child(where, i)) for i, item in enumerate(items)]
    return request


def _entity_categories(obj: dict[str, Any], pointer: str) -> list[CategoryRef]:
    refs = []
    if "kind" in obj:
        refs.append(_type_ref(obj["kind"], child(pointer, "kind"), "kind"))
    where = child(pointer, "mixins")
    for index, type_id in enumerate(jr.string_list(obj, "mixins", pointer)):
        refs.append(_type_ref(type_id, child(where, index), "mixin"))
    return refs


def _type_ref(value: Any, pointer: str, category_class: str) -> CategoryRef:
    scheme, term = jr.type_identifier(value, pointer)
    return CategoryRef(term=term, scheme=scheme, category_class=category_class)


def attribute_values(obj: dict[str, Any], pointer: str) -> dict[str, Any]:
    """`attributes` plus the top-level id/title/summary, which win over their occi.core names."""
    values = _attributes_member(obj, pointer)
    for member in ("id", "title", "summary"):
        if member in obj:
            values[f"occi.core.{member}"] = jr.as_string(obj[member], child(pointer, member))
    return values


def _attributes_member(obj: dict[str, Any], pointer: str) -> dict[str, Any]:
    if "attributes" not in obj:
        return {}
    where = child(pointer, "attributes")
    values: dict[str, Any] = {}
    for name, value in jr.as_object(obj["attributes"], where).items():
        at = child(where, name)
        if not TERM.fullmatch(name):
            raise fail(at, "bad attribute name")
        if value is None:
            raise fail(at, "null is not a value (leave the attribute out instead)")
        if name in _STRING_ATTRIBUTES and not isinstance(value, str):
            raise fail(at, "must be a string")
        values[name] = value
    return values


def _endpoints(obj: dict[str, Any], pointer: str, attributes: dict[str, Any]) -> None:
    """source/target objects -> occi.core.source / target / target.kind (they win, like id)."""
    for end in ("source", "target"):
        if end not in obj:
            continue
        location, kind = endpoint(obj[end], child(pointer, end))
        attributes[f"occi.core.{end}"] = location
        if kind is not None and end == "target":
            attributes["occi.core.target.kind"] = kind


def endpoint(value: Any, pointer: str) -> tuple[str, str | None]:
    """`{"location": ..., "kind": ...}` (§5.2)."""
    problem = "must be an object with a location"
    obj = jr.as_object(value, pointer, problem)
    if "location" not in obj:
        raise fail(pointer, problem)
    jr.check_members(obj, frozenset({"location", "kind"}), pointer)
    location = jr.location(obj["location"], child(pointer, "location"))
    if "kind" not in obj:
        return location, None
    jr.type_identifier(obj["kind"], child(pointer, "kind"))
    return location, str(obj["kind"])


def link_ref(value: Any, pointer: str) -> LinkRef:
    """An inline link of a resource: `source` may be left out (it is the resource itself)."""
    obj = jr.as_object(value, pointer)
    jr.check_members(obj, _LINK_MEMBERS, pointer)
    if "target" not in obj:
        raise fail(child(pointer, "target"), "must be an object with a location")
    target, target_kind = endpoint(obj["target"], child(pointer, "target"))
    if "source" in obj:
        endpoint(obj["source"], child(pointer, "source"))
    # rOCCI's link schema has a `rel` (the target kind); target.kind is the 1.2 place for it.
    rel = target_kind or jr.optional_string(obj, "rel", pointer)
    jr.string_list(obj, "actions", pointer)
    self_location = None
    if "location" in obj:
        self_location = jr.location(obj["location"], child(pointer, "location"))
    return LinkRef(
        target=target,
        rel=(jr.uri(rel, child(pointer, "rel")),) if rel else (),
        self_location=self_location,
        categories=tuple(c.type_id for c in _entity_categories(obj, pointer)),
        attributes=attribute_values(obj, pointer),
    )


def _links_only(value: Any) -> OcciRequest:
    request = OcciRequest()
    for index, item in enumerate(jr.as_array(value, "/links")):
        where = child("/links", index)
        if isinstance(item, dict) and "location" in item:
            request.locations.append(jr.location(item["location"], child(where, "location")))
        else:
            request.links.append(link_ref(item, where))
    return request


# --- Collections of entities (mixin membership) ---------------------------------------------


def _entity_collection(obj: dict[str, Any]) -> OcciRequest:
    jr.check_members(obj, frozenset({"resources", "links", "locations"}), "")
    locations: list[str] = []
    for name in ("resources", "links", "locations"):
        if name in obj:
            locations += _references(jr.as_array(obj[name], child("", name)), child("", name))
    return OcciRequest(locations=locations)


def _references(items: list[Any], pointer: str) -> list[str]:
    """Location strings (rOCCI) or entity objects with a `location` (our own listings)."""
    locations = []
    for index, item in enumerate(items):
        where = child(pointer, index)
        if isinstance(item, dict):
            if "location" not in item:
                raise fail(where, "must be a location or an object with a location")
            locations.append(jr.location(item["location"], child(where, "location")))
        else:
            locations.append(jr.location(item, where))
    return locations


# --- Actions and categories ---------------------------------------------------------------------


def _invocation(obj: dict[str, Any]) -> OcciRequest:
    """`{"action": "<scheme>#<term>", "attributes": {...}}` (§5.6)."""
    jr.check_members(obj, frozenset({"action", "attributes"}), "")
    action = _type_ref(obj["action"], "/action", "action")
    return OcciRequest(categories=[action], attributes=_attributes_member(obj, ""))


def _category_collection(obj: dict[str, Any]) -> OcciRequest:
    jr.check_members(obj, frozenset(_COLLECTIONS), "")
    request = OcciRequest()
    for name, category_class in _COLLECTIONS.items():
        where = child("", name)
        for index, item in enumerate(jr.as_array(obj.get(name, []), where)):
            request.categories.append(category_ref(item, child(where, index), category_class))
    return request


def category_ref(value: Any, pointer: str, category_class: str | None) -> CategoryRef:
    """A Kind/Mixin/Action object (§5.3). Without a class from context, `parent` marks a kind
    and `depends`/`applies` a mixin; otherwise the class stays open, as in a text filter."""
    obj = jr.as_object(value, pointer)
    jr.check_members(obj, _CATEGORY_MEMBERS, pointer)
    if category_class is None:
        category_class = "kind" if "parent" in obj else None
        category_class = "mixin" if obj.keys() & {"depends", "applies"} else category_class
    parent = jr.optional_string(obj, "parent", pointer)
    rel = [parent] if parent is not None else jr.string_list(obj, "depends", pointer)
    jr.string_list(obj, "applies", pointer)  # not carried by CategoryRef; checked only
    location = obj.get("location")
    if location is not None:
        location = jr.location(location, child(pointer, "location"))
    return CategoryRef(
        term=jr.term(jr.required_string(obj, "term", pointer), child(pointer, "term")),
        scheme=jr.uri(jr.required_string(obj, "scheme", pointer), child(pointer, "scheme")),
        category_class=category_class,
        title=jr.optional_string(obj, "title", pointer),
        rel=tuple(jr.uri(r, child(pointer, "depends")) for r in rel),
        location=location,
        attributes=_attribute_defs(obj, pointer),
        actions=tuple(jr.string_list(obj, "actions", pointer)),
    )


def _attribute_defs(obj: dict[str, Any], pointer: str) -> tuple[AttributeDef, ...]:
    if "attributes" not in obj:
        return ()
    where = child(pointer, "attributes")
    return tuple(
        attribute_def(name, description, child(where, name))
        for name, description in jr.as_object(obj["attributes"], where).items()
    )


def attribute_def(name: str, value: Any, pointer: str) -> AttributeDef:
    """§5.4 attribute description; an absent `mutable` means immutable in JSON (unlike text)."""
    if not TERM.fullmatch(name):
        raise fail(pointer, "bad attribute name")
    obj = jr.as_object(value, pointer, "must be an attribute description object")
    jr.check_members(obj, _DESCRIPTION_MEMBERS, pointer)
    kind = jr.optional_string(obj, "type", pointer)
    if kind is not None and kind not in _JSON_TYPES:
        raise fail(child(pointer, "type"), f"must be one of {', '.join(_JSON_TYPES)}")
    # rOCCI sends the pattern as a regex string, the spec as a JSON Schema object: take both.
    if "pattern" in obj and not isinstance(obj["pattern"], dict | str):
        raise fail(child(pointer, "pattern"), "must be a JSON Schema object or a string")
    jr.optional_string(obj, "description", pointer)
    return AttributeDef(
        name=name,
        required=jr.optional_bool(obj, "required", pointer, False),
        mutable=jr.optional_bool(obj, "mutable", pointer, False),
    )
