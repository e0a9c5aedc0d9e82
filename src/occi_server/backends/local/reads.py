"""What a read-only request asks on every call, as prepared statements for the direct reader:
the project's catalogue version, one entity with its links and mixins, a plain listing."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Hashable
from typing import Any, NamedTuple

from cachetools import LRUCache
from sqlalchemy import Select, bindparam, or_, select

from occi_server.backends.base import EntityQuery
from occi_server.backends.local import store
from occi_server.backends.local.direct import Prepared, Reader
from occi_server.db.tables import CatalogueVersionRow, EntityMixinRow, EntityRow

_entities = EntityRow.__table__
_source = _entities.alias("source_end")
_target = _entities.alias("target_end")
_mixins = EntityMixinRow.__table__
VERSION = Prepared(
    select(CatalogueVersionRow.version).where(
        CatalogueVersionRow.project_id == bindparam("project")
    )
)
# The entity, and the kinds of its ends when it is a link.
ENTITY = Prepared(
    select(*store.COLUMNS, _source.c.kind, _target.c.kind)
    .select_from(
        _entities.outerjoin(_source, _source.c.pk == _entities.c.source_pk).outerjoin(
            _target, _target.c.pk == _entities.c.target_pk
        )
    )
    .where(
        _entities.c.project_id == bindparam("project"),
        _entities.c.location == bindparam("location"),
    )
)
# Where ENTITY's and LINKS' end kinds start, after the row's own columns.
_ENDS = len(store.COLUMNS)
# A resource's links, with their targets' kinds.
LINKS = Prepared(
    select(*store.COLUMNS, _target.c.kind)
    .select_from(_entities.outerjoin(_target, _target.c.pk == _entities.c.target_pk))
    .where(_entities.c.source_pk == bindparam("pk"))
    .order_by(_entities.c.pk)
)
# The mixins of an entity and of its links.
MIXINS = Prepared(
    select(_mixins.c.entity_pk, _mixins.c.mixin)
    .where(
        or_(
            _mixins.c.entity_pk == bindparam("pk"),
            _mixins.c.entity_pk.in_(
                select(_entities.c.pk).where(_entities.c.source_pk == bindparam("pk"))
            ),
        )
    )
    .order_by(_mixins.c.entity_pk, _mixins.c.mixin)
)


def catalogue_version(reader: Reader, project: str) -> str:
    return str(reader.scalar(VERSION, {"project": project}) or 0)


class EntityRead(NamedTuple):
    row: store.EntityRecord
    links: list[store.EntityRecord]
    mixins: dict[int, list[str]]
    kinds: dict[int, str]


def entity(reader: Reader, project: str, location: str) -> EntityRead | None:
    """One entity, its links, every mixin and every link end's kind, in three queries."""
    found = reader.rows(ENTITY, {"project": project, "location": location})
    if not found:
        return None
    head = found[0]
    row = store.record(head)
    kinds: dict[int, str] = {row.pk: row.kind}
    if row.source_pk is not None:
        kinds[row.source_pk] = head[_ENDS]
    if row.target_pk is not None and head[_ENDS + 1] is not None:
        kinds[row.target_pk] = head[_ENDS + 1]
    links: list[store.EntityRecord] = []
    if row.source is None:
        for values in reader.rows(LINKS, {"pk": row.pk}):
            link = store.record(values)
            links.append(link)
            target_kind = values[_ENDS]
            if link.target_pk is not None and target_kind is not None:
                kinds[link.target_pk] = target_kind
    mixins: dict[int, list[str]] = defaultdict(list)
    for pk, mixin in reader.rows(MIXINS, {"pk": row.pk}):
        mixins[pk].append(mixin)
    return EntityRead(row, links, mixins, kinds)


def locations(reader: Reader, key: Hashable | None, build: Callable[[], Select[Any]]) -> list[str]:
    """A listing's locations. Its statement varies with the filters, so it is built and compiled
    here, once per distinct listing (`key`; None when a filter value cannot be a key)."""
    prepared = _LISTINGS.get(key) if key is not None else None
    if prepared is None:
        prepared = Prepared(build())
        if key is not None:
            _LISTINGS[key] = prepared
    return [location for (location,) in reader.rows(prepared, {})]


def listing_key(project: str, query: EntityQuery) -> Hashable | None:
    """Everything a listing's SQL depends on: the same key, the same statement."""
    key = (
        project,
        query.kinds,
        query.mixins,
        # With each value's type: True == 1 == 1.0 in Python, not in the attribute index.
        tuple(sorted((n, type(v).__name__, v) for n, v in query.attributes.items())),
        query.location_prefix,
        query.offset,
        query.limit,
    )
    try:
        hash(key)
    except TypeError:  # a list or dict filter value
        return None
    return key


class _LockedLRU:
    """Compiled listings; a lock because request threads share it (cachetools is not safe)."""

    def __init__(self, size: int) -> None:
        self._entries: LRUCache[Hashable, Prepared] = LRUCache(maxsize=size)
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Prepared | None:
        with self._lock:
            return self._entries.get(key)

    def __setitem__(self, key: Hashable, value: Prepared) -> None:
        with self._lock:
            self._entries[key] = value


_LISTINGS = _LockedLRU(1024)
