"""Listings: every filter (kind, mixin, attribute, path prefix) and paging happen in SQL. The
statements are built here and compiled once per distinct listing (reads.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, exists, false, select

from occi_server.backends.base import EntityQuery
from occi_server.backends.local import reads, store
from occi_server.backends.local.scope import Scope
from occi_server.db.tables import EntityAttributeRow, EntityMixinRow, EntityRow

# Filters on what is a column rather than an attribute value.
_FIELD_COLUMNS = {
    "occi.core.id": EntityRow.id,
    "occi.core.source": EntityRow.source,
    "occi.core.target": EntityRow.target,
}


def filtered(scope: Scope, query: EntityQuery, stmt: Select[Any]) -> Select[Any]:
    """`stmt` (selecting from entities) narrowed to the query, ordered by creation, paged."""
    stmt = stmt.where(EntityRow.project_id == scope.project_id)
    if query.kinds is not None:
        stmt = stmt.where(EntityRow.kind.in_(query.kinds) if query.kinds else false())
    for mixin in dict.fromkeys(query.mixins):
        stmt = stmt.where(
            exists().where(
                EntityMixinRow.entity_pk == EntityRow.pk,
                EntityMixinRow.mixin == mixin,
                EntityMixinRow.project_id == scope.project_id,
            )
        )
    for name, value in query.attributes.items():
        stmt = stmt.where(_attribute_matches(scope, name, value))
    if query.location_prefix:
        stmt = stmt.where(EntityRow.location.startswith(query.location_prefix, autoescape=True))
    stmt = stmt.order_by(EntityRow.pk)
    if query.offset:
        stmt = stmt.offset(query.offset)
    if query.limit is not None:
        stmt = stmt.limit(query.limit)
    return stmt


def _attribute_matches(scope: Scope, name: str, value: Any) -> Any:
    column = _FIELD_COLUMNS.get(name)
    if column is not None:
        return column == str(value)
    # An uncorrelated IN lets the database walk the (project, name, value) index once instead
    # of probing it for every entity of the collection.
    return EntityRow.pk.in_(
        select(EntityAttributeRow.entity_pk).where(
            EntityAttributeRow.project_id == scope.project_id,
            EntityAttributeRow.name == name,
            EntityAttributeRow.value_key.in_(store.filter_keys(value)),
        )
    )


def locations_statement(scope: Scope, query: EntityQuery) -> Select[Any]:
    return filtered(scope, query, select(EntityRow.location))


def rows(scope: Scope, query: EntityQuery) -> list[store.EntityRecord]:
    return reads.records(
        scope.tx,
        reads.listing_key(scope.project_id, query),
        lambda: filtered(scope, query, select(*store.COLUMNS)),
    )
