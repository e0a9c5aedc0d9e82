"""Fixtures for the local backend: a database per test (SQLite file, or PostgreSQL under
OCCI_TEST_DATABASE) and draft builders."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from occi_server.backends.base import EntityDraft, LinkDraft, ProjectCloud
from occi_server.backends.local import LocalBackend, default_offer
from occi_server.categories import core
from occi_server.categories import infrastructure as infra
from occi_server.context import RequestContext
from occi_server.db.engine import make_engine
from occi_server.db.migrate import upgrade
from occi_server.drivers import Drivers
from occi_server.drivers.files import FileStore
from occi_server.drivers.simulated import SimulatedHypervisor
from occi_server.model import Entity, Kind, Link, Mixin, Resource

A = RequestContext(project_id="p-a", project_name="a", user_id="u-a", user_name="alice")
B = RequestContext(project_id="p-b", project_name="b", user_id="u-b", user_name="bob")


@pytest.fixture
def db_url(database_url: str) -> str:
    return database_url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    upgrade(db_url)
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    return FileStore(tmp_path / "store")


@pytest.fixture
def hypervisor(store: FileStore) -> SimulatedHypervisor:
    return SimulatedHypervisor(store)


@pytest.fixture
def backend(engine: Engine, hypervisor: SimulatedHypervisor, store: FileStore) -> LocalBackend:
    return LocalBackend(engine, default_offer(), Drivers(hypervisor, store))


def template(session: ProjectCloud, term: str) -> Mixin:
    for mixin in session.provider_mixins():
        if mixin.term == term:
            return mixin
    raise AssertionError(f"no provider mixin {term}")


def compute(*mixins: Mixin, links: list[LinkDraft] | None = None, **attributes: Any) -> EntityDraft:
    return EntityDraft(
        kind=infra.COMPUTE_KIND,
        mixins=list(mixins),
        attributes=_dotted(attributes),
        links=links or [],
    )


def storage(size: float = 1.0, **attributes: Any) -> EntityDraft:
    return EntityDraft(
        kind=infra.STORAGE_KIND, attributes={"occi.storage.size": size, **_dotted(attributes)}
    )


def network(cidr: str | None = None, **attributes: Any) -> EntityDraft:
    values = _dotted(attributes)
    mixins = []
    if cidr is not None:
        mixins.append(infra.IPNETWORK_MIXIN)
        values["occi.network.address"] = cidr
    return EntityDraft(kind=infra.NETWORK_KIND, mixins=mixins, attributes=values)


def link(kind: Kind, source: str, target: str, *mixins: Mixin, **attributes: Any) -> EntityDraft:
    draft = LinkDraft(
        kind=kind, mixins=list(mixins), attributes=_dotted(attributes), source=source, target=target
    )
    return EntityDraft(kind=kind, link=draft)


def inline(kind: Kind, target: str, **attributes: Any) -> LinkDraft:
    return LinkDraft(kind=kind, target=target, attributes=_dotted(attributes))


def storagelink(source: str, target: str, device: str = "/dev/vdc") -> EntityDraft:
    return link(infra.STORAGELINK_KIND, source, target, **{"occi.storagelink.deviceid": device})


def interface(source: str, target: str, **attributes: Any) -> EntityDraft:
    return link(infra.NETWORKINTERFACE_KIND, source, target, **attributes)


def plain_link(source: str, target: str) -> EntityDraft:
    return link(core.LINK_KIND, source, target)


def _dotted(attributes: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments use '__' for '.': occi__compute__cores=2."""
    return {k.replace("__", "."): v for k, v in attributes.items()}


def as_resource(entity: object) -> Resource:
    assert isinstance(entity, Resource)
    return entity


def as_link(entity: object) -> Link:
    assert isinstance(entity, Link)
    return entity


def new_entity(session: ProjectCloud, draft: EntityDraft) -> Entity:
    """Create, then read back (a create answers only the new entity's location)."""
    return session.get_entity(session.create_entity(draft))
