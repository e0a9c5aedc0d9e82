"""The per-project catalogue version, bumped with category changes (reads.py reads it on
every request)."""

from __future__ import annotations

from sqlalchemy import update

from occi_server.backends.local.scope import Scope
from occi_server.db.tables import CatalogueVersionRow


def bump(scope: Scope) -> None:
    """Move the project's version on, in the same transaction as the change it announces."""
    moved = scope.db.execute(
        update(CatalogueVersionRow)
        .where(CatalogueVersionRow.project_id == scope.project_id)
        .values(version=CatalogueVersionRow.version + 1)
    )
    if not moved.rowcount:  # type: ignore[attr-defined]
        scope.db.add(CatalogueVersionRow(project_id=scope.project_id, version=1))
    scope.db.flush()
