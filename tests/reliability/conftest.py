"""Servers of their own for the reliability tests (they kill, flood and restart them), and the
database consistency check after each of them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.server import ServerProcess

StartServer = Callable[..., ServerProcess]


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[StartServer]:
    """Start servers on fresh databases (SQLite or PostgreSQL); all stopped at the end."""
    started: list[ServerProcess] = []

    def start(name: str = "server", **options: object) -> ServerProcess:
        data = tmp_path / name
        data.mkdir(exist_ok=True)
        server = ServerProcess(data_dir=data, **options)  # type: ignore[arg-type]
        started.append(server)
        return server.start()

    yield start
    for server in started:
        if server.process is not None and server.process.poll() is None:
            server.stop()
