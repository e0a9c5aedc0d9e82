"""User-defined mixins (tags, security groups): per project, with their memberships."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, select

from occi_server.backends.local import store
from occi_server.backends.local.scope import Scope
from occi_server.db.tables import EntityMixinRow, UserMixinRow
from occi_server.errors import BadRequest, Conflict, NotFound
from occi_server.model import Attribute, AttributeType, Mixin


def list_user_mixins(scope: Scope) -> list[Mixin]:
    rows = scope.db.scalars(
        select(UserMixinRow)
        .where(UserMixinRow.project_id == scope.project_id)
        .order_by(UserMixinRow.pk)
    )
    return [_to_mixin(row) for row in rows]


def create_user_mixin(scope: Scope, mixin: Mixin, provider: Sequence[Mixin]) -> None:
    """Store a user mixin; 409 when its id or location is used by one the project sees."""
    if not mixin.location:
        raise BadRequest(f"mixin {mixin.type_id} needs a location")
    for other in [*provider, *list_user_mixins(scope)]:
        if other.type_id == mixin.type_id:
            raise Conflict(f"category {mixin.type_id} already exists")
        if other.location == mixin.location:
            raise Conflict(f"location {mixin.location} is already used by {other.type_id}")
    scope.db.add(
        UserMixinRow(
            project_id=scope.project_id,
            scheme=mixin.scheme,
            term=mixin.term,
            title=mixin.title,
            location=mixin.location,
            depends=list(mixin.depends),
            applies=list(mixin.applies),
            attributes=[_attribute_to_json(a) for a in mixin.attributes],
        )
    )
    scope.db.flush()


def delete_user_mixin(scope: Scope, mixin: Mixin) -> None:
    """Delete the mixin; its members survive, without it (their versions move on)."""
    row = scope.db.scalars(
        select(UserMixinRow).where(
            UserMixinRow.project_id == scope.project_id,
            UserMixinRow.scheme == mixin.scheme,
            UserMixinRow.term == mixin.term,
        )
    ).first()
    if row is None:
        raise NotFound(f"no user mixin {mixin.type_id}")
    members = scope.db.scalars(
        select(EntityMixinRow.entity_pk).where(
            EntityMixinRow.project_id == scope.project_id, EntityMixinRow.mixin == mixin.type_id
        )
    ).all()
    scope.db.execute(
        delete(EntityMixinRow).where(
            EntityMixinRow.project_id == scope.project_id, EntityMixinRow.mixin == mixin.type_id
        )
    )
    store.bump_pks(scope, members)
    scope.db.delete(row)
    scope.db.flush()


def check_owned(scope: Scope, mixins: Iterable[Mixin]) -> None:
    """A user mixin can only be applied by the project that defined it."""
    wanted = {(m.scheme, m.term) for m in mixins if m.user_defined}
    if not wanted:
        return
    owned = {
        (scheme, term)
        for scheme, term in scope.db.execute(
            select(UserMixinRow.scheme, UserMixinRow.term).where(
                UserMixinRow.project_id == scope.project_id
            )
        )
    }
    missing = wanted - owned
    if missing:
        scheme, term = sorted(missing)[0]
        raise BadRequest(f"unknown mixin {scheme}{term}")


def _to_mixin(row: UserMixinRow) -> Mixin:
    return Mixin(
        scheme=row.scheme,
        term=row.term,
        title=row.title,
        location=row.location,
        depends=tuple(row.depends),
        applies=tuple(row.applies),
        attributes=tuple(_attribute_from_json(a) for a in row.attributes),
        user_defined=True,
    )


def _attribute_to_json(attribute: Attribute) -> dict[str, Any]:
    return {
        "name": attribute.name,
        "type": attribute.type.value,
        "required": attribute.required,
        "mutable": attribute.mutable,
        "default": attribute.default,
        "description": attribute.description,
    }


def _attribute_from_json(data: dict[str, Any]) -> Attribute:
    return Attribute(
        name=str(data["name"]),
        type=AttributeType(data.get("type", "string")),
        required=bool(data.get("required", False)),
        mutable=bool(data.get("mutable", True)),
        default=data.get("default"),
        description=data.get("description"),
    )
