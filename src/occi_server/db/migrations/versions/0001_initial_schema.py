"""Initial schema: identity (projects, users, tokens) and the embedded cloud.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.String(length=64)
TYPE_ID = sa.String(length=512)
LOCATION = sa.String(length=512)
URI = sa.String(length=2048)


def _created() -> sa.Column[datetime]:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)


def _entity_fk(table: str, column: str = "entity_pk") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["entities.pk"], name=f"fk_{table}_{column}_entities", ondelete="CASCADE"
    )


def upgrade() -> None:
    _identity()
    _entities()
    _features()


def _identity() -> None:
    op.create_table(
        "projects",
        sa.Column("id", ID, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("id", name="pk_projects"),
        sa.UniqueConstraint("name", name="uq_projects_name"),
    )
    op.create_table(
        "users",
        sa.Column("id", ID, nullable=False),
        sa.Column("project_id", ID, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        _created(),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name="fk_users_project_id_projects",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("project_id", "name", name="uq_users_project_id_name"),
    )
    op.create_index("ix_users_name", "users", ["name"])
    op.create_table(
        "tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", ID, nullable=False),
        _created(),
        sa.Column("expires_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_tokens_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("token_hash", name="pk_tokens"),
    )
    op.create_index("ix_tokens_user_id", "tokens", ["user_id"])


def _entities() -> None:
    op.create_table(
        "entities",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", ID, nullable=False),
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("kind", TYPE_ID, nullable=False),
        sa.Column("location", LOCATION, nullable=False),
        sa.Column("source", URI, nullable=True),
        sa.Column("target", URI, nullable=True),
        sa.Column("source_pk", sa.Integer(), nullable=True),
        sa.Column("target_pk", sa.Integer(), nullable=True),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _created(),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _entity_fk("entities", "source_pk"),
        _entity_fk("entities", "target_pk"),
        sa.PrimaryKeyConstraint("pk", name="pk_entities"),
        sa.UniqueConstraint("project_id", "id", name="uq_entities_project_id_id"),
        sa.UniqueConstraint("project_id", "location", name="uq_entities_project_id_location"),
    )
    op.create_index("ix_entities_project_id_kind_pk", "entities", ["project_id", "kind", "pk"])
    op.create_index("ix_entities_project_id_pk", "entities", ["project_id", "pk"])
    op.create_index("ix_entities_source_pk", "entities", ["source_pk"])
    op.create_index("ix_entities_target_pk", "entities", ["target_pk"])
    op.create_table(
        "entity_mixins",
        sa.Column("entity_pk", sa.Integer(), nullable=False),
        sa.Column("mixin", TYPE_ID, nullable=False),
        sa.Column("project_id", ID, nullable=False),
        _entity_fk("entity_mixins"),
        sa.PrimaryKeyConstraint("entity_pk", "mixin", name="pk_entity_mixins"),
    )
    op.create_index(
        "ix_entity_mixins_project_id_mixin_entity_pk",
        "entity_mixins",
        ["project_id", "mixin", "entity_pk"],
    )
    op.create_table(
        "entity_attributes",
        sa.Column("entity_pk", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("value_key", sa.String(length=255), nullable=False),
        sa.Column("project_id", ID, nullable=False),
        _entity_fk("entity_attributes"),
        sa.PrimaryKeyConstraint("entity_pk", "name", name="pk_entity_attributes"),
    )
    op.create_index(
        "ix_entity_attributes_project_id_name_value_key",
        "entity_attributes",
        ["project_id", "name", "value_key"],
    )


def _features() -> None:
    op.create_table(
        "ip_allocations",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("pool", sa.String(length=255), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("project_id", ID, nullable=False),
        sa.Column("entity_pk", sa.Integer(), nullable=False),
        _created(),
        _entity_fk("ip_allocations"),
        sa.PrimaryKeyConstraint("pk", name="pk_ip_allocations"),
        sa.UniqueConstraint("pool", "address", name="uq_ip_allocations_pool_address"),
    )
    op.create_index("ix_ip_allocations_entity_pk", "ip_allocations", ["entity_pk"])
    op.create_table(
        "user_mixins",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", ID, nullable=False),
        sa.Column("scheme", sa.String(length=255), nullable=False),
        sa.Column("term", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=1024), nullable=False),
        sa.Column("location", LOCATION, nullable=False),
        sa.Column("depends", sa.JSON(), nullable=False),
        sa.Column("applies", sa.JSON(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("pk", name="pk_user_mixins"),
        sa.UniqueConstraint("project_id", "location", name="uq_user_mixins_project_id_location"),
        sa.UniqueConstraint(
            "project_id", "scheme", "term", name="uq_user_mixins_project_id_scheme_term"
        ),
    )
    op.create_table(
        "os_templates",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_id", ID, nullable=False),
        sa.Column("term", sa.String(length=255), nullable=False),
        sa.Column("title", sa.String(length=1024), nullable=False),
        sa.Column("image_id", ID, nullable=False),
        sa.Column("source_location", LOCATION, nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("pk", name="pk_os_templates"),
        sa.UniqueConstraint("project_id", "term", name="uq_os_templates_project_id_term"),
    )


def downgrade() -> None:
    for table in (
        "os_templates",
        "user_mixins",
        "ip_allocations",
        "entity_attributes",
        "entity_mixins",
        "entities",
        "tokens",
        "users",
        "projects",
    ):
        op.drop_table(table)
