"""Fixtures shared by the whole suite: a real server process per test session (per xdist worker),
and a fresh database per test. OCCI_TEST_DATABASE=postgresql runs all of it on PostgreSQL
(tests/support/databases.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import databases
from tests.support.origin import Origin
from tests.support.server import ServerProcess


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data: Path = tmp_path_factory.mktemp("occi-data")
    process = ServerProcess(data_dir=data).start()
    yield process
    process.stop()


@pytest.fixture(scope="session")
def token_factory(server: ServerProcess) -> Iterator[object]:
    cache: dict[str, str] = {}

    def make(project: str) -> str:
        if project not in cache:
            cache[project] = server.token(project)
        return cache[project]

    yield make


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A migrated database of this test's own: SQLite in tmp_path, or a leased PostgreSQL one."""
    url = databases.fresh_url(tmp_path / "data", "occi")
    yield url
    databases.release(url)


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """Like `database_url` but never migrated, for migration tests."""
    url = databases.empty_url(tmp_path, "empty")
    yield url
    databases.release(url)


@pytest.fixture(scope="session")
def origin() -> Iterator[Origin]:
    """Another HTTP server on 127.0.0.1 the cloud may fetch from (tests/support/origin.py)."""
    server = Origin().start()
    yield server
    server.stop()
