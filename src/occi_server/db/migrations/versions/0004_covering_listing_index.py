"""Listings by kind read locations from the index alone (no table lookup per row).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = "ix_entities_project_id_kind_pk"
NEW = "ix_entities_project_id_kind_pk_location"


def upgrade() -> None:
    op.create_index(NEW, "entities", ["project_id", "kind", "pk", "location"])
    op.drop_index(OLD, table_name="entities")


def downgrade() -> None:
    op.create_index(OLD, "entities", ["project_id", "kind", "pk"])
    op.drop_index(NEW, table_name="entities")
