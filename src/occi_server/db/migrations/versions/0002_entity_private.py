"""Private per-entity values (password hashes, pending resizes, floating-IP pools).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "entity_private",
        sa.Column("entity_pk", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.String(length=64), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_pk"],
            ["entities.pk"],
            name="fk_entity_private_entity_pk_entities",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("entity_pk", "name", name="pk_entity_private"),
    )
    op.create_index("ix_entity_private_project_id_name", "entity_private", ["project_id", "name"])


def downgrade() -> None:
    op.drop_index("ix_entity_private_project_id_name", table_name="entity_private")
    op.drop_table("entity_private")
