"""Collections: listing with filters and pages, delete-all, mixin membership."""

from __future__ import annotations

from collections.abc import Mapping

from occi_server.backends.base import EntityChanges, EntityQuery
from occi_server.errors import BadRequest, Forbidden, NotFound, PayloadTooLarge
from occi_server.model import Entity, Kind, Mixin
from occi_server.model.request import OcciRequest
from occi_server.service import validation
from occi_server.service.entities import Operation
from occi_server.service.urls import is_local, to_path


def build_query(
    op: Operation,
    collection: Kind | Mixin | None,
    filters: OcciRequest,
    params: Mapping[str, str],
    max_page: int,
    prefix: str | None = None,
) -> EntityQuery:
    """The listing a GET asks for: the collection, Category and attribute filters, a page."""
    query = EntityQuery(location_prefix=prefix)
    if isinstance(collection, Kind):
        query.kinds = op.registry.subkinds(collection)
    elif isinstance(collection, Mixin):
        query.mixins = (collection.type_id,)
    kinds, mixins = validation.split_categories(op.registry, filters.categories)
    for kind in kinds:
        wanted = set(op.registry.subkinds(kind))
        query.kinds = tuple(k for k in (query.kinds or tuple(wanted)) if k in wanted)
    query.mixins = tuple(dict.fromkeys([*query.mixins, *(m.type_id for m in mixins)]))
    query.attributes = _attribute_filter(op, collection, kinds, filters)
    _page(query, params, max_page)
    return query


def _attribute_filter(
    op: Operation, collection: Kind | Mixin | None, kinds: list[Kind], filters: OcciRequest
) -> dict[str, object]:
    """Coerce filter values by their definitions so `2` matches an integer attribute 2."""
    definitions: dict[str, object] = {}
    for kind in [*kinds, *([collection] if isinstance(collection, Kind) else [])]:
        definitions.update(op.registry.attribute_definitions(kind))
    result: dict[str, object] = {}
    for name, value in filters.attributes.items():
        definition = definitions.get(name)
        coerce = getattr(definition, "coerce", None)
        result[name] = coerce(value) if coerce else value
    return result


# Far beyond any collection, and well inside a signed 64-bit SQL integer.
MAX_OFFSET = 2**53


def _page(query: EntityQuery, params: Mapping[str, str], max_page: int) -> None:
    number = params.get("number")
    page = params.get("page")
    if number is None and page is None:
        return
    try:
        size = int(number) if number is not None else max_page
        index = int(page) if page is not None else 1
    except ValueError:
        raise BadRequest("page and number must be whole numbers") from None
    if size < 1 or index < 1:
        raise BadRequest("page and number start at 1")
    if size > max_page:
        raise PayloadTooLarge(f"number {size}: at most {max_page} entities per page")
    # A page far past the end is an empty page, not an OFFSET the database cannot hold.
    query.offset = min((index - 1) * size, MAX_OFFSET)
    query.limit = size


def delete_all(op: Operation, query: EntityQuery) -> int:
    """Delete every listed entity; links already gone with their resource are skipped, and so
    are members the caller may not delete (provider resources such as the shared public
    network, which refuse with 403 before changing anything)."""
    deleted = 0
    for location in op.cloud.list_locations(query):
        try:
            op.cloud.delete_entity(location)
        except (NotFound, Forbidden):
            continue
        deleted += 1
    return deleted


def members(op: Operation, request: OcciRequest) -> list[str]:
    paths = []
    for reference in request.locations:
        path = to_path(reference, op.base_url, what="X-OCCI-Location")
        if not is_local(path):
            raise BadRequest(f"X-OCCI-Location {reference[:80]}: not an entity of this service")
        paths.append(path)
    return list(dict.fromkeys(paths))


def associate(op: Operation, mixin: Mixin, paths: list[str]) -> None:
    """Add the mixin to each entity (POST to a mixin collection)."""
    for path in paths:
        entity = _member(op, path)
        if mixin.type_id in entity.mixins:
            continue
        _check_applies(op, mixin, entity)
        op.cloud.update_entity(path, EntityChanges(add_mixins=[mixin]))


def dissociate(op: Operation, mixin: Mixin, paths: list[str]) -> None:
    for path in paths:
        entity = _member(op, path)
        if mixin.type_id in entity.mixins:
            op.cloud.update_entity(path, EntityChanges(remove_mixins=[mixin]))


def replace_members(op: Operation, mixin: Mixin, paths: list[str]) -> None:
    """PUT on a mixin collection: exactly `paths` carry the mixin afterwards."""
    current = op.cloud.list_locations(EntityQuery(mixins=(mixin.type_id,)))
    dissociate(op, mixin, [p for p in current if p not in paths])
    associate(op, mixin, [p for p in paths if p not in current])


def _member(op: Operation, path: str) -> Entity:
    try:
        return op.cloud.get_entity(path)
    except NotFound:
        raise BadRequest(f"X-OCCI-Location {path}: no such entity") from None


def _check_applies(op: Operation, mixin: Mixin, entity: Entity) -> None:
    kind = op.registry.kind(entity.kind)
    if kind is None:
        raise BadRequest(f"X-OCCI-Location {entity.location}: unknown kind")
    current = [m for t in entity.mixins if (m := op.registry.mixin(t)) is not None]
    validation.check_mixins(
        op.registry, kind, [*current, mixin] if not _is_tpl(op, mixin) else [mixin]
    )


def _is_tpl(op: Operation, mixin: Mixin) -> bool:
    return any(op.registry.depends_on(mixin, b) for b in validation.TEMPLATE_BASES)
