"""The private values repository (entity_private): what the cloud keeps about an entity but never
renders (a password's hash, a pending resize, a floating IP's pool). Deleting the entity
deletes them (ON DELETE CASCADE)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update

from occi_server.backends.local.direct import Prepared, PreparedByCount
from occi_server.backends.local.scope import Scope
from occi_server.backends.local.store import EntityRecord
from occi_server.db.tables import EntityPrivateRow

ADMIN_PWD_HASH = "admin_pwd_hash"
PENDING_RESIZE = "pending_resize"
FLOATING_POOL = "floating_pool"

_PRIVATE = EntityPrivateRow.metadata.tables[EntityPrivateRow.__tablename__]
_c = _PRIVATE.c
_ONE = (_c.entity_pk == bindparam("entity"), _c.name == bindparam("name"))
_GET = Prepared(select(_c.value).where(*_ONE))
_SET = Prepared(update(_PRIVATE).where(*_ONE).values(value=bindparam("value", type_=_c.value.type)))
_ADD = Prepared(
    insert(_PRIVATE).values(
        entity_pk=bindparam("entity"),
        name=bindparam("name"),
        project_id=bindparam("project"),
        value=bindparam("value", type_=_c.value.type),
    )
)
_DROP = Prepared(delete(_PRIVATE).where(*_ONE))
_OF_MANY = PreparedByCount(
    lambda values: select(_c.entity_pk, _c.value).where(
        _c.entity_pk.in_(values), _c.name == bindparam("name")
    )
)
_EVERYWHERE = Prepared(
    select(_c.entity_pk, _c.project_id, _c.value).where(_c.name == bindparam("name"))
)
_CHUNK = 500


def get(scope: Scope, row: EntityRecord, name: str) -> Any:
    found = scope.tx.rows(_GET, {"entity": row.pk, "name": name})
    return found[0][0] if found else None


def put(scope: Scope, row: EntityRecord, name: str, value: Any) -> None:
    params = {"entity": row.pk, "name": name, "value": value}
    if not scope.tx.execute(_SET, params):
        scope.tx.execute(_ADD, {**params, "project": row.project_id})


def drop(scope: Scope, row: EntityRecord, name: str) -> None:
    scope.tx.execute(_DROP, {"entity": row.pk, "name": name})


def values_of(scope: Scope, pks: Iterable[int], name: str) -> dict[int, Any]:
    """`name`'s value for each of `pks` that has one."""
    wanted = sorted(set(pks))
    found: dict[int, Any] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        params = _OF_MANY.params(chunk, name=name)
        found.update(scope.tx.rows(_OF_MANY(len(chunk)), params))
    return found


def everywhere(scope: Scope, name: str) -> list[tuple[int, str, Any]]:
    """(entity pk, project, value) of every entity of any project that has `name` (the cloud's
    own work, such as imports to resume after a restart)."""
    return [
        (pk, project, value) for pk, project, value in scope.tx.rows(_EVERYWHERE, {"name": name})
    ]
