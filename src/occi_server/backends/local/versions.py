"""The catalogue versions repository: a counter per project, moved on with every change of its
categories (user mixins, snapshots) and read on every request (the registry's cache key)."""

from __future__ import annotations

from sqlalchemy import bindparam, insert, select, update

from occi_server.backends.local.direct import Prepared
from occi_server.backends.local.scope import Scope
from occi_server.db.tables import CatalogueVersionRow

_VERSIONS = CatalogueVersionRow.metadata.tables[CatalogueVersionRow.__tablename__]
_CURRENT = Prepared(
    select(_VERSIONS.c.version).where(_VERSIONS.c.project_id == bindparam("project"))
)
_BUMP = Prepared(
    update(_VERSIONS)
    .where(_VERSIONS.c.project_id == bindparam("project"))
    .values(version=_VERSIONS.c.version + 1)
)
_FIRST = Prepared(insert(_VERSIONS).values(project_id=bindparam("project"), version=1))


def current(scope: Scope) -> str:
    return str(scope.tx.scalar(_CURRENT, {"project": scope.project_id}) or 0)


def bump(scope: Scope) -> None:
    """Move the project's version on, in the same transaction as the change it announces."""
    if not scope.tx.execute(_BUMP, {"project": scope.project_id}):
        scope.tx.execute(_FIRST, {"project": scope.project_id})
