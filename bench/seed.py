"""Seed many computes quickly for listing benchmarks.

One compute is created through the embedded backend (so its rows are exactly what the server
writes); the rest are bulk copies of those rows with fresh ids, in one transaction per batch.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Engine, func, insert, select

from bench.harness import UNLIMITED
from occi_server.backends.base import EntityDraft
from occi_server.backends.local import LocalBackend, default_offer
from occi_server.categories import infrastructure as infra
from occi_server.context import RequestContext
from occi_server.db.engine import make_engine
from occi_server.db.migrate import upgrade
from occi_server.db.tables import EntityAttributeRow, EntityMixinRow, EntityRow, ProjectRow


def count_computes(engine: Engine, project: str) -> int:
    with engine.connect() as connection:
        return int(
            connection.scalar(
                select(func.count()).where(
                    EntityRow.project_id == project, EntityRow.kind == infra.COMPUTE
                )
            )
            or 0
        )


def project_id(engine: Engine, name: str) -> str:
    """The id the identity store gave the project called `name`."""
    with engine.connect() as connection:
        found = connection.scalar(select(ProjectRow.id).where(ProjectRow.name == name))
    if found is None:
        raise LookupError(f"no project {name}; create a token for it first")
    return str(found)


def seed_computes(url: str, name: str, total: int, batch: int = 5000) -> int:
    """Make the project called `name` hold `total` computes; returns how many were added."""
    upgrade(url)
    engine = make_engine(url)
    try:
        project = project_id(engine, name)
        if count_computes(engine, project) >= total:
            return 0
        template = _template(engine, project)
        have = count_computes(engine, project)  # the template compute counts too
        added = 0
        while have + added < total:
            size = min(batch, total - have - added)
            _copy(engine, template, size, have + added)
            added += size
        return added
    finally:
        engine.dispose()


def _template(engine: Engine, project: str) -> dict[str, Any]:
    ctx = RequestContext(project_id=project, project_name=project, user_id="b", user_name="b")
    backend = LocalBackend(engine, default_offer(), quotas=UNLIMITED)
    with backend.open(ctx) as session:
        location = session.create_entity(
            EntityDraft(kind=infra.COMPUTE_KIND, attributes={"occi.core.title": "seed"})
        )
    with engine.connect() as connection:
        row = (
            connection.execute(
                select(EntityRow.__table__).where(
                    EntityRow.project_id == project, EntityRow.location == location
                )
            )
            .mappings()
            .one()
        )
        attributes = connection.execute(
            select(EntityAttributeRow.name, EntityAttributeRow.value_key).where(
                EntityAttributeRow.entity_pk == row["pk"]
            )
        ).all()
        mixins = connection.scalars(
            select(EntityMixinRow.mixin).where(EntityMixinRow.entity_pk == row["pk"])
        ).all()
    return {"row": dict(row), "attributes": attributes, "mixins": mixins}


def _copy(engine: Engine, template: dict[str, Any], size: int, start: int) -> None:
    base = {k: v for k, v in template["row"].items() if k != "pk"}
    with engine.begin() as connection:
        first = int(connection.scalar(select(func.coalesce(func.max(EntityRow.pk), 0))) or 0) + 1
        rows = []
        for i in range(size):
            entity_id = str(uuid.uuid4())
            title = f"vm-{start + i}"
            rows.append(
                {
                    **base,
                    "pk": first + i,
                    "id": entity_id,
                    "location": "/compute/" + entity_id,
                    "attributes": {**base["attributes"], "occi.core.title": title},
                }
            )
        connection.execute(insert(EntityRow.__table__), rows)
        project = base["project_id"]
        connection.execute(
            insert(EntityAttributeRow.__table__),
            [
                {
                    "entity_pk": first + i,
                    "project_id": project,
                    "name": name,
                    "value_key": f"vm-{start + i}" if name == "occi.core.title" else key,
                }
                for i in range(size)
                for name, key in template["attributes"]
            ],
        )
        connection.execute(
            insert(EntityMixinRow.__table__),
            [
                {"entity_pk": first + i, "project_id": project, "mixin": mixin}
                for i in range(size)
                for mixin in template["mixins"]
            ],
        )
