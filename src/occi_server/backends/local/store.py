"""The entities repository: entity rows, their mixins and their attribute index, always scoped
to the caller's project; read and written only here (bulk reads for rendering: reads.py).

Like every repository (direct.py says how one is written), its statements are compiled once and
run on the request's transaction (`scope.tx`). The rules work with `EntityRecord`s, plain
values that change in the database only through the functions below.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, or_, select, update

from occi_server.backends.local.direct import Prepared
from occi_server.backends.local.scope import Scope
from occi_server.db.tables import EntityAttributeRow, EntityMixinRow, EntityRow, utcnow
from occi_server.errors import BadRequest, Conflict, NotFound

ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}")
LOCATION_PATTERN = re.compile(r"/[A-Za-z0-9._~:@!$&'()*+,;=%/-]{0,510}")
# occi.core.* values that are row columns, never attribute values.
FIELD_ATTRIBUTES = ("occi.core.id", "occi.core.source", "occi.core.target")
# Values longer than this are indexed by digest (btree keys have size limits).
_MAX_KEY = 200


@dataclass(slots=True, eq=False)
class EntityRecord:
    """One entity's row as the rules see it."""

    pk: int
    project_id: str
    id: str
    kind: str
    location: str
    source: str | None
    target: str | None
    source_pk: int | None
    target_pk: int | None
    attributes: dict[str, Any]
    version: int


_ENTITIES = EntityRow.metadata.tables["entities"]
_MIXINS = EntityMixinRow.metadata.tables["entity_mixins"]
_INDEX = EntityAttributeRow.metadata.tables["entity_attributes"]
# What an EntityRecord holds, in its order; a new row is given every column but these two.
COLUMNS = [_ENTITIES.c[field.name] for field in fields(EntityRecord)]
_NEW = [column.name for column in _ENTITIES.c if column.name not in ("pk", "version")]
_IN_PROJECT = (
    _ENTITIES.c.project_id == bindparam("project"),
    _ENTITIES.c.location == bindparam("location"),
)
_BY_LOCATION = Prepared(select(*COLUMNS).where(*_IN_PROJECT))
# FOR UPDATE on PostgreSQL (besides the writer lock, db/engine.py); nothing on SQLite.
_BY_LOCATION_LOCKED = Prepared(select(*COLUMNS).where(*_IN_PROJECT).with_for_update())
_BY_PK = Prepared(select(*COLUMNS).where(_ENTITIES.c.pk == bindparam("entity")))
# The links that start or end at a resource.
_ATTACHED = Prepared(
    select(*COLUMNS)
    .where(
        or_(
            _ENTITIES.c.source_pk == bindparam("entity"),
            _ENTITIES.c.target_pk == bindparam("entity"),
        )
    )
    .order_by(_ENTITIES.c.pk)
)
_INSERT = Prepared(
    insert(_ENTITIES)
    .values(
        {
            **{name: bindparam("new_" + name, type_=_ENTITIES.c[name].type) for name in _NEW},
            "version": 1,
        }
    )
    .returning(_ENTITIES.c.pk)
)
# The database cascades a delete to mixins, index, addresses and private values.
_DELETE = Prepared(delete(_ENTITIES).where(_ENTITIES.c.pk == bindparam("entity")))
_SET_ATTRIBUTES = Prepared(
    update(_ENTITIES)
    .where(_ENTITIES.c.pk == bindparam("entity"))
    .values(attributes=bindparam("values", type_=_ENTITIES.c.attributes.type))
)
_BUMP = Prepared(
    update(_ENTITIES)
    .where(_ENTITIES.c.pk == bindparam("entity"))
    .values(
        version=_ENTITIES.c.version + 1,
        updated_at=bindparam("now", type_=_ENTITIES.c.updated_at.type),
    )
)
_MIXINS_OF = Prepared(
    select(_MIXINS.c.mixin)
    .where(_MIXINS.c.entity_pk == bindparam("entity"))
    .order_by(_MIXINS.c.mixin)
)
_ADD_MIXIN = Prepared(insert(_MIXINS))
_REMOVE_MIXIN = Prepared(
    delete(_MIXINS).where(
        _MIXINS.c.entity_pk == bindparam("entity"), _MIXINS.c.mixin == bindparam("mixin")
    )
)
_ADD_INDEX = Prepared(insert(_INDEX))
_CLEAR_INDEX = Prepared(delete(_INDEX).where(_INDEX.c.entity_pk == bindparam("entity")))


# Whether a new entity's id or location is taken in the project.
_TAKEN = Prepared(
    select(_ENTITIES.c.id, _ENTITIES.c.location)
    .where(
        _ENTITIES.c.project_id == bindparam("project"),
        or_(_ENTITIES.c.id == bindparam("id"), _ENTITIES.c.location == bindparam("location")),
    )
    .limit(1)
)

