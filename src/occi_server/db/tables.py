"""Every table of the embedded cloud and the identity store, in one MetaData.

The declarative classes are the schema: Alembic's (db/migrations) and the tables from which the
local backend's repositories compile their statements (backends/local/direct.py). No ORM
session reads or writes the embedded cloud's rows.

Project ids are opaque strings here (no foreign key to `projects`): the local backend also
serves contexts whose project comes from elsewhere (`--auth none`, tests).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Deterministic constraint names so Alembic can compare and alter them on every database.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = String(64)
TYPE_ID = String(512)
LOCATION = String(512)
URI = String(2048)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _created() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), default=utcnow)


# -- identity ---------------------------------------------------------------------------------
class ProjectRow(Base):
    __tablename__ = "projects"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = _created()


class UserRow(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("project_id", "name"), Index(None, "name"))
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = _created()


class TokenRow(Base):
    __tablename__ = "tokens"
    # sha256 hex of the token: the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = _created()
    # Unix seconds; an integer compares the same on every database, unlike tz-aware datetimes.
    expires_at: Mapped[int | None] = mapped_column(BigInteger)


# -- entities ---------------------------------------------------------------------------------
class EntityRow(Base):
    """Every OCCI entity of every project; kind-specific values live in `attributes`."""

    __tablename__ = "entities"
    __table_args__ = (
        UniqueConstraint("project_id", "location"),
        UniqueConstraint("project_id", "id"),
        # Listings are ordered by creation (pk) within a project, optionally per kind; with
        # the location in it, a listing by kind never reads the table (half the time at 10k).
        Index(None, "project_id", "kind", "pk", "location"),
        Index(None, "project_id", "pk"),
    )
    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ID)
    id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(TYPE_ID)
    location: Mapped[str] = mapped_column(LOCATION)
    # Links only: the rendered source/target (a path, or an external URI for the target) and,
    # when local, the row they point to; deleting that row deletes the link.
    source: Mapped[str | None] = mapped_column(URI)
    target: Mapped[str | None] = mapped_column(URI)
    source_pk: Mapped[int | None] = mapped_column(
        ForeignKey("entities.pk", ondelete="CASCADE"), index=True
    )
    target_pk: Mapped[int | None] = mapped_column(
        ForeignKey("entities.pk", ondelete="CASCADE"), index=True
    )
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class EntityMixinRow(Base):
    __tablename__ = "entity_mixins"
    __table_args__ = (Index(None, "project_id", "mixin", "entity_pk"),)
    entity_pk: Mapped[int] = mapped_column(
        ForeignKey("entities.pk", ondelete="CASCADE"), primary_key=True
    )
    mixin: Mapped[str] = mapped_column(TYPE_ID, primary_key=True)
    project_id: Mapped[str] = mapped_column(ID)


class EntityAttributeRow(Base):
    """A searchable copy of each attribute value (`value_key`: text, or a digest when long)."""

    __tablename__ = "entity_attributes"
    __table_args__ = (Index(None, "project_id", "name", "value_key"),)
    entity_pk: Mapped[int] = mapped_column(
        ForeignKey("entities.pk", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    value_key: Mapped[str] = mapped_column(String(255))
    project_id: Mapped[str] = mapped_column(ID)


# -- per-feature tables -----------------------------------------------------------------------
class IpAllocationRow(Base):
    """One address taken from a pool (a network's CIDR, later a floating-IP pool)."""

    __tablename__ = "ip_allocations"
    # The uniqueness that makes double allocation impossible, whatever the concurrency.
    __table_args__ = (UniqueConstraint("pool", "address"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    pool: Mapped[str] = mapped_column(String(255))
    address: Mapped[str] = mapped_column(String(64))
    project_id: Mapped[str] = mapped_column(ID)
    # The holder: an interface link, a network (its gateway) or a compute (floating IPs).
    entity_pk: Mapped[int] = mapped_column(
        ForeignKey("entities.pk", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = _created()


class UserMixinRow(Base):
    __tablename__ = "user_mixins"
    __table_args__ = (
        UniqueConstraint("project_id", "scheme", "term"),
        UniqueConstraint("project_id", "location"),
    )
    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ID)
    scheme: Mapped[str] = mapped_column(String(255))
    term: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(1024), default="")
    location: Mapped[str] = mapped_column(LOCATION)
    depends: Mapped[list[str]] = mapped_column(JSON)
    applies: Mapped[list[str]] = mapped_column(JSON)
    attributes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = _created()


class OsTemplateRow(Base):
    """An OS template made from a compute (`save`, later `create_image`), private to a project."""

    __tablename__ = "os_templates"
    __table_args__ = (UniqueConstraint("project_id", "term"),)
    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ID)
    term: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(1024), default="")
    image_id: Mapped[str] = mapped_column(ID)
    source_location: Mapped[str] = mapped_column(LOCATION)
    # Informational values copied from the source image (os family, version, architecture).
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = _created()


class EntityPrivateRow(Base):
    """What the cloud keeps about an entity but never renders: a password's hash, the flavor a
    pending resize would revert to, the pool a floating-IP interface came from."""

    __tablename__ = "entity_private"
    __table_args__ = (Index(None, "project_id", "name"),)
    entity_pk: Mapped[int] = mapped_column(
        ForeignKey("entities.pk", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    project_id: Mapped[str] = mapped_column(ID)
    value: Mapped[Any] = mapped_column(JSON)


metadata = Base.metadata


class CatalogueVersionRow(Base):
    """A counter per project that moves whenever the project's categories change (user mixins,
    snapshot templates), so every worker can cache the registry and the rendered query interface
    and still never serve a stale one."""

    __tablename__ = "catalogue_versions"
    project_id: Mapped[str] = mapped_column(ID, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class IntentRow(Base):
    """An operation a driver must do, recorded in the transaction of the state change that
    asked for it and applied by the reconciler (backends/local/reconciler.py). `success` and
    `failure` hold the attributes to set on the entity afterwards; `owner` and `lease_until`
    (Unix milliseconds) say who is applying it, so that it is applied once."""

    __tablename__ = "intents"
    __table_args__ = (Index(None, "status", "pk"), Index(None, "project_id", "location"))
    pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[str] = mapped_column(ID)
    location: Mapped[str] = mapped_column(LOCATION)  # the compute (guest) it is for
    operation: Mapped[str] = mapped_column(String(64))
    arguments: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # erased once finished
    success: Mapped[dict[str, Any]] = mapped_column(JSON)
    failure: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))  # pending | running | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    owner: Mapped[str | None] = mapped_column(String(255))
    lease_until: Mapped[int | None] = mapped_column(BigInteger)
    message: Mapped[str | None] = mapped_column(String(1024))
    created_at: Mapped[datetime] = _created()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class QuotaRow(Base):
    """A project's own limit on one resource (backends/local/quotas.py), set with `occi-server
    quota set`; a resource without a row has the configured default ([quotas])."""

    __tablename__ = "quotas"
    project_id: Mapped[str] = mapped_column(ID, primary_key=True)
    resource: Mapped[str] = mapped_column(String(64), primary_key=True)
    limit: Mapped[int] = mapped_column(BigInteger)  # -1: unlimited
