"""The OCCI 1.2 JSON rendering, output side (occi-spec §5; application/occi+json).

Builders turn model objects into plain JSON-ready dicts (`category_object`, `resource_object`,
`link_object`); `JsonRenderer` wraps them into responses. Locations follow the text renderings:
`location`, `source` and `target` members are absolute paths (with the base path of `base_url`),
while `created()` and `locations()` answer with absolute URLs like Location / X-OCCI-Location.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from occi_server.model import Attribute, AttributeType, Category, Entity, Kind, Link, Mixin
from occi_server.rendering.base import Rendered
from occi_server.rendering.text_format import Locator

JSON_MEDIA_TYPES = ("application/occi+json", "application/json")
DRAFT_04 = "http://json-schema.org/draft-04/schema#"

JsonObject = dict[str, Any]

# Members of their own in JSON (occi-spec §1.6 item 8), so never repeated inside `attributes`.
_RESOURCE_TOP = ("occi.core.id", "occi.core.title", "occi.core.summary")
# A Link has no `summary` member (§5.2): occi.core.summary, if a link carries one, stays inside.
_LINK_TOP = (
    "occi.core.id",
    "occi.core.title",
    "occi.core.source",
    "occi.core.target",
    "occi.core.source.kind",
    "occi.core.target.kind",
)
# JSON Schema's own type names are finer than the attribute description's (integer vs number).
_SCHEMA_TYPES = {AttributeType.INTEGER: "integer"}


# --- Values ---------------------------------------------------------------------------------


def json_value(value: Any) -> Any:
    """A stored value as native JSON: NaN/Infinity (not JSON) become strings, tuples lists."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, list | tuple):
        return [json_value(item) for item in value]
    if isinstance(value, dict):
        return {str(key): json_value(item) for key, item in value.items()}
    return str(value)


def dump(document: Any) -> bytes:
    """Serialise compactly but readably; UTF-8 as RFC 8259 requires, no ASCII escaping."""
    return (json.dumps(document, ensure_ascii=False) + "\n").encode("utf-8")


# --- Categories (query interface) -------------------------------------------------------------


def attribute_description(attr: Attribute) -> JsonObject:
    """§5.4: type, mutable and required always explicit (absent `mutable` would mean false)."""
    out: JsonObject = {
        "type": attr.type.json_type,
        "mutable": attr.mutable,
        "required": attr.required,
    }
    # A secret's default could be a real credential; its secrecy itself is not advertised.
    if attr.default is not None and not attr.secret:
        out["default"] = json_value(attr.default)
    if attr.description:
        out["description"] = attr.description
    pattern = attribute_pattern(attr)
    if pattern is not None:
        out["pattern"] = pattern
    return out


def attribute_pattern(attr: Attribute) -> JsonObject | None:
    """The value constraints as a draft-04 JSON Schema; None when the attribute has none."""
    constraints: JsonObject = {}
    if attr.enum is not None:
        constraints["enum"] = list(attr.enum)
    if attr.pattern is not None:
        # JSON Schema patterns search; the model's are matched whole (re.fullmatch).
        constraints["pattern"] = f"^(?:{attr.pattern})$"
    if attr.minimum is not None:
        constraints["minimum"] = attr.minimum
    if attr.maximum is not None:
        constraints["maximum"] = attr.maximum
    if not constraints:
        return None
    schema_type = _SCHEMA_TYPES.get(attr.type, attr.type.json_type)
    return {"$schema": DRAFT_04, "type": schema_type, **constraints}


def category_object(category: Category, locator: Locator | None = None) -> JsonObject:
    """§5.3: a Kind, Mixin or Action; empty lists are left out, `attributes` is always there."""
    locator = locator or Locator("")
    out: JsonObject = {"term": category.term, "scheme": category.scheme}
    if category.title:
        out["title"] = category.title
    if isinstance(category, Kind):
        _put(out, "parent", category.parent)
    elif isinstance(category, Mixin):
        _put(out, "depends", list(category.depends))
        _put(out, "applies", list(category.applies))
    if isinstance(category, Kind | Mixin) and category.location:
        out["location"] = locator.path(category.location)
    out["attributes"] = {a.name: attribute_description(a) for a in category.attributes}
    if isinstance(category, Kind | Mixin):
        _put(out, "actions", list(category.actions))
    return out


