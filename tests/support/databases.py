"""Which database the tests run on, and a clean one on demand.

`OCCI_TEST_DATABASE` chooses:

* unset, empty or `sqlite`: a SQLite file per test (or per server process), as always;
* `postgresql` (or `postgres`, `pg`): the PostgreSQL server at 127.0.0.1:5432, user postgres;
* a URL `postgresql+psycopg://user@host:port/db`: that server (the database named is only used
  to connect for CREATE DATABASE).

On PostgreSQL, creating and dropping a database per test costs seconds (each DROP waits for a
checkpoint), so the tests draw from a pool of databases named `occi_t_pool_<n>` that stays on
the server between runs. A test process leases one with a session-level advisory lock held by
its own admin connection (so concurrent xdist workers and concurrent runs never share one; a
dead process's locks go with its connection) and gets it clean: other connections to it are
ended, it is migrated to head and every table is emptied with its sequences reset. A released
database goes back to the process's own pool for the next test. `scripts/postgres-up --clean`
(or `drop_pool()`) removes the pool.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

from sqlalchemy import Connection, text
from sqlalchemy.engine import URL, make_url

ENV = "OCCI_TEST_DATABASE"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
POOL = "occi_t_pool_"
# Advisory lock space of pool leases (the two-key form never meets the server's one-key lock).
LEASE_LOCK_CLASS = 0x4F43
_INDEX = re.compile(rf"{POOL}(\d+)$")
_FAST_COMMITS = "-c synchronous_commit=off"

_lock = threading.RLock()
_admin: Connection | None = None
_owned: set[str] = set()  # locked by this process
_leased: set[str] = set()  # in use by a test or a server of this process
_maintenance_connections: dict[str, Connection] = {}


def choice() -> str:
    return os.environ.get(ENV, "").strip()


def is_postgresql() -> bool:
    value = choice().lower()
    return value in ("postgresql", "postgres", "pg") or value.startswith("postgresql")


def admin_url() -> URL:
    value = choice()
    url = make_url(value if "://" in value else DEFAULT_POSTGRES)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url


def fresh_url(directory: Path, stem: str = "occi") -> str:
    """The URL of a migrated, empty database that nobody else uses: a leased PostgreSQL
    database, or a not yet existing SQLite file in `directory` (migrated on first start)."""
    if not is_postgresql():
        return f"sqlite:///{directory / (stem + '.sqlite')}"
    url = _url(_lease())
    _reset(url, migrate=True)
    return url


def postgresql_reachable() -> bool:
    """Whether the PostgreSQL server of `admin_url()` answers (whatever OCCI_TEST_DATABASE says)."""
    try:
        _admin_connection()
    except Exception:
        return False
    return True


def fresh_postgresql_url() -> str:
    """A leased, migrated, empty PostgreSQL database even when the suite runs on SQLite."""
    url = _url(_lease())
    _reset(url, migrate=True)
    return url


def empty_url(directory: Path, stem: str = "occi") -> str:
    """Like `fresh_url`, but with no tables at all (for migration tests)."""
    if not is_postgresql():
        return f"sqlite:///{directory / (stem + '.sqlite')}"
    url = _url(_lease())
    _reset(url, migrate=False)
    return url


def release(url: str) -> None:
    """Give a leased database back (the next lease cleans it); SQLite files stay in tmp."""
    name = make_url(url).database or ""
    with _lock:
        _leased.discard(name)


def drop_pool() -> list[str]:
    """Drop every pool database nobody holds (slow: one checkpoint per database)."""
    dropped = []
    connection = _admin_connection()
    for name in _pool_names(connection):
        if name in _owned or not _try_lock(connection, name):
            continue
        _end_connections(connection, name)
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        _unlock(connection, name)
        dropped.append(name)
    return dropped


# --- internals ----------------------------------------------------------------------------------


def _url(name: str) -> str:
    # Commits need not wait for the disk: the tests kill servers, never PostgreSQL itself.
    url = admin_url().set(database=name).update_query_dict({"options": _FAST_COMMITS})
    return url.render_as_string(hide_password=False)


def _admin_connection() -> Connection:
    global _admin
    with _lock:
        if _admin is None:
            from sqlalchemy import create_engine
            from sqlalchemy.pool import NullPool

            engine = create_engine(
                admin_url(),
                isolation_level="AUTOCOMMIT",
                poolclass=NullPool,
                connect_args={"connect_timeout": 5},
            )
            _admin = engine.connect()
        return _admin


def _pool_names(connection: Connection) -> list[str]:
    rows = connection.execute(
        text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": POOL + "%"}
    ).scalars()
    return sorted((n for n in rows if _INDEX.match(n)), key=_index)


def _index(name: str) -> int:
    match = _INDEX.match(name)
    return int(match.group(1)) if match else -1


def _try_lock(connection: Connection, name: str) -> bool:
    return bool(
        connection.execute(
            text("SELECT pg_try_advisory_lock(:c, :n)"),
            {"c": LEASE_LOCK_CLASS, "n": _index(name)},
        ).scalar()
    )


def _unlock(connection: Connection, name: str) -> None:
    connection.execute(
        text("SELECT pg_advisory_unlock(:c, :n)"), {"c": LEASE_LOCK_CLASS, "n": _index(name)}
    )


def _lease() -> str:
    with _lock:
        connection = _admin_connection()
        for name in sorted(_owned - _leased, key=_index):
            _leased.add(name)
            return name
        existing = _pool_names(connection)
        for name in existing:
            if name not in _owned and _try_lock(connection, name):
                _owned.add(name)
                _leased.add(name)
                return name
        index = max((_index(n) for n in existing), default=-1) + 1
        while True:
            name = f"{POOL}{index}"
            index += 1
            if not _try_lock(connection, name):
                continue  # another process is creating it right now
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).first()
            if exists is None:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            _owned.add(name)
            _leased.add(name)
            return name


def _end_connections(connection: Connection, name: str, keep: int | None = None) -> None:
    """Servers of earlier tests (or killed ones) may still hold connections to it."""
    connection.execute(
        text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = :n AND pid <> pg_backend_pid() AND pid <> :keep"
        ),
        {"n": name, "keep": keep or 0},
    )


def _maintenance(url: str) -> Connection:
    """This process's own AUTOCOMMIT connection to a leased database (connecting costs more
    than emptying it)."""
    name = make_url(url).database or ""
    connection = _maintenance_connections.get(name)
    if connection is None or connection.closed or connection.invalidated:
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        connection = engine.connect()
        _maintenance_connections[name] = connection
    return connection


def _reset(url: str, *, migrate: bool) -> None:
    from occi_server.db.migrate import head_revision, upgrade
    from occi_server.db.tables import metadata

    name = make_url(url).database or ""
    with _lock:
        connection = _maintenance(url)
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
        _end_connections(_admin_connection(), name, keep=pid)
        if not migrate:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
            return
        tables = set(
            connection.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            ).scalars()
        )
        revision = None
        if "alembic_version" in tables:
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        if revision == head_revision():
            names = [t.name for t in metadata.sorted_tables if t.name in tables]
            listed = ", ".join(f'"{n}"' for n in names)
            connection.execute(text(f"TRUNCATE {listed} RESTART IDENTITY CASCADE"))
            return
        # Never migrated, or by another checkout: start from nothing.
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    upgrade(url)
