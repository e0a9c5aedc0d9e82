from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.occi_client import OcciClient
from tests.support.server import ServerProcess


@pytest.fixture
def plain(server: ServerProcess, token_factory: Callable[[str], str]) -> OcciClient:
    return OcciClient(server.url, token_factory("http-a"), fmt="text/plain")


@pytest.fixture
def other(server: ServerProcess, token_factory: Callable[[str], str]) -> OcciClient:
    """A client in another project."""
    return OcciClient(server.url, token_factory("http-b"), fmt="text/plain")
