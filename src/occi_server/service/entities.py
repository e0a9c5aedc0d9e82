"""Entity operations: create, read, partial update, full replace, delete."""

from __future__ import annotations

from dataclasses import dataclass

from occi_server.backends.base import EntityChanges, EntityDraft, ProjectCloud
from occi_server.categories import core
from occi_server.errors import BadRequest, NotFound, PreconditionFailed
from occi_server.model import Entity, Kind, Link, Mixin
from occi_server.model.request import OcciRequest
from occi_server.registry import Registry
from occi_server.service import links, validation
from occi_server.service.urls import check_new_location, to_path


@dataclass(slots=True)
class Operation:
    """What every service call needs: the caller's cloud and registry."""

    cloud: ProjectCloud
    registry: Registry
    base_url: str
    max_attributes: int = 256
    # (project, catalogue version): identifies the registry for caches.
    catalogue_key: tuple[str, str] = ("", "")


# If-Match as http/ parsed it: the entity versions (ETags without quotes) a change is for;
# "*" matches any existing entity; None when the request sets no condition.
IfMatch = frozenset[str] | None


def check_version(entity: Entity, expected: IfMatch) -> None:
    """412 unless the entity is at a version the client expects (RFC 9110 §13.1.1)."""
    if expected is None or "*" in expected:
        return
    if entity.version is None or entity.version not in expected:
        raise PreconditionFailed(
            f"If-Match: {entity.location} is at version {entity.version}, not the one given"
        )


def create(
    op: Operation, request: OcciRequest, collection: Kind | None = None, location: str | None = None
) -> str:
    """Create an entity from a request posted to `collection` (or PUT at `location`); its
    location."""
    registry = op.registry
    kinds, mixins = validation.split_categories(registry, request.categories)
    if len(kinds) > 1:
        raise BadRequest(
            "Category: exactly one kind is allowed, got " + ", ".join(k.type_id for k in kinds)
        )
    kind = kinds[0] if kinds else collection
    if kind is None:
        raise BadRequest("Category: a kind is required to create an entity")
    if collection is not None and kind.type_id != collection.type_id:
        raise BadRequest(
            f"Category {kind.type_id}: does not belong in collection {collection.location}"
        )
    if kind.location is None:
        raise BadRequest(f"kind {kind.type_id}: is abstract and cannot be instantiated")
    if location is not None:
        _check_chosen_location(registry, kind, location)
    validation.check_limits(request.attributes, op.max_attributes)
    validation.check_mixins(registry, kind, mixins)
    client_id = request.attributes.get("occi.core.id")
    if client_id is not None and not isinstance(client_id, str):
        raise BadRequest("attribute occi.core.id: must be a string")
    draft = EntityDraft(kind=kind, mixins=mixins, id=client_id, location=location)
    if registry.is_a(kind, core.LINK):
        if request.links:
            raise BadRequest("Link: a link entity cannot carry Link renderings")
        draft.link = links.standalone_link(registry, kind, mixins, request.attributes, op.base_url)
        draft.attributes = draft.link.attributes
    else:
        definitions = registry.attribute_definitions(kind, mixins)
        values = validation.coerce_attributes(definitions, request.attributes, creating=True)
        draft.attributes = validation.apply_defaults(definitions, values)
        draft.links = [
            links.inline_link(registry, ref, op.base_url)
            for ref in request.links
            if not ref.is_action_link
        ]
    return op.cloud.create_entity(draft)


def _check_chosen_location(registry: Registry, kind: Kind, location: str) -> None:
    """A path chosen by PUT must be addressable and may not sit in another kind's collection."""
    check_new_location(location)
    owner = max((p for p in registry.locations() if location.startswith(p)), key=len, default=None)
    category = registry.at_location(owner) if owner else None
    if isinstance(category, Kind) and category.type_id != kind.type_id:
        raise BadRequest(
            f"{location}: lies in the collection of {category.type_id}, not {kind.type_id}"
        )
    if isinstance(category, Mixin):
        raise BadRequest(f"{location}: lies in the mixin collection {owner}")


def read(op: Operation, location: str) -> Entity:
    return op.cloud.get_entity(location)


def console_log(op: Operation, location: str) -> str:
    """The serial console log of the compute at `location` (its last 64 KiB), where the
    cloud keeps one; 404 for any other entity or a cloud that keeps none."""
    reader = getattr(op.cloud, "console_log", None)
    if reader is None:
        raise NotFound(f"this cloud keeps no console log of {location}")
    text: str = reader(location)
    return text


def update(op: Operation, location: str, request: OcciRequest, expected: IfMatch = None) -> Entity:
    """Partial update (POST): add mixins, set attributes, add links."""
    current = op.cloud.get_entity(location)
    check_version(current, expected)
    kind, mixins = _entity_categories(op.registry, current)
    new_kinds, new_mixins = validation.split_categories(op.registry, request.categories)
    _check_same_kind(current, new_kinds)
    added = [m for m in new_mixins if m.type_id not in current.mixins]
    validation.check_mixins(op.registry, kind, _replace_templates(op.registry, mixins, added))
    validation.check_limits(request.attributes, op.max_attributes)
    definitions = op.registry.attribute_definitions(kind, [*mixins, *added])
    values = validation.coerce_attributes(
        definitions, request.attributes, current=current.attributes, creating=False
    )
    changes = EntityChanges(add_mixins=added, set_attributes=values)
    if isinstance(current, Link):
        if request.links:
            raise BadRequest("Link: a link entity cannot carry Link renderings")
        _link_endpoint_changes(op, current, request, changes)
    else:
        changes.add_links = [
            links.inline_link(op.registry, ref, op.base_url)
            for ref in request.links
            if not ref.is_action_link
        ]
    return op.cloud.update_entity(location, changes)