_ID_TAKEN = Prepared(
    select(_ENTITIES.c.pk)
    .where(_ENTITIES.c.project_id == bindparam("project"), _ENTITIES.c.id == bindparam("id"))
    .limit(1)
)
# The links of one kind that start at a resource, oldest first.
_LINKS_FROM = Prepared(
    select(*COLUMNS)
    .where(_ENTITIES.c.source_pk == bindparam("entity"), _ENTITIES.c.kind == bindparam("kind"))
    .order_by(_ENTITIES.c.pk)
)
# Where the first link of one kind that ends at a resource starts.
_HOLDER = Prepared(
    select(_ENTITIES.c.source)
    .where(_ENTITIES.c.target_pk == bindparam("entity"), _ENTITIES.c.kind == bindparam("kind"))
    .order_by(_ENTITIES.c.pk)
    .limit(1)
)
_OF_KIND = Prepared(
    select(*COLUMNS)
    .where(_ENTITIES.c.project_id == bindparam("project"), _ENTITIES.c.kind == bindparam("kind"))
    .order_by(_ENTITIES.c.pk)
)
# The entities of the project that carry a mixin, oldest first.
_CARRYING = Prepared(
    select(*COLUMNS)
    .join(_MIXINS, _MIXINS.c.entity_pk == _ENTITIES.c.pk)
    .where(_MIXINS.c.project_id == bindparam("project"), _MIXINS.c.mixin == bindparam("mixin"))
    .order_by(_ENTITIES.c.pk)
)
_STRIP_MIXIN = Prepared(
    delete(_MIXINS).where(
        _MIXINS.c.project_id == bindparam("project"), _MIXINS.c.mixin == bindparam("mixin")
    )
)
# Whether any entity of any project has this value of an attribute (a MAC address).
_VALUE_TAKEN = Prepared(
    select(func.count())
    .select_from(_INDEX)
    .where(_INDEX.c.name == bindparam("name"), _INDEX.c.value_key == bindparam("key"))
)


def record(values: Sequence[Any]) -> EntityRecord:
    """A row of COLUMNS (and whatever a query adds after them) as a record."""
    pk, project, entity_id, kind, location, source, target, source_pk, target_pk = values[:9]
    return EntityRecord(
        pk, project, entity_id, kind, location, source, target, source_pk, target_pk,
        values[9], values[10],
    )  # fmt: skip


def find(scope: Scope, location: str, *, for_update: bool = False) -> EntityRecord | None:
    prepared = _BY_LOCATION_LOCKED if for_update else _BY_LOCATION
    found = scope.tx.rows(prepared, {"project": scope.project_id, "location": location})
    return record(found[0]) if found else None


def get(scope: Scope, location: str, *, for_update: bool = False) -> EntityRecord:
    row = find(scope, location, for_update=for_update)
    if row is None:
        raise NotFound(f"no entity at {location}")
    return row


def by_pk(scope: Scope, pk: int) -> EntityRecord | None:
    found = scope.tx.rows(_BY_PK, {"entity": pk})
    return record(found[0]) if found else None


def attached(scope: Scope, row: EntityRecord) -> list[EntityRecord]:
    """The links that start or end at `row`, oldest first."""
    return [record(values) for values in scope.tx.rows(_ATTACHED, {"entity": row.pk})]


def links_from(scope: Scope, row: EntityRecord, kind: str) -> list[EntityRecord]:
    """The links of `kind` that start at `row`, oldest first."""
    params = {"entity": row.pk, "kind": kind}
    return [record(values) for values in scope.tx.rows(_LINKS_FROM, params)]


def holder(scope: Scope, row: EntityRecord, kind: str) -> str | None:
    """Where the first link of `kind` that ends at `row` starts (None: no such link)."""
    found: str | None = scope.tx.scalar(_HOLDER, {"entity": row.pk, "kind": kind})
    return found


def of_kind(scope: Scope, kind: str) -> list[EntityRecord]:
    """The project's entities of `kind`, oldest first."""
    params = {"project": scope.project_id, "kind": kind}
    return [record(values) for values in scope.tx.rows(_OF_KIND, params)]


def carrying(scope: Scope, mixin: str) -> list[EntityRecord]:
    """The project's entities that carry `mixin`, oldest first."""
    params = {"project": scope.project_id, "mixin": mixin}
    return [record(values) for values in scope.tx.rows(_CARRYING, params)]


def strip_mixin(scope: Scope, mixin: str) -> None:
    """Take `mixin` off every entity of the project (versions: the caller's to move on)."""
    scope.tx.execute(_STRIP_MIXIN, {"project": scope.project_id, "mixin": mixin})


def id_taken(scope: Scope, entity_id: str) -> bool:
    return bool(scope.tx.rows(_ID_TAKEN, {"project": scope.project_id, "id": entity_id}))


def value_taken(scope: Scope, name: str, value: Any) -> bool:
    """Whether an entity of any project has `value` for the attribute `name`."""
    return bool(scope.tx.scalar(_VALUE_TAKEN, {"name": name, "key": value_key(value)}))


def is_link(row: EntityRecord) -> bool:
    return row.source is not None


