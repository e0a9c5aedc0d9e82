"""The one data path (backends/local/direct.py): every statement of a request runs in one
transaction on one connection, and a read-only request sees one snapshot of the database."""

from __future__ import annotations

import ast
import threading
from pathlib import Path

from occi_server.backends.base import EntityChanges, EntityQuery
from occi_server.backends.local import LocalBackend
from occi_server.categories import infrastructure as infra
from occi_server.model import Mixin
from tests.backends.local.conftest import A, compute, storage

from .conftest import new_entity

LOCAL = Path(__file__).parents[3] / "src" / "occi_server" / "backends" / "local"
TAG = Mixin(
    scheme="http://example.org/tags#", term="blue", location="/tags/blue/", user_defined=True
)


def _meanwhile(work: object) -> None:
    """Run `work` in another request thread, to its commit, while the caller's request is open."""
    assert callable(work)
    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=60)
    assert not thread.is_alive()


def test_a_read_only_request_sees_one_snapshot(backend: LocalBackend) -> None:
    with backend.open(A) as session:
        vm = new_entity(session, compute()).location

    def change() -> None:
        with backend.open(A) as other:
            other.create_user_mixin(TAG)
            new_entity(other, storage(1.0))
            other.update_entity(vm, EntityChanges(set_attributes={"occi.core.title": "new"}))

    with backend.open(A, write=False) as session:
        version = session.catalogue_version()  # the request's first read: its snapshot
        _meanwhile(change)
        # Tables read by different code (user mixins, entities, listings) agree with it.
        assert session.user_mixins() == []
        assert session.list_locations(EntityQuery(kinds=(infra.STORAGE,))) == []
        assert "occi.core.title" not in session.get_entity(vm).attributes
        assert [e.location for e in session.list_entities(EntityQuery())] == [
            loc for loc in session.list_locations(EntityQuery())
        ]
        assert session.catalogue_version() == version
    with backend.open(A, write=False) as session:
        assert session.catalogue_version() != version
        assert session.user_mixins() == [TAG]
        assert session.get_entity(vm).attributes["occi.core.title"] == "new"


def test_a_write_request_sees_its_own_changes_everywhere(backend: LocalBackend) -> None:
    with backend.open(A) as session:
        session.create_user_mixin(TAG)
        vm = new_entity(session, compute(TAG)).location
        assert session.user_mixins() == [TAG]
        assert session.list_locations(EntityQuery(mixins=(TAG.type_id,))) == [vm]
        assert TAG.type_id in session.list_entities(EntityQuery(kinds=(infra.COMPUTE,)))[0].mixins


def test_no_module_of_the_local_backend_uses_the_orm() -> None:
    """The declarative classes in db/tables.py are the schema (Alembic's, and the tables the
    repositories compile their statements from); no ORM session reads or writes a row."""
    offenders = []
    for path in sorted(LOCAL.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "sqlalchemy.orm"
            ):
                offenders.append(f"{path.name}: from {node.module} import ...")
            if isinstance(node, ast.Import):
                offenders += [
                    f"{path.name}: import {a.name}"
                    for a in node.names
                    if a.name.startswith("sqlalchemy.orm")
                ]
    assert offenders == []
