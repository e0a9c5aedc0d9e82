"""A consistency checker for the embedded cloud's database, read directly with SQLAlchemy.

`problems(url)` lists every invariant the server must keep whatever happens to it (hostile
requests, concurrent clients, `kill -9` in the middle of a transaction); an empty list means
the database is consistent. It reads SQLite and PostgreSQL alike and changes nothing.

    python -m bench.consistency sqlite:///data/occi-server.sqlite
"""

from __future__ import annotations

import ipaddress
import sys
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection

from occi_server.backends.local import LocalBackend, default_offer
from occi_server.backends.local.floating_ips import pool_mixin
from occi_server.backends.local.offer import CloudOffer
from occi_server.backends.local.templates import OS_SCHEME, RESOURCE_SCHEME, ProviderTemplates
from occi_server.categories import infrastructure as infra
from occi_server.categories import openstack
from occi_server.db.engine import make_engine
from occi_server.db.tables import (
    EntityAttributeRow,
    EntityMixinRow,
    EntityPrivateRow,
    EntityRow,
    IpAllocationRow,
    OsTemplateRow,
    UserMixinRow,
)

ADDRESS = "occi.networkinterface.address"
# Values kept in columns, never in the attribute index.
FIELD_ATTRIBUTES = ("occi.core.id", "occi.core.source", "occi.core.target")


def problems(url: str, catalogue: CloudOffer | None = None) -> list[str]:
    """Every inconsistency found in the database at `url` (empty: consistent)."""
    engine = make_engine(url)
    try:
        return check_engine(engine, catalogue)
    finally:
        engine.dispose()


def check_engine(engine: Engine, catalogue: CloudOffer | None = None) -> list[str]:
    catalogue = catalogue or default_offer()
    kinds = LocalBackend(engine, catalogue).served_kinds()
    with engine.connect().execution_options(occi_read_only=True) as connection:
        return _Checker(connection, catalogue, kinds).run()


