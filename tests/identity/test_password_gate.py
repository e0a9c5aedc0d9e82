"""Password checks: failures throttled per source and per user (429 before any scrypt runs),
successes cached, the project hint choosing among same-named users (issue 15, rows 4 and 15)."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from occi_server.db.engine import make_engine
from occi_server.db.migrate import upgrade
from occi_server.errors import TooManyRequests, Unauthorized
from occi_server.identity import Identity, IdentityStore
from occi_server.identity.auth import LocalAuth
from occi_server.identity.passwords_gate import PasswordGate


class CountingStore(IdentityStore):
    """The real store, counting the password checks (each one a scrypt) it is asked for."""

    checks = 0

    def authenticate_basic(
        self, user: str, password: str, project: str | None = None
    ) -> Identity | None:
        self.checks += 1
        return super().authenticate_basic(user, password, project)


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    upgrade(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def store(engine: Engine) -> CountingStore:
    store = CountingStore(engine)
    store.create_user("alpha", "alice", "right")
    store.create_user("beta", "alice", "right")
    store.create_user("alpha", "bob", "bobs")
    return store


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def gate(store: CountingStore, clock: Clock) -> PasswordGate:
    return PasswordGate(store, failures=3, window=60, clock=clock)


def test_failures_from_one_source_are_refused_before_scrypt(
    gate: PasswordGate, store: CountingStore, clock: Clock
) -> None:
    for _ in range(3):
        assert gate.check("bob", "wrong", None, "10.0.0.1") is None
    with pytest.raises(TooManyRequests) as refused:
        gate.check("bob", "wrong", None, "10.0.0.1")
    assert store.checks == 3  # the fourth never ran scrypt
    assert refused.value.status == 429
    assert 1 <= int(refused.value.headers["Retry-After"]) <= 60
    # Another source may still try another user; once the window has passed, so may this one.
    assert gate.check("alice", "right", "alpha", "10.0.0.2") is not None
    clock.now += 61
    assert gate.check("bob", "bobs", None, "10.0.0.1") is not None


def test_failures_for_one_user_are_refused_from_any_source(
    gate: PasswordGate, clock: Clock
) -> None:
    for source in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        assert gate.check("bob", "wrong", None, source) is None
    with pytest.raises(TooManyRequests):
        gate.check("bob", "bobs", None, "10.0.0.4")


def test_a_cached_success_passes_while_its_user_is_throttled(
    gate: PasswordGate, store: CountingStore
) -> None:
    assert gate.check("bob", "bobs", None, "10.0.0.1") is not None
    for source in ("10.0.0.7", "10.0.0.8", "10.0.0.9"):
        gate.check("bob", "guess", None, source)
    before = store.checks
    assert gate.check("bob", "bobs", None, "10.0.0.1") is not None
    assert store.checks == before  # served from the cache: no scrypt


def test_successes_are_cached_and_expire(
    gate: PasswordGate, store: CountingStore, clock: Clock
) -> None:
    for _ in range(5):
        assert gate.check("bob", "bobs", None, "10.0.0.1") is not None
    assert store.checks == 1
    clock.now += 31
    assert gate.check("bob", "bobs", None, "10.0.0.1") is not None
    assert store.checks == 2


def test_the_project_hint_selects_among_same_named_users(gate: PasswordGate) -> None:
    # Same name and password in two projects: without a hint it is ambiguous.
    assert gate.check("alice", "right", None, "s") is None
    alpha = gate.check("alice", "right", "alpha", "s")
    beta = gate.check("alice", "right", "beta", "s")
    assert alpha is not None and alpha.project_name == "alpha"
    assert beta is not None and beta.project_name == "beta"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_http_basic_with_x_auth_tenant_id_picks_the_project(
    store: CountingStore, gate: PasswordGate
) -> None:
    auth = LocalAuth(store, gate=gate)
    headers = {"authorization": basic("alice", "right"), "x-auth-tenant-id": "beta"}
    ctx = auth.authenticate(headers, "http://h", "10.0.0.1")
    assert ctx.project_name == "beta"
    with pytest.raises(Unauthorized):
        auth.authenticate({"authorization": basic("alice", "right")}, "http://h", "10.0.0.1")


def test_only_uncached_basic_credentials_are_costly(
    store: CountingStore, gate: PasswordGate
) -> None:
    auth = LocalAuth(store, gate=gate)
    headers = {"authorization": basic("bob", "bobs")}
    assert auth.is_costly(headers)
    auth.authenticate(headers, "http://h", "10.0.0.1")
    assert not auth.is_costly(headers)
    assert not auth.is_costly({"x-auth-token": "t"})
