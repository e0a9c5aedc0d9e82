"""Row-level operations on entities, always scoped to the caller's project."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy import insert as insert_rows

from occi_server.backends.local import reads
from occi_server.backends.local.scope import Scope
from occi_server.db.tables import EntityAttributeRow, EntityMixinRow, EntityRow, utcnow
from occi_server.errors import BadRequest, Conflict, NotFound

ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}")
LOCATION_PATTERN = re.compile(r"/[A-Za-z0-9._~:@!$&'()*+,;=%/-]{0,510}")
# occi.core.* values that are row columns, never attribute values.
FIELD_ATTRIBUTES = ("occi.core.id", "occi.core.source", "occi.core.target")
# Core tables for bulk inserts of new rows (the ORM's bulk path costs more than the insert).
_MIXIN_TABLE = EntityMixinRow.metadata.tables["entity_mixins"]
_INDEX_TABLE = EntityAttributeRow.metadata.tables["entity_attributes"]
# Values longer than this are indexed by digest (btree keys have size limits).
_MAX_KEY = 200


def find(scope: Scope, location: str, *, for_update: bool = False) -> EntityRow | None:
    stmt = select(EntityRow).where(
        EntityRow.project_id == scope.project_id, EntityRow.location == location
    )
    if for_update:
        stmt = stmt.with_for_update()
    return scope.db.scalars(stmt).first()


def get(scope: Scope, location: str, *, for_update: bool = False) -> EntityRow:
    row = find(scope, location, for_update=for_update)
    if row is None:
        raise NotFound(f"no entity at {location}")
    return row


def is_link(row: EntityRow) -> bool:
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
    if scope.reader is not None:
        taken = reads.taken(scope.reader, scope.project_id, entity_id, location)
    else:
        found = scope.db.execute(
            select(EntityRow.id, EntityRow.location).where(
                EntityRow.project_id == scope.project_id,
                (EntityRow.id == entity_id) | (EntityRow.location == location),
            )
        ).first()
        taken = (found.id, found.location) if found is not None else None
    if taken is not None:
        what = f"id {entity_id}" if taken[0] == entity_id else f"location {location}"
        raise Conflict(f"{what} is already taken")
    return entity_id, location


def insert(
    scope: Scope,
    *,
    entity_id: str,
    kind: str,
    location: str,
    attributes: dict[str, Any],
    mixins: Iterable[str],
    **link: Any,
) -> EntityRow:
    """Insert an entity with its mixins and searchable attributes (link: source/target columns)."""
    row = EntityRow(
        project_id=scope.project_id,
        id=entity_id,
        kind=kind,
        location=location,
        attributes={},
        version=1,
        **link,
    )
    row.attributes = _clean(attributes)
    scope.db.add(row)
    scope.db.flush()
    # A new row has no index entries and no mixins yet: plain bulk inserts, no read-back.
    _index(scope, row.pk, row.attributes)
    wanted = list(dict.fromkeys(mixins))
    if wanted:
        scope.db.connection().execute(
            insert_rows(_MIXIN_TABLE),
            [{"entity_pk": row.pk, "mixin": m, "project_id": scope.project_id} for m in wanted],
        )
    return row


def write_attributes(scope: Scope, row: EntityRow, attributes: dict[str, Any]) -> None:
    """Replace the row's attributes and their search index."""
    clean = _clean(attributes)
    row.attributes = clean  # a new dict: the JSON column sees the change
    scope.db.execute(delete(EntityAttributeRow).where(EntityAttributeRow.entity_pk == row.pk))
    _index(scope, row.pk, clean)


def _clean(attributes: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in attributes.items() if k not in FIELD_ATTRIBUTES and v is not None}


def _index(scope: Scope, pk: int, attributes: dict[str, Any]) -> None:
    if attributes:
        scope.db.connection().execute(
            insert_rows(_INDEX_TABLE),
            [
                {
                    "entity_pk": pk,
                    "name": name,
                    "value_key": value_key(value),
                    "project_id": scope.project_id,
                }
                for name, value in attributes.items()
            ],
        )


def mixins_of(scope: Scope, row: EntityRow) -> list[str]:
    return list(
        scope.db.scalars(select(EntityMixinRow.mixin).where(EntityMixinRow.entity_pk == row.pk))
    )


def add_mixins(scope: Scope, row: EntityRow, mixins: Iterable[str]) -> None:
    present = set(mixins_of(scope, row))
    for mixin in dict.fromkeys(mixins):
        if mixin not in present:
            scope.db.add(EntityMixinRow(entity_pk=row.pk, mixin=mixin, project_id=row.project_id))
    scope.db.flush()


def remove_mixins(scope: Scope, row: EntityRow, mixins: Iterable[str]) -> None:
    wanted = list(mixins)
    if wanted:
        scope.db.execute(
            delete(EntityMixinRow).where(
                EntityMixinRow.entity_pk == row.pk, EntityMixinRow.mixin.in_(wanted)
            )
        )


def bump(row: EntityRow) -> None:
    row.version += 1
    row.updated_at = utcnow()


def bump_pks(scope: Scope, pks: Iterable[int | None]) -> None:
    """Move other entities' versions on (a link came or went: their rendering changed)."""
    wanted = sorted({pk for pk in pks if pk is not None})
    if wanted:
        scope.db.execute(
            update(EntityRow)
            .where(EntityRow.pk.in_(wanted))
            .values(version=EntityRow.version + 1, updated_at=utcnow())
            .execution_options(synchronize_session="fetch")
        )


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
