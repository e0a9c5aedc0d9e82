"""Fixtures shared by the whole suite: a real server process per test session (per xdist worker)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

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
