"""The query interface: discovery with filters, and user-defined mixins."""

from __future__ import annotations

from occi_server.errors import BadRequest, Conflict, Forbidden, NotFound
from occi_server.model import Category, Mixin
from occi_server.model.request import CategoryRef, OcciRequest
from occi_server.registry import Registry
from occi_server.service.entities import Operation
from occi_server.service.urls import to_path

RESERVED_SCHEME = "http://schemas.ogf.org/occi/"
RESERVED_LOCATIONS = ("/-/", "/.well-known/", "/cdmi/")


def discover(registry: Registry, filters: OcciRequest) -> list[Category]:
    """Every category, or the requested ones plus the mixins that depend on a requested mixin.

    A kind filter returns exactly that kind (the OGF 1.1 script counts them); a mixin filter also
    returns its dependants, so filtering on os_tpl or a security-group base lists the templates
    or groups.
    """
    if not filters.categories:
        return registry.categories()
    wanted: list[Category] = []
    for ref in filters.categories:
        category = registry.get(ref.type_id)
        if category is None:
            raise NotFound(f"Category {ref.type_id}: unknown category")
        wanted.append(category)
    mixin_ids = {c.type_id for c in wanted if isinstance(c, Mixin)}
    result = list(wanted)
    if mixin_ids:
        for category in registry.categories():
            if (
                isinstance(category, Mixin)
                and category not in result
                and any(registry.depends_on(category, m) for m in mixin_ids)
            ):
                result.append(category)
    return result


def add_user_mixins(op: Operation, request: OcciRequest) -> list[Mixin]:
    if not request.categories:
        raise BadRequest("Category: give the user mixin to create")
    created: list[Mixin] = []
    for ref in request.categories:
        mixin = _user_mixin(op, ref)
        if mixin is not None:
            op.cloud.create_user_mixin(mixin)
            created.append(mixin)
    return created


def _user_mixin(op: Operation, ref: CategoryRef) -> Mixin | None:
    """The mixin to create; None when the project already has this very one (a re-run of a
    script: 200, nothing changes). The same identity with another definition is a 409."""
    if ref.category_class not in (None, "mixin"):
        raise BadRequest(f"Category {ref.type_id}: only mixins can be created")
    if ref.scheme.startswith(RESERVED_SCHEME):
        raise BadRequest(f"Category {ref.type_id}: the scheme {RESERVED_SCHEME} is reserved")
    if not ref.location:
        raise BadRequest(f"Category {ref.type_id}: a location is required")
    location = to_path(ref.location, op.base_url, what=f"Category {ref.term} location")
    if not location.startswith("/") or not location.endswith("/") or location == "/":
        raise BadRequest(f"Category {ref.type_id}: location must be a path ending in '/'")
    if location.startswith(RESERVED_LOCATIONS):
        raise BadRequest(f"Category {ref.type_id}: location {location} is reserved")
    wanted = Mixin(
        scheme=ref.scheme,
        term=ref.term,
        title=ref.title or "",
        location=location,
        depends=ref.rel[:1],
        user_defined=True,
    )
    existing = op.registry.get(ref.type_id)
    if existing is not None:
        differs = _differences(existing, wanted)
        if not differs:
            return None
        raise Conflict(f"Category {ref.type_id}: already exists with another {differs}")
    taken = op.registry.at_location(location)
    if taken is not None:
        raise Conflict(f"location {location}: already used by {taken.type_id}")
    for used, category in op.registry.locations().items():
        if location.startswith(used) and category.location and category in op.registry.kinds():
            raise Conflict(f"location {location}: lies inside the collection {used}")
    return wanted


def _differences(existing: Category, wanted: Mixin) -> str:
    """What keeps `wanted` from being the user mixin `existing`: '' when they are the same."""
    if not isinstance(existing, Mixin) or not existing.user_defined:
        return "definition (a provider category)"
    fields = [
        name
        for name in ("location", "title", "depends")
        if getattr(existing, name) != getattr(wanted, name)
    ]
    return " and ".join(fields)


def delete_user_mixins(op: Operation, request: OcciRequest) -> None:
    if not request.categories:
        raise BadRequest("Category: give the user mixin to delete")
    for ref in request.categories:
        category = op.registry.get(ref.type_id)
        if category is None:
            raise NotFound(f"Category {ref.type_id}: unknown category")
        if not isinstance(category, Mixin) or not category.user_defined:
            raise Forbidden(f"Category {ref.type_id}: provider categories cannot be deleted")
        op.cloud.delete_user_mixin(category)
