"""tests/http drives the ASGI app in process (tests/support/in_process.py): the embedded
backend on a real database (SQLite, or PostgreSQL under OCCI_TEST_DATABASE), real tokens, no
server process. What needs uvicorn itself (HEAD bodies, sockets, workers) is in tests/e2e."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from occi_server.backends.local import LocalBackend, default_offer
from occi_server.config import Config
from occi_server.db.engine import make_engine
from occi_server.db.migrate import upgrade
from occi_server.http.app import OcciApp
from occi_server.identity.auth import LocalAuth
from occi_server.identity.store import IdentityStore
from tests.support import databases, in_process
from tests.support.occi_client import OcciClient


@pytest.fixture(scope="module")
def app_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[OcciApp, IdentityStore]]:
    url = databases.fresh_url(tmp_path_factory.mktemp("http-data"), "occi")
    upgrade(url)
    engine = make_engine(url)
    store = IdentityStore(engine)
    yield OcciApp(Config(), LocalBackend(engine, default_offer()), LocalAuth(store)), store
    engine.dispose()
    databases.release(url)


@pytest.fixture(scope="module")
def http(app_store: tuple[OcciApp, IdentityStore]) -> Iterator[httpx.Client]:
    with in_process.client(app_store[0]) as client:
        yield client


@pytest.fixture(scope="module")
def plain(app_store: tuple[OcciApp, IdentityStore], http: httpx.Client) -> OcciClient:
    token = app_store[1].create_token("http-a", "alice")
    return OcciClient(in_process.BASE, token, fmt="text/plain", http=http)


@pytest.fixture(scope="module")
def other(app_store: tuple[OcciApp, IdentityStore], http: httpx.Client) -> OcciClient:
    """A client in another project."""
    token = app_store[1].create_token("http-b", "alice")
    return OcciClient(in_process.BASE, token, fmt="text/plain", http=http)
