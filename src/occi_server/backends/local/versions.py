"""The catalogue versions repository: a counter per project, moved on with every change of its
categories (user mixins, snapshots) and read on every request (the registry's cache key).
The `_global` project's counter moves with the images every project sees."""

from __future__ import annotations

from sqlalchemy import bindparam, insert, or_, select, update

from occi_server.backends.local.direct import Prepared
from occi_server.backends.local.scope import Scope
from occi_server.db.tables import CatalogueVersionRow
from occi_server.drivers.volumes import GLOBAL_PROJECT

_VERSIONS = CatalogueVersionRow.metadata.tables[CatalogueVersionRow.__tablename__]
_CURRENT = Prepared(
    select(_VERSIONS.c.project_id, _VERSIONS.c.version).where(
        or_(
            _VERSIONS.c.project_id == bindparam("project"),
            _VERSIONS.c.project_id == GLOBAL_PROJECT,
        )
    )
)
_BUMP = Prepared(
    update(_VERSIONS)
    .where(_VERSIONS.c.project_id == bindparam("project"))
    .values(version=_VERSIONS.c.version + 1)
)
_FIRST = Prepared(insert(_VERSIONS).values(project_id=bindparam("project"), version=1))


def current(scope: Scope) -> str:
    """The project's version and that of the images every project sees (image import)."""
    found = dict(scope.tx.rows(_CURRENT, {"project": scope.project_id}))
    own = found.get(scope.project_id) or 0
    shared = found.get(GLOBAL_PROJECT)
    return f"{own}" if shared is None else f"{own}.{shared}"


def bump(scope: Scope) -> None:
    """Move the project's version on, in the same transaction as the change it announces."""
    if not scope.tx.execute(_BUMP, {"project": scope.project_id}):
        scope.tx.execute(_FIRST, {"project": scope.project_id})
