"""Read-only requests answer from the direct reader on a connection of their own
(backends/local/direct.py); what they see must be exactly what a write session, reading on
its transaction's connection, sees."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from occi_server.backends.base import EntityQuery
from occi_server.backends.local import LocalBackend, default_offer
from occi_server.backends.local.direct import DirectReads
from occi_server.categories import infrastructure as infra
from occi_server.db.engine import make_engine
from occi_server.db.tables import Base
from occi_server.errors import BadRequest, NotFound
from occi_server.model import Mixin
from tests.backends.local.conftest import A, B, compute, inline, storage, storagelink, template

from .conftest import new_entity


def _world(backend: LocalBackend) -> tuple[str, str, str]:
    """A compute with an inline storage link and a second link, mixins on both."""
    with backend.open(A) as session:
        disk = new_entity(session, storage(2.0)).location
        other = new_entity(session, storage(1.0)).location
        small = template(session, "itsy")
        vm = new_entity(
            session,
            compute(
                small,
                links=[
                    inline(
                        infra.STORAGELINK_KIND, disk, **{"occi.storagelink.deviceid": "/dev/vdb"}
                    )
                ],
            ),
        ).location
        link = new_entity(session, storagelink(vm, other)).location
    return vm, link, disk


def _both(backend: LocalBackend, location: str) -> tuple[object, object]:
    with backend.open(A, write=True) as session:
        written = session.get_entity(location)
    with backend.open(A, write=False) as session:
        direct = session.get_entity(location)
    return written, direct


def test_direct_reader_serves_read_only_sessions(backend: LocalBackend) -> None:
    assert backend._direct is not None
    _world(backend)
    with backend.open(A, write=False) as session:
        assert session._scope.tx is not None  # type: ignore[attr-defined]


def test_resource_with_links_and_mixins_reads_the_same_as_a_write_session(
    backend: LocalBackend,
) -> None:
    vm, _, _ = _world(backend)
    orm, direct = _both(backend, vm)
    assert direct == orm
    assert len(direct.links) == 2  # type: ignore[attr-defined]


def test_link_reads_with_its_end_kinds_as_a_write_session(backend: LocalBackend) -> None:
    _, link, _ = _world(backend)
    orm, direct = _both(backend, link)
    assert direct == orm
    assert direct.source_kind == infra.COMPUTE  # type: ignore[attr-defined]
    assert direct.target_kind == infra.STORAGE  # type: ignore[attr-defined]


def test_missing_entity_is_not_found(backend: LocalBackend) -> None:
    _world(backend)
    with backend.open(A, write=False) as session, pytest.raises(NotFound):
        session.get_entity("/compute/nope")


def test_other_projects_entities_are_not_found(backend: LocalBackend) -> None:
    vm, _, _ = _world(backend)
    with backend.open(B) as session:
        session.list_locations(EntityQuery())  # B exists
    with backend.open(B, write=False) as session, pytest.raises(NotFound):
        session.get_entity(vm)


def test_nul_in_a_looked_up_location_is_a_bad_request(backend: LocalBackend) -> None:
    _world(backend)
    with backend.open(A, write=False) as session, pytest.raises(BadRequest, match="NUL"):
        session.get_entity("/compute/\x00")


@pytest.mark.parametrize(
    "query",
    [
        EntityQuery(),
        EntityQuery(kinds=(infra.COMPUTE,)),
        EntityQuery(kinds=(infra.STORAGE, infra.STORAGELINK)),
        EntityQuery(kinds=()),
        EntityQuery(attributes={"occi.storage.size": 2.0}),
        EntityQuery(location_prefix="/storage/"),
        EntityQuery(offset=1, limit=2),
    ],
)
def test_listings_read_the_same_as_a_write_session(
    backend: LocalBackend, query: EntityQuery
) -> None:
    _world(backend)
    with backend.open(A, write=True) as session:
        orm = session.list_locations(query)
    with backend.open(A, write=False) as session:
        assert session.list_locations(query) == orm


def test_listing_by_mixin_reads_the_same_as_a_write_session(backend: LocalBackend) -> None:
    _world(backend)
    with backend.open(A, write=True) as session:
        small: Mixin = template(session, "itsy")
        orm = session.list_locations(EntityQuery(mixins=(small.type_id,)))
    with backend.open(A, write=False) as session:
        assert session.list_locations(EntityQuery(mixins=(small.type_id,))) == orm == orm[:1]


def test_catalogue_version_reads_the_same_as_a_write_session(backend: LocalBackend) -> None:
    _world(backend)
    with backend.open(A, write=True) as session:
        orm = session.catalogue_version()
    with backend.open(A, write=False) as session:
        assert session.catalogue_version() == orm


def test_a_broken_connection_is_replaced_on_the_next_request(backend: LocalBackend) -> None:
    vm, _, _ = _world(backend)
    direct = backend._direct
    assert direct is not None
    with backend.open(A, write=False) as session:
        session.get_entity(vm)
    assert direct.idle() == 1
    direct._idle[0].dbapi_connection.close()  # as a server that dropped it would
    with pytest.raises(DBAPIError), backend.open(A, write=False) as session:
        session.get_entity(vm)
    assert direct.idle() == 0  # thrown away, not kept
    with backend.open(A, write=False) as session:
        assert session.get_entity(vm).location == vm
    assert direct.idle() == 1


def test_concurrent_readers_use_their_own_connections_and_few_stay_open(
    backend: LocalBackend,
) -> None:
    vm, _, _ = _world(backend)
    direct = backend._direct
    assert direct is not None
    seen: list[str] = []
    inside = threading.Barrier(8)

    def read() -> None:
        with backend.open(A, write=False) as session:
            seen.append(session.get_entity(vm).location)
            inside.wait(timeout=30)  # all eight are in a read at once

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == [vm] * 8
    assert direct.idle() == direct.max_idle


def test_in_memory_sqlite_reads_on_its_transaction_connection(engine: Engine) -> None:
    """A second connection to an in-memory database would see another, empty database."""
    memory = make_engine("sqlite://")
    try:
        assert not DirectReads.supports(memory)
        Base.metadata.create_all(memory)
        backend = LocalBackend(memory, default_offer())
        assert backend._direct is None
        with backend.open(A) as session:
            vm = new_entity(session, compute()).location
        with backend.open(A, write=False) as session:
            assert session.get_entity(vm).location == vm
            assert session.list_locations(EntityQuery(kinds=(infra.COMPUTE,))) == [vm]
    finally:
        memory.dispose()
    assert DirectReads.supports(engine)


def test_cached_listing_statements_still_see_new_entities(backend: LocalBackend) -> None:
    """Statements are cached per distinct listing, never their results."""
    _world(backend)
    query = EntityQuery(kinds=(infra.STORAGE,))
    with backend.open(A, write=False) as session:
        before = session.list_locations(query)
    with backend.open(A) as session:
        added = new_entity(session, storage(3.0)).location
    with backend.open(A, write=False) as session:
        assert session.list_locations(query) == [*before, added]


def test_filter_values_equal_in_python_but_not_in_the_index_are_told_apart(
    backend: LocalBackend,
) -> None:
    """True == 1 == 1.0 in Python; the attribute index keeps "true" and "1" apart."""
    with backend.open(A) as session:
        flagged = new_entity(session, storage(1.0, example__flag=True)).location
        counted = new_entity(session, storage(1.0, example__flag=1)).location
    with backend.open(A, write=False) as session:
        assert session.list_locations(EntityQuery(attributes={"example.flag": True})) == [flagged]
        assert session.list_locations(EntityQuery(attributes={"example.flag": 1})) == [counted]
        assert session.list_locations(EntityQuery(attributes={"example.flag": 1.0})) == [counted]