def put(
    op: Operation, location: str, request: OcciRequest, expected: IfMatch = None
) -> Entity | str:
    """PUT at a location: a full update of the entity there (the entity), or a creation (its
    location). If-Match holds only for an entity that exists."""
    try:
        current = op.cloud.get_entity(location)
    except NotFound:
        if expected is not None:
            raise PreconditionFailed(f"If-Match: there is no entity at {location}") from None
        return create(op, request, location=location)
    check_version(current, expected)
    return replace(op, current, request)


def replace(op: Operation, current: Entity, request: OcciRequest) -> Entity:
    """Full update of `current`: what the request leaves out goes, links stay."""
    location = current.location
    kind, mixins = _entity_categories(op.registry, current)
    new_kinds, new_mixins = validation.split_categories(op.registry, request.categories)
    _check_same_kind(current, new_kinds)
    _reject_new_links(current, request)
    validation.check_mixins(op.registry, kind, new_mixins)
    validation.check_limits(request.attributes, op.max_attributes)
    # Templates are replaced, never dropped: a compute always has an image and a size.
    kept = [
        m
        for m in mixins
        if m.type_id not in {n.type_id for n in new_mixins}
        and _is_template(op.registry, m)
        and validation.template_of(op.registry, new_mixins, _template_base(op.registry, m)) is None
    ]
    target_mixins = [*new_mixins, *kept]
    definitions = op.registry.attribute_definitions(kind, target_mixins)
    values = validation.coerce_attributes(
        definitions, request.attributes, current=current.attributes, creating=False
    )
    values = validation.apply_defaults(
        {n: d for n, d in definitions.items() if d.required and d.mutable}, values
    )
    # What a template sets (a flavor's cores and memory, an image's architecture) stays with
    # the template: a compute keeping m1.tiny keeps its 1 core even when the PUT leaves it out.
    templated = {
        a.name for m in target_mixins if _is_template(op.registry, m) for a in m.attributes
    }
    removable = [
        n
        for n, d in definitions.items()
        if d.mutable and n in current.attributes and n not in values and n not in templated
    ]
    changes = EntityChanges(
        add_mixins=[m for m in target_mixins if m.type_id not in current.mixins],
        remove_mixins=[m for m in mixins if m.type_id not in {t.type_id for t in target_mixins}],
        set_attributes=values,
        remove_attributes=removable,
    )
    if isinstance(current, Link):
        _link_endpoint_changes(op, current, request, changes)
    return op.cloud.update_entity(location, changes)


def delete(op: Operation, location: str, expected: IfMatch = None) -> None:
    if expected is not None:
        check_version(op.cloud.get_entity(location), expected)
    op.cloud.delete_entity(location)


def _entity_categories(registry: Registry, entity: Entity) -> tuple[Kind, list[Mixin]]:
    kind = registry.kind(entity.kind)
    if kind is None:
        raise NotFound(f"{entity.location}: its kind is no longer offered")
    mixins = [m for t in entity.mixins if (m := registry.mixin(t)) is not None]
    return kind, mixins


def _check_same_kind(current: Entity, kinds: list[Kind]) -> None:
    for kind in kinds:
        if kind.type_id != current.kind:
            raise BadRequest(f"Category {kind.type_id}: the kind of an entity cannot change")


def _is_template(registry: Registry, mixin: Mixin) -> bool:
    return any(
        mixin.type_id != b and registry.depends_on(mixin, b) for b in validation.TEMPLATE_BASES
    )


def _template_base(registry: Registry, mixin: Mixin) -> str:
    return next(b for b in validation.TEMPLATE_BASES if registry.depends_on(mixin, b))


def _replace_templates(registry: Registry, current: list[Mixin], added: list[Mixin]) -> list[Mixin]:
    """The mixin set after `added`: a new template takes the place of the old one of its sort."""
    result = list(added)
    for mixin in current:
        if (
            _is_template(registry, mixin)
            and validation.template_of(registry, added, _template_base(registry, mixin)) is not None
        ):
            continue
        result.append(mixin)
    return result


def _reject_new_links(current: Entity, request: OcciRequest) -> None:
    """A PUT may echo the links it got (pOCCI does) but never add any."""
    known = {link.location for link in getattr(current, "links", [])} | {
        link.target for link in getattr(current, "links", [])
    }
    for ref in request.links:
        if ref.is_action_link:
            continue
        if (
            ref.self_location and _path_tail(ref.self_location) in {_path_tail(k) for k in known}
        ) or _path_tail(ref.target) in {_path_tail(k) for k in known}:
            continue
        raise BadRequest(f"Link {ref.target[:80]}: a full update cannot add links")


def _path_tail(reference: str) -> str:
    index = reference.find("/", reference.find("//") + 2) if "//" in reference else 0
    return reference[index:]


def _link_endpoint_changes(
    op: Operation, current: Link, request: OcciRequest, changes: EntityChanges
) -> None:
    """Source and target are fixed once a link exists (a moved attachment is a new link)."""
    del changes
    for name, now in (("occi.core.source", current.source), ("occi.core.target", current.target)):
        value = request.attributes.get(name)
        if value is None:
            continue
        if (
            not isinstance(value, str)
            or to_path(value, op.base_url, what=f"attribute {name}") != now
        ):
            raise BadRequest(f"attribute {name}: is immutable")
