from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select

from occi_server.db.engine import make_engine
from occi_server.db.migrate import upgrade
from occi_server.db.tables import TokenRow, UserRow
from occi_server.identity import Identity, IdentityStore


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    url = database_url
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def store(engine: Engine) -> IdentityStore:
    return IdentityStore(engine)


def test_a_new_store_is_empty_until_a_project_exists(store: IdentityStore) -> None:
    assert store.is_empty()
    store.ensure_project("demo")
    assert not store.is_empty()


def test_ensure_project_returns_the_same_project_twice(store: IdentityStore) -> None:
    assert store.ensure_project("demo") == store.ensure_project("demo")
    assert store.ensure_project("demo") != store.ensure_project("other")


def test_a_token_identifies_its_project_and_user(store: IdentityStore) -> None:
    token = store.create_token("demo", "alice")
    identity = store.authenticate_token(token)
    user = store.create_user("demo", "alice")
    assert identity == Identity(user.project_id, "demo", user.id, "alice")


def test_only_the_sha256_of_a_token_is_stored(store: IdentityStore, engine: Engine) -> None:
    token = store.create_token("demo", "alice")
    with engine.connect() as connection:
        stored = connection.scalars(select(TokenRow.token_hash)).all()
    assert token not in stored and len(stored) == 1 and len(stored[0]) == 64


def test_an_unknown_or_tampered_token_is_refused(store: IdentityStore) -> None:
    token = store.create_token("demo", "alice")
    assert store.authenticate_token(token + "x") is None
    assert store.authenticate_token("") is None


def test_a_revoked_token_is_refused_and_others_stay(store: IdentityStore) -> None:
    gone, kept = store.create_token("demo", "alice"), store.create_token("demo", "alice")
    assert store.revoke_token(gone) is True
    assert store.authenticate_token(gone) is None
    assert store.authenticate_token(kept) is not None
    assert store.revoke_token(gone) is False  # nothing left to revoke


def test_an_expired_token_is_refused(store: IdentityStore) -> None:
    assert store.authenticate_token(store.create_token("demo", "alice", ttl_seconds=-1)) is None
    assert store.authenticate_token(store.create_token("demo", "alice", ttl_seconds=60))


def test_passwords_are_stored_as_salted_scrypt_hashes(store: IdentityStore, engine: Engine) -> None:
    store.create_user("demo", "alice", "s3cret")
    store.create_user("demo", "bob", "s3cret")
    with engine.connect() as connection:
        hashes = connection.scalars(select(UserRow.password_hash)).all()
    assert all(h and h.startswith("scrypt$") and "s3cret" not in h for h in hashes)
    assert hashes[0] != hashes[1]  # random salt


def test_basic_auth_accepts_the_right_password_only(store: IdentityStore) -> None:
    user = store.create_user("demo", "alice", "s3cret")
    assert store.authenticate_basic("alice", "s3cret") == Identity(
        user.project_id, "demo", user.id, "alice"
    )
    assert store.authenticate_basic("alice", "wrong") is None
    assert store.authenticate_basic("nobody", "s3cret") is None


def test_basic_auth_fails_for_a_user_without_password(store: IdentityStore) -> None:
    store.create_token("demo", "tokenonly")
    assert store.authenticate_basic("tokenonly", "") is None


def test_a_name_in_two_projects_is_told_apart_by_password_or_project(
    store: IdentityStore,
) -> None:
    store.create_user("one", "alice", "pw-one")
    store.create_user("two", "alice", "pw-two")
    found = store.authenticate_basic("alice", "pw-two")
    assert found is not None and found.project_name == "two"
    store.create_user("two", "alice", "pw-one")
    assert store.authenticate_basic("alice", "pw-one") is None  # ambiguous
    chosen = store.authenticate_basic("alice", "pw-one", project="one")
    assert chosen is not None and chosen.project_name == "one"


def test_create_user_again_keeps_the_user_and_may_change_the_password(
    store: IdentityStore,
) -> None:
    first = store.create_user("demo", "alice", "old")
    again = store.create_user("demo", "alice", "new")
    assert first == again
    assert store.authenticate_basic("alice", "old") is None
    assert store.authenticate_basic("alice", "new") is not None


def test_ensure_user_keeps_an_existing_password(store: IdentityStore) -> None:
    created = store.create_user("demo", "alice", "s3cret")
    assert store.ensure_user("demo", "alice") == created
    assert store.authenticate_basic("alice", "s3cret") is not None


def test_a_token_never_begins_with_a_dash(
    store: IdentityStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command line would take it for an option (`occi-server token revoke -x...`)."""
    drawn = iter(["-looks-like-an-option", "plain-token"])
    monkeypatch.setattr("occi_server.identity.store.secrets.token_urlsafe", lambda _: next(drawn))
    token = store.create_token("demo", "alice")
    assert token == "plain-token"
    assert store.authenticate_token(token) is not None
