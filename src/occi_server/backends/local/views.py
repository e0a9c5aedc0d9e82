"""Rows to model objects (Resource with its links, Link with its ends), loaded in bulk."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from occi_server.backends.local import reads, store
from occi_server.backends.local.rules import KindRules
from occi_server.backends.local.scope import Scope
from occi_server.backends.local.store import EntityRecord
from occi_server.model import Entity, Link, Resource

TARGET_KIND = "occi.core.target.kind"


class Viewer:
    def __init__(
        self, scope: Scope, rules_for: Callable[[str], KindRules], implemented: frozenset[str]
    ) -> None:
        self._scope = scope
        self._rules_for = rules_for
        self._implemented = implemented

    def many(self, rows: Sequence[EntityRecord]) -> list[Entity]:
        tx = self._scope.tx
        owned = reads.links_of(tx, [r.pk for r in rows if not store.is_link(r)])
        all_rows = [*rows, *(link for links in owned.values() for link in links)]
        mixins = reads.mixins_of(tx, [r.pk for r in all_rows])
        return self.assemble(rows, owned, mixins, self._kinds(all_rows))

    def assemble(
        self,
        rows: Sequence[EntityRecord],
        owned: Mapping[int, Sequence[EntityRecord]],
        mixins: Mapping[int, list[str]],
        kinds: Mapping[int, str],
    ) -> list[Entity]:
        """Model objects from rows already read: `owned` maps a resource's pk to its links,
        `kinds` every link end's pk to its kind."""
        result: list[Entity] = []
        for row in rows:
            if row.source is not None:
                result.append(self._link(row, mixins, kinds))
            else:
                entity = self._resource(row, mixins)
                entity.links = [self._link(link, mixins, kinds) for link in owned.get(row.pk, [])]
                result.append(entity)
        return result

    def _common(self, row: EntityRecord, mixins: Mapping[int, list[str]]) -> dict[str, Any]:
        rules = self._rules_for(row.kind)
        actions = rules.actions(row.attributes)
        attributes = dict(row.attributes)
        rules.shown(self._scope, row, attributes)
        return {
            "id": row.id,
            "kind": row.kind,
            "location": row.location,
            "mixins": mixins.get(row.pk, []),
            "attributes": attributes,
            "actions": [a for a in actions if a in self._implemented],
            "version": str(row.version),
        }

    def _resource(self, row: EntityRecord, mixins: Mapping[int, list[str]]) -> Resource:
        return Resource(**self._common(row, mixins))

    def _link(
        self, row: EntityRecord, mixins: Mapping[int, list[str]], kinds: Mapping[int, str]
    ) -> Link:
        target_kind = kinds.get(row.target_pk or 0) or row.attributes.get(TARGET_KIND)
        return Link(
            **self._common(row, mixins),
            source=row.source or "",
            target=row.target or "",
            source_kind=kinds.get(row.source_pk or 0),
            target_kind=target_kind,
        )

    def _kinds(self, rows: list[EntityRecord]) -> dict[int, str]:
        """Kinds of every link end (for rel= and occi.core.target.kind)."""
        known = {r.pk: r.kind for r in rows}
        ends = {pk for r in rows for pk in (r.source_pk, r.target_pk) if pk is not None}
        known.update(reads.kinds_of(self._scope.tx, sorted(ends - known.keys())))
        return known