def new_identity(
    scope: Scope, wanted_id: str | None, wanted_location: str | None, kind_location: str | None
) -> tuple[str, str]:
    """The (id, location) of a new entity: the client's choice when valid and free."""
    if wanted_id is not None and not ID_PATTERN.fullmatch(wanted_id):
        raise BadRequest(f"occi.core.id {wanted_id!r} must match [A-Za-z0-9._:-]{{1,128}}")
    entity_id = wanted_id or str(uuid.uuid4())
    if wanted_location is None:
        if not kind_location:
            raise BadRequest("this kind has no location to create entities in")
        location = kind_location + entity_id
    else:
        location = wanted_location
    if not LOCATION_PATTERN.fullmatch(location) or location.endswith("/"):
        raise BadRequest(f"{location!r} is not a valid entity path")
    params = {"project": scope.project_id, "id": entity_id, "location": location}
    taken = scope.tx.rows(_TAKEN, params)
    if taken:
        what = f"id {entity_id}" if taken[0][0] == entity_id else f"location {location}"
        raise Conflict(f"{what} is already taken")
    return entity_id, location


def insert_entity(
    scope: Scope,
    *,
    entity_id: str,
    kind: str,
    location: str,
    attributes: dict[str, Any],
    mixins: Iterable[str],
    source: str | None = None,
    target: str | None = None,
    source_pk: int | None = None,
    target_pk: int | None = None,
) -> EntityRecord:
    """Insert an entity with its mixins and searchable attributes (links: their ends)."""
    clean = _clean(attributes)
    now = utcnow()
    values = {
        "project_id": scope.project_id,
        "id": entity_id,
        "kind": kind,
        "location": location,
        "source": source,
        "target": target,
        "source_pk": source_pk,
        "target_pk": target_pk,
        "attributes": clean,
        "created_at": now,
        "updated_at": now,
    }
    pk = scope.tx.scalar(_INSERT, {"new_" + name: value for name, value in values.items()})
    row = EntityRecord(
        pk, scope.project_id, entity_id, kind, location, source, target, source_pk, target_pk,
        clean, 1,
    )  # fmt: skip
    _index(scope, pk, clean)
    _insert_mixins(scope, row, dict.fromkeys(mixins))
    return row


def delete_entities(scope: Scope, rows: Iterable[EntityRecord]) -> None:
    scope.tx.execute_many(_DELETE, [{"entity": row.pk} for row in rows])


def write_attributes(scope: Scope, row: EntityRecord, attributes: dict[str, Any]) -> None:
    """Replace the row's attributes and their search index."""
    clean = _clean(attributes)
    scope.tx.execute(_SET_ATTRIBUTES, {"entity": row.pk, "values": clean})
    row.attributes = clean
    scope.tx.execute(_CLEAR_INDEX, {"entity": row.pk})
    _index(scope, row.pk, clean)


def _clean(attributes: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in attributes.items() if k not in FIELD_ATTRIBUTES and v is not None}


def _index(scope: Scope, pk: int, attributes: dict[str, Any]) -> None:
    project = scope.project_id
    scope.tx.execute_many(
        _ADD_INDEX,
        [
            {"entity_pk": pk, "name": name, "value_key": value_key(value), "project_id": project}
            for name, value in attributes.items()
        ],
    )


def mixins_of(scope: Scope, row: EntityRecord) -> list[str]:
    return [mixin for (mixin,) in scope.tx.rows(_MIXINS_OF, {"entity": row.pk})]


def add_mixins(scope: Scope, row: EntityRecord, mixins: Iterable[str]) -> None:
    present = set(mixins_of(scope, row))
    _insert_mixins(scope, row, [m for m in dict.fromkeys(mixins) if m not in present])


def _insert_mixins(scope: Scope, row: EntityRecord, mixins: Iterable[str]) -> None:
    scope.tx.execute_many(
        _ADD_MIXIN,
        [{"entity_pk": row.pk, "mixin": m, "project_id": row.project_id} for m in mixins],
    )


def remove_mixins(scope: Scope, row: EntityRecord, mixins: Iterable[str]) -> None:
    scope.tx.execute_many(
        _REMOVE_MIXIN, [{"entity": row.pk, "mixin": m} for m in dict.fromkeys(mixins)]
    )


def bump(scope: Scope, row: EntityRecord) -> None:
    """Move the entity's version on (its rendering changed)."""
    bump_pks(scope, [row.pk])
    row.version += 1


def bump_pks(scope: Scope, pks: Iterable[int | None]) -> None:
    """Move other entities' versions on (a link came or went: their rendering changed)."""
    now = utcnow()
    wanted = sorted({pk for pk in pks if pk is not None})
    scope.tx.execute_many(_BUMP, [{"entity": pk, "now": now} for pk in wanted])


def value_key(value: Any) -> str:
    """The canonical text of a value in the attribute index."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = str(int(value)) if value.is_integer() else repr(value)
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    if len(text) > _MAX_KEY:
        return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
    return text


def filter_keys(value: Any) -> list[str]:
    """Index keys a filter value matches: a numeric string also matches the number."""
    keys = {value_key(value)}
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            keys.add(value_key(float(value)))
    return sorted(keys)
