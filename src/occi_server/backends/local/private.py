"""Values kept about an entity that are never rendered (see EntityPrivateRow)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select

from occi_server.backends.local.scope import Scope
from occi_server.backends.local.store import EntityRecord
from occi_server.db.tables import EntityPrivateRow

ADMIN_PWD_HASH = "admin_pwd_hash"
PENDING_RESIZE = "pending_resize"
FLOATING_POOL = "floating_pool"


def get(scope: Scope, row: EntityRecord, name: str) -> Any:
    found = scope.db.get(EntityPrivateRow, (row.pk, name))
    return found.value if found is not None else None


def put(scope: Scope, row: EntityRecord, name: str, value: Any) -> None:
    found = scope.db.get(EntityPrivateRow, (row.pk, name))
    if found is None:
        scope.db.add(
            EntityPrivateRow(entity_pk=row.pk, name=name, project_id=row.project_id, value=value)
        )
    else:
        found.value = value
    scope.db.flush()


def drop(scope: Scope, row: EntityRecord, name: str) -> None:
    scope.db.execute(
        delete(EntityPrivateRow).where(
            EntityPrivateRow.entity_pk == row.pk, EntityPrivateRow.name == name
        )
    )


def values_of(scope: Scope, pks: Iterable[int], name: str) -> dict[int, Any]:
    """`name`'s value for each of `pks` that has one."""
    wanted = sorted(set(pks))
    if not wanted:
        return {}
    stmt = select(EntityPrivateRow.entity_pk, EntityPrivateRow.value).where(
        EntityPrivateRow.entity_pk.in_(wanted), EntityPrivateRow.name == name
    )
    return {pk: value for pk, value in scope.db.execute(stmt)}