class _Checker:
    def __init__(self, db: Connection, catalogue: CloudOffer, kinds: frozenset[str]) -> None:
        self.db = db
        self.offer = catalogue
        self.kinds = kinds
        self.found: list[str] = []
        self.entities = {row.pk: row for row in db.execute(select(EntityRow.__table__))}

    def run(self) -> list[str]:
        self.entity_rows()
        self.links()
        self.dependents()
        self.attribute_index()
        self.mixins()
        self.computes()
        self.addresses()
        self.attachments()
        return self.found

    def problem(self, text: str) -> None:
        self.found.append(text)

    # -- entities --------------------------------------------------------------------------------
    def entity_rows(self) -> None:
        for row in self.entities.values():
            where = f"{row.project_id}:{row.location}"
            if row.kind not in self.kinds:
                self.problem(f"{where}: unknown kind {row.kind}")
            if not row.location.startswith("/") or row.location.endswith("/"):
                self.problem(f"{where}: bad location")
            if row.version is None or row.version < 1:
                self.problem(f"{where}: version {row.version}")
            if not isinstance(row.attributes, dict):
                self.problem(f"{where}: attributes are not an object")
        keys = Counter((row.project_id, row.location) for row in self.entities.values())
        keys += Counter((row.project_id, "id:" + row.id) for row in self.entities.values())
        for key, count in keys.items():
            if count > 1:
                self.problem(f"{key}: {count} entities")

    def links(self) -> None:
        link_kinds = {
            infra.NETWORKINTERFACE,
            infra.STORAGELINK,
            "http://schemas.ogf.org/occi/core#link",
        }
        for row in self.entities.values():
            is_link = row.source is not None
            where = f"{row.project_id}:{row.location}"
            if is_link != (row.kind in link_kinds):
                self.problem(f"{where}: kind {row.kind} but source {row.source!r}")
            if not is_link:
                if row.source_pk is not None or row.target_pk is not None:
                    self.problem(f"{where}: a resource with link ends")
                continue
            source = self.entities.get(row.source_pk) if row.source_pk is not None else None
            if source is None:
                self.problem(f"{where}: link without its source {row.source}")
            else:
                self._end(where, "source", row, source, row.source)
            if row.target_pk is None:
                if str(row.target or "").startswith("/"):
                    self.problem(f"{where}: local target {row.target} without its row")
                elif row.kind != "http://schemas.ogf.org/occi/core#link":
                    self.problem(f"{where}: a {row.kind} to an external target {row.target}")
                continue
            target = self.entities.get(row.target_pk)
            if target is None:
                self.problem(f"{where}: link without its target {row.target}")
            else:
                self._end(where, "target", row, target, row.target)

    def _end(self, where: str, end: str, link: Any, row: Any, rendered: str | None) -> None:
        if row.project_id != link.project_id:
            self.problem(f"{where}: {end} {row.location} is in project {row.project_id}")
        if row.source is not None:
            self.problem(f"{where}: {end} {row.location} is a link")
        if rendered != row.location:
            self.problem(f"{where}: {end} says {rendered} but points at {row.location}")

    def dependents(self) -> None:
        tables: list[Any] = [EntityAttributeRow, EntityMixinRow, EntityPrivateRow, IpAllocationRow]
        for table in tables:
            for row in self.db.execute(select(table.entity_pk, table.project_id)):
                entity = self.entities.get(row.entity_pk)
                name = table.__tablename__
                if entity is None:
                    self.problem(f"{name}: row of missing entity {row.entity_pk}")
                elif entity.project_id != row.project_id:
                    self.problem(f"{name}: {entity.location} indexed under {row.project_id}")

    def attribute_index(self) -> None:
        indexed: dict[int, set[str]] = defaultdict(set)
        for row in self.db.execute(select(EntityAttributeRow.entity_pk, EntityAttributeRow.name)):
            indexed[row.entity_pk].add(row.name)
        for row in self.entities.values():
            attributes = row.attributes if isinstance(row.attributes, dict) else {}
            expected = {n for n, v in attributes.items() if v is not None} - set(FIELD_ATTRIBUTES)
            if indexed.get(row.pk, set()) != expected:
                self.problem(f"{row.project_id}:{row.location}: attribute index differs")

    def mixins(self) -> None:
        static = {m.type_id for m in infra.MIXINS}
        static |= {c.type_id for c in openstack.CATEGORIES}
        static |= {m.type_id for m in ProviderTemplates(self.offer).mixins}
        static |= {pool_mixin(p).type_id for p in self.offer.floating_pools}
        user = {
            (r.project_id, r.scheme + r.term)
            for r in self.db.execute(
                select(UserMixinRow.project_id, UserMixinRow.scheme, UserMixinRow.term)
            )
        }
        snapshots = {
            (r.project_id, OS_SCHEME + r.term)
            for r in self.db.execute(select(OsTemplateRow.project_id, OsTemplateRow.term))
        }
        for row in self.db.execute(select(EntityMixinRow.entity_pk, EntityMixinRow.mixin)):
            entity = self.entities.get(row.entity_pk)
            if entity is None or row.mixin in static:
                continue
            if (entity.project_id, row.mixin) not in user | snapshots:
                self.problem(f"{entity.project_id}:{entity.location}: unknown mixin {row.mixin}")

    def computes(self) -> None:
        """A compute always has its flavor and its image (a create is all or nothing)."""
        held: dict[int, list[str]] = defaultdict(list)
        for row in self.db.execute(select(EntityMixinRow.entity_pk, EntityMixinRow.mixin)):
            held[row.entity_pk].append(row.mixin)
        for row in self.entities.values():
            if row.kind != infra.COMPUTE:
                continue
            mixins = held.get(row.pk, [])
            where = f"{row.project_id}:{row.location}"
            if sum(m.startswith(RESOURCE_SCHEME) for m in mixins) != 1:
                self.problem(f"{where}: compute without exactly one resource template")
            if not any(m.startswith(OS_SCHEME) for m in mixins):
                self.problem(f"{where}: compute without an OS template")
            for name in ("occi.compute.state", "occi.compute.cores", "occi.compute.memory"):
                if name not in row.attributes:
                    self.problem(f"{where}: compute without {name}")

    def addresses(self) -> None:
        """No address twice in one pool; every interface address is allocated to it."""
        allocations = list(self.db.execute(select(IpAllocationRow.__table__)))
        for key, count in Counter((a.pool, a.address) for a in allocations).items():
            if count > 1:
                self.problem(f"address {key[1]} allocated {count} times in {key[0]}")
        for allocation in allocations:
            try:  # an address, or a network's private range (subnets.py)
                ipaddress.ip_network(allocation.address)
            except ValueError:
                self.problem(f"allocation of a non-address {allocation.address!r}")
        held = {(a.entity_pk, a.address) for a in allocations}
        for row in self.entities.values():
            if row.kind != infra.NETWORKINTERFACE or row.target_pk is None:
                continue
            address = row.attributes.get(ADDRESS) if isinstance(row.attributes, dict) else None
            if address is not None and (row.pk, str(address)) not in held:
                self.problem(f"{row.project_id}:{row.location}: address {address} not allocated")

    def attachments(self) -> None:
        """A volume is attached to one compute at a time."""
        counts = Counter(
            row.target_pk for row in self.entities.values() if row.kind == infra.STORAGELINK
        )
        for pk, count in counts.items():
            if count > 1 and pk in self.entities:
                self.problem(f"{self.entities[pk].location}: attached {count} times")


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 1:
        print("usage: python -m bench.consistency DATABASE_URL", file=sys.stderr)
        return 2
    found = problems(args[0])
    for line in found:
        print(line)
    print(f"{len(found)} problems")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
