"""The user mixins repository (user_mixins): the mixins a project defined (tags, security
groups), stored with their attributes as JSON. What they mean is in mixins.py and security.py;
who carries them is in the entities repository (store.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, insert, select

from occi_server.backends.local.direct import Prepared
from occi_server.backends.local.scope import Scope
from occi_server.db.tables import UserMixinRow, utcnow
from occi_server.model import Attribute, AttributeType, Mixin

_MIXINS = UserMixinRow.metadata.tables[UserMixinRow.__tablename__]
_c = _MIXINS.c
_FIELDS = (_c.scheme, _c.term, _c.title, _c.location, _c.depends, _c.applies, _c.attributes)
_OF_PROJECT = Prepared(
    select(*_FIELDS).where(_c.project_id == bindparam("project")).order_by(_c.pk)
)
_NAMES = Prepared(select(_c.scheme, _c.term).where(_c.project_id == bindparam("project")))
_ADD = Prepared(
    insert(_MIXINS).values({c.name: bindparam(c.name, type_=c.type) for c in _c if c.name != "pk"})
)
_DELETE = Prepared(
    delete(_MIXINS).where(
        _c.project_id == bindparam("project"),
        _c.scheme == bindparam("scheme"),
        _c.term == bindparam("term"),
    )
)


def of_project(scope: Scope) -> list[Mixin]:
    """The project's mixins, oldest first."""
    return [_mixin(*values) for values in scope.tx.rows(_OF_PROJECT, {"project": scope.project_id})]


def names(scope: Scope) -> set[tuple[str, str]]:
    """(scheme, term) of each of the project's mixins."""
    return {(scheme, term) for scheme, term in scope.tx.rows(_NAMES, {"project": scope.project_id})}


def add(scope: Scope, mixin: Mixin) -> None:
    scope.tx.execute(
        _ADD,
        {
            "project_id": scope.project_id,
            "scheme": mixin.scheme,
            "term": mixin.term,
            "title": mixin.title,
            "location": mixin.location,
            "depends": list(mixin.depends),
            "applies": list(mixin.applies),
            "attributes": [_attribute_to_json(a) for a in mixin.attributes],
            "created_at": utcnow(),
        },
    )


def remove(scope: Scope, mixin: Mixin) -> bool:
    """Delete the project's mixin; False when it has none of that name."""
    params = {"project": scope.project_id, "scheme": mixin.scheme, "term": mixin.term}
    return scope.tx.execute(_DELETE, params) > 0


def _mixin(
    scheme: str,
    term: str,
    title: str,
    location: str,
    depends: list[str],
    applies: list[str],
    attributes: list[dict[str, Any]],
) -> Mixin:
    return Mixin(
        scheme=scheme,
        term=term,
        title=title,
        location=location,
        depends=tuple(depends),
        applies=tuple(applies),
        attributes=tuple(_attribute_from_json(a) for a in attributes),
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
