"""Engine construction: one place that knows how each database must be configured.

Both databases give the embedded cloud the same guarantee: write transactions run one at a
time, read-only ones (`occi_read_only`) beside them. The rules in backends/local read, decide
and then write (the next free address, "is this volume attached?", the next eth<N>), which is
only correct when no other writer runs in between. SQLite gets it from BEGIN IMMEDIATE;
PostgreSQL, whose default READ COMMITTED isolation would let two such transactions interleave,
from a transaction-level advisory lock taken first thing in every write transaction, shared by
every worker process using the database. Transactions are short, so this costs little, and
reads (most of the traffic) still scale with the workers.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

from occi_server.errors import BadRequest

# How long a SQLite writer waits for another one before giving up (milliseconds): long enough
# for a delete of a collection of thousands of entities (seconds, in one transaction), so that
# writers behind it wait rather than fail with 503; PostgreSQL writers wait without a limit.
SQLITE_BUSY_TIMEOUT_MS = 60_000
# WAL pages after which a committing writer copies the WAL back into the database (SQLite's
# default is 1,000). Creating and deleting a compute dirties about 75 pages, mostly the same
# index leaves each time: a checkpoint every 4,000 pages copies each of them once per ~50
# cycles rather than once per ~13. bench.profile's create-delete on 10,000 computes went from
# 1.8 to 1.3-1.45 ms a cycle; a checkpoint then takes about 13 ms, and the WAL file stays
# under about 20 MB. (A checkpoint thread of its own was tried: no clear gain over this.)
SQLITE_WAL_AUTOCHECKPOINT = 4_000
# The advisory lock key of the single-writer lock on PostgreSQL ("OCCI" in ASCII).
POSTGRES_WRITE_LOCK = 0x4F434349
# PostgreSQL connections per process: one per request thread (Starlette's thread pool has 40),
# so a burst of writers queues on the lock rather than for a pool slot (30 s, then a 500).
POOL_SIZE = 10
POOL_MAX_OVERFLOW = 30


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for any SQLAlchemy URL; SQLite gets WAL, foreign keys and sane locking,
    PostgreSQL (psycopg 3 by default) a connection per request thread and the writer lock."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return _postgresql(parsed, kwargs)
    if backend != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        engine = create_engine(parsed, **kwargs)
        _refuse_nul(engine)
        return engine
    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, **kwargs)
    _configure_sqlite(engine)
    _refuse_nul(engine)
    return engine


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def is_postgresql(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def _postgresql(url: URL, kwargs: dict[str, Any]) -> Engine:
    kwargs.setdefault("pool_pre_ping", True)
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", POOL_SIZE)
        kwargs.setdefault("max_overflow", POOL_MAX_OVERFLOW)
    autocommit = kwargs.get("isolation_level") == "AUTOCOMMIT"
    engine = create_engine(url, **kwargs)
    if not autocommit:
        _configure_postgresql(engine)
    _refuse_nul(engine)
    return engine


def _refuse_nul(engine: Engine) -> None:
    """A NUL character in a value is a 400 on every database: PostgreSQL text cannot hold one
    (its driver raises, which would be a 500), SQLite would store what no rendering can show.
    Paths (`/compute/%00`), filter values and JSON strings (`"\\u0000"`) all end here."""

    @event.listens_for(engine, "before_cursor_execute")
    def _check(
        _conn: Any, _cursor: Any, _statement: str, parameters: Any, _context: Any, many: bool
    ) -> None:
        for params in parameters if many else (parameters,):
            refuse_nul(params.values() if isinstance(params, dict) else params or ())


def refuse_nul(values: Iterable[Any]) -> None:
    """BadRequest when a text value holds a NUL character (see _refuse_nul)."""
    for value in values:
        if isinstance(value, str) and "\x00" in value:
            shown = value.replace("\x00", "\\x00")
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            raise BadRequest(f"a NUL character cannot be stored or looked up: '{shown}'")


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # The lock goes with the transaction (commit, rollback, or the connection's end when a
        # worker is killed): nothing can leave it held.
        if not connection.get_execution_options().get("occi_read_only"):
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({POSTGRES_WRITE_LOCK})")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite (it delays BEGIN and breaks SAVEPOINT);
        # SQLAlchemy's "begin" event below issues BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_AUTOCHECKPOINT}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front: a transaction that reads and then writes can
        # never fail on lock upgrade (which busy_timeout does not retry); WAL readers of other
        # processes are not blocked. Transactions here are short, so serialising them is cheap.
        # Read-only requests (occi_read_only) begin DEFERRED and never wait for the write lock.
        if connection.get_execution_options().get("occi_read_only"):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
