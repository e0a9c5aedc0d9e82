"""Checks of a request against the registry: categories, mixins, attributes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from occi_server.categories import infrastructure as infra
from occi_server.errors import BadRequest, PayloadTooLarge
from occi_server.model import Attribute, Category, Kind, Mixin
from occi_server.model.request import CategoryRef
from occi_server.registry import Registry

# Attributes that are entity fields, not entries of Entity.attributes.
CORE_FIELDS = (
    "occi.core.id",
    "occi.core.source",
    "occi.core.target",
    "occi.core.target.kind",
    "occi.core.source.kind",
)
TEMPLATE_BASES = (infra.OS_TPL, infra.RESOURCE_TPL)


def resolve(registry: Registry, ref: CategoryRef) -> Category:
    """The registered category a reference names; 400 when unknown or of another class."""
    category = registry.get(ref.type_id)
    if category is None:
        raise BadRequest(f"Category {ref.type_id}: unknown category")
    if ref.category_class and ref.category_class != category.category_class:
        raise BadRequest(
            f"Category {ref.type_id}: is a {category.category_class}, not a {ref.category_class}"
        )
    return category


def split_categories(
    registry: Registry, refs: Iterable[CategoryRef]
) -> tuple[list[Kind], list[Mixin]]:
    kinds: list[Kind] = []
    mixins: list[Mixin] = []
    for ref in refs:
        category = resolve(registry, ref)
        if isinstance(category, Kind):
            kinds.append(category)
        elif isinstance(category, Mixin):
            if category not in mixins:
                mixins.append(category)
        else:
            raise BadRequest(f"Category {ref.type_id}: an action cannot be used here")
    return kinds, mixins


def check_mixins(registry: Registry, kind: Kind, mixins: Iterable[Mixin]) -> None:
    """Each mixin must apply to the kind; at most one template of each sort."""
    seen: dict[str, Mixin] = {}
    for mixin in mixins:
        if mixin.applies and not any(registry.is_a(kind, a) for a in mixin.applies):
            raise BadRequest(f"mixin {mixin.type_id} does not apply to kind {kind.type_id}")
        for base in TEMPLATE_BASES:
            if mixin.type_id != base and registry.depends_on(mixin, base):
                if base in seen:
                    raise BadRequest(
                        f"two {base.rsplit('#', 1)[1]} templates given: "
                        f"{seen[base].type_id} and {mixin.type_id}"
                    )
                seen[base] = mixin


def template_of(registry: Registry, mixins: Iterable[Mixin], base: str) -> Mixin | None:
    for mixin in mixins:
        if mixin.type_id != base and registry.depends_on(mixin, base):
            return mixin
    return None


def coerce_attributes(
    definitions: Mapping[str, Attribute],
    given: Mapping[str, Any],
    *,
    current: Mapping[str, Any] | None = None,
    creating: bool,
) -> dict[str, Any]:
    """Typed values for the given attributes.

    Unknown names are a 400. An immutable attribute is ignored at creation (clients echo
    server-managed values) and on update when unchanged; a changed one is a 400.
    """
    result: dict[str, Any] = {}
    for name, raw in given.items():
        if name in CORE_FIELDS:
            continue
        definition = definitions.get(name)
        if definition is None:
            raise BadRequest(f"attribute {name}: not defined for this entity's kind and mixins")
        value = definition.coerce(raw)
        if not definition.mutable:
            if creating or current is None or current.get(name) == value:
                continue
            raise BadRequest(f"attribute {name}: is immutable")
        result[name] = value
    return result


def apply_defaults(definitions: Mapping[str, Attribute], values: dict[str, Any]) -> dict[str, Any]:
    """Fill omitted mutable attributes from kind and template defaults; check required ones."""
    for name, definition in definitions.items():
        if name in values or name in CORE_FIELDS:
            continue
        if definition.default is not None and definition.mutable:
            values[name] = definition.default
        elif definition.required:
            raise BadRequest(f"attribute {name}: is required")
    return values


def check_limits(values: Mapping[str, Any], max_attributes: int) -> None:
    if len(values) > max_attributes:
        raise PayloadTooLarge(f"too many attributes: {len(values)} (at most {max_attributes})")