def model_object(categories: Iterable[Category], locator: Locator | None = None) -> JsonObject:
    """§5.6 query interface: all three arrays, always present, in the order given."""
    model: JsonObject = {"kinds": [], "mixins": [], "actions": []}
    for category in categories:
        model[category.category_class + "s"].append(category_object(category, locator))
    return model


def _put(out: JsonObject, name: str, value: Any) -> None:
    if value:
        out[name] = value


# --- Entities ---------------------------------------------------------------------------------


def resource_object(resource: Entity, locator: Locator) -> JsonObject:
    """§5.1 plus `location`; links are full link objects (§5.2) whose source is this resource."""
    out = _entity_head(resource, _RESOURCE_TOP)
    links: Sequence[Link] = getattr(resource, "links", ())
    _put(out, "links", [link_object(link, locator, resource.kind) for link in links])
    out["location"] = locator.path(resource.location)
    return out


def link_object(link: Link, locator: Locator, source_kind: str | None = None) -> JsonObject:
    """§5.2 plus `location`; `source_kind` fills source.kind for links rendered in a resource."""
    out = _entity_head(link, _LINK_TOP)
    out["source"] = _endpoint(locator.path(link.source), link.source_kind or source_kind)
    out["target"] = _endpoint(locator.path(link.target), link.target_kind)
    out["location"] = locator.path(link.location)
    return out


def entity_object(entity: Entity, locator: Locator) -> JsonObject:
    if isinstance(entity, Link):
        return link_object(entity, locator)
    return resource_object(entity, locator)


def _entity_head(entity: Entity, top: tuple[str, ...]) -> JsonObject:
    """kind, mixins, id, title[, summary], attributes, actions: the members both objects share."""
    out: JsonObject = {"kind": entity.kind}
    _put(out, "mixins", list(entity.mixins))
    out["id"] = entity.id
    for name in ("title", "summary"):
        value = entity.attributes.get(f"occi.core.{name}")
        if value is not None and f"occi.core.{name}" in top:
            out[name] = json_value(value)
    out["attributes"] = {
        name: json_value(value)
        for name, value in sorted(entity.attributes.items())
        if name not in top and value is not None
    }
    _put(out, "actions", list(entity.actions))
    return out


def _endpoint(location: str, kind: str | None) -> JsonObject:
    return {"location": location, "kind": kind} if kind else {"location": location}


# --- Renderer -------------------------------------------------------------------------------


class JsonRenderer:
    """application/occi+json and its alias application/json (Content-Type echoes the request)."""

    # Collections are rendered with their members in full (http/ checks this attribute).
    wants_entities: ClassVar[bool] = True

    def __init__(self, media_type: str, base_url: str) -> None:
        self.media_type = media_type
        self.locator = Locator(base_url)

    def _json(self, document: Any) -> Rendered:
        return Rendered(self.media_type, dump(document))

    def categories(self, categories: Sequence[Category]) -> Rendered:
        return self._json(model_object(categories, self.locator))

    def entity(self, entity: Entity) -> Rendered:
        return self._json(entity_object(entity, self.locator))

    def entities(self, entities: Sequence[Entity]) -> Rendered:
        """Both arrays always, so a client finds its key even in an empty or mixed listing."""
        resources = [resource_object(e, self.locator) for e in entities if not isinstance(e, Link)]
        links = [link_object(e, self.locator) for e in entities if isinstance(e, Link)]
        return self._json({"resources": resources, "links": links})

    def locations(self, paths: Sequence[str]) -> Rendered:
        """Absolute URLs, as X-OCCI-Location carries them (the parser reads this shape back)."""
        return self._json({"locations": [self.locator.url(path) for path in paths]})

    def created(self, path: str) -> Rendered:
        """The new entity's absolute URL, the same as the Location header."""
        return self._json({"location": self.locator.url(path)})

    def ok(self) -> Rendered:
        return self._json({})

    def error(self, status: int, message: str) -> Rendered:
        return self._json({"code": status, "message": message})
