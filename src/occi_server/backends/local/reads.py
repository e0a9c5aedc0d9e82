"""The reads that render entities (a repository, see direct.py): one entity with its links,
mixins and end kinds; the links, mixins and end kinds of many entities at once; listings,
whose statements vary with the filters (queries.py builds them) and are cached per listing."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import Any, NamedTuple

from cachetools import LRUCache
from sqlalchemy import Select, bindparam, or_, select

from occi_server.backends.base import EntityQuery
from occi_server.backends.local import store
from occi_server.backends.local.direct import Prepared, PreparedByCount, Transaction
from occi_server.db.tables import EntityMixinRow, EntityRow

_entities = EntityRow.__table__
_source = _entities.alias("source_end")
_target = _entities.alias("target_end")
_mixins = EntityMixinRow.__table__
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

# The same for many entities at once (listings with full entities), CHUNK values at a time.
CHUNK = 500  # keeps IN lists under every database's parameter limit
_LINKS_OF = PreparedByCount(
    lambda values: (
        select(*store.COLUMNS).where(_entities.c.source_pk.in_(values)).order_by(_entities.c.pk)
    )
)
_MIXINS_OF = PreparedByCount(
    lambda values: (
        select(_mixins.c.entity_pk, _mixins.c.mixin)
        .where(_mixins.c.entity_pk.in_(values))
        .order_by(_mixins.c.entity_pk, _mixins.c.mixin)
    )
)
_KINDS_OF = PreparedByCount(
    lambda values: select(_entities.c.pk, _entities.c.kind).where(_entities.c.pk.in_(values))
)


class EntityRead(NamedTuple):
    row: store.EntityRecord
    links: list[store.EntityRecord]
    mixins: dict[int, list[str]]
    kinds: dict[int, str]


def entity(tx: Transaction, project: str, location: str) -> EntityRead | None:
    """One entity, its links, every mixin and every link end's kind, in three queries."""
    found = tx.rows(ENTITY, {"project": project, "location": location})
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
        for values in tx.rows(LINKS, {"pk": row.pk}):
            link = store.record(values)
            links.append(link)
            target_kind = values[_ENDS]
            if link.target_pk is not None and target_kind is not None:
                kinds[link.target_pk] = target_kind
    mixins: dict[int, list[str]] = defaultdict(list)
    for pk, mixin in tx.rows(MIXINS, {"pk": row.pk}):
        mixins[pk].append(mixin)
    return EntityRead(row, links, mixins, kinds)


def locations(tx: Transaction, key: Hashable | None, build: Callable[[], Select[Any]]) -> list[str]:
    """A listing's locations. Its statement varies with the filters, so it is built and compiled
    here, once per distinct listing (`key`; None when a filter value cannot be a key)."""
    return [location for (location,) in tx.rows(_compiled(key, build), {})]


def _compiled(key: Hashable | None, build: Callable[[], Select[Any]]) -> Prepared:
    prepared = _LISTINGS.get(key) if key is not None else None
    if prepared is None:
        prepared = Prepared(build())
        if key is not None:
            _LISTINGS[key] = prepared
    return prepared


def records(
    tx: Transaction, key: Hashable | None, build: Callable[[], Select[Any]]
) -> list[store.EntityRecord]:
    """A listing's entity rows (`build` selects store.COLUMNS), compiled once per listing."""
    prepared = _compiled(("records", key) if key is not None else None, build)
    return [store.record(values) for values in tx.rows(prepared, {})]


def links_of(tx: Transaction, pks: Sequence[int]) -> dict[int, list[store.EntityRecord]]:
    """The links that start at each of `pks`, oldest first."""
    found: dict[int, list[store.EntityRecord]] = defaultdict(list)
    for chunk in _chunks(pks):
        for values in tx.rows(_LINKS_OF(len(chunk)), _LINKS_OF.params(chunk)):
            link = store.record(values)
            found[link.source_pk or 0].append(link)
    return found


def mixins_of(tx: Transaction, pks: Sequence[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    for chunk in _chunks(pks):
        for pk, mixin in tx.rows(_MIXINS_OF(len(chunk)), _MIXINS_OF.params(chunk)):
            found[pk].append(mixin)
    return found


def kinds_of(tx: Transaction, pks: Sequence[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for chunk in _chunks(pks):
        found.update(tx.rows(_KINDS_OF(len(chunk)), _KINDS_OF.params(chunk)))
    return found


def _chunks(items: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


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
