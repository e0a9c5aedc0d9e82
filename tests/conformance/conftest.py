from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.occi_client import OcciClient
from tests.support.server import ServerProcess


@pytest.fixture(params=["text/plain", "text/occi", "application/occi+json"])
def client(
    request: pytest.FixtureRequest, server: ServerProcess, token_factory: Callable[[str], str]
) -> OcciClient:
    return OcciClient(server.url, token_factory("conformance"), fmt=request.param)


@pytest.fixture
def fresh_client(
    request: pytest.FixtureRequest,
    server: ServerProcess,
    token_factory: Callable[[str], str],
    client: OcciClient,
) -> OcciClient:
    """A client in a project of its own, for tests that delete whole collections."""
    project = "fresh-" + request.node.name.replace("[", "-").replace("]", "").replace("/", "-")
    return OcciClient(server.url, token_factory(project), fmt=client.fmt)
