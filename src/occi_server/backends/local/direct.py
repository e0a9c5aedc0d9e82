"""The hottest reads, run as compiled SQL on the database driver's own connection.

SQLAlchemy still builds and compiles every statement (once per dialect). What this skips is
its per-execution work: on SQLite a key lookup costs about 2 µs in the driver and about 90 µs
through a Connection, 180 µs through a Session, and every request makes a few of them (the
catalogue version, one entity with its links). Measured with `python -m bench.profile`.

Only read-only requests use this; anything it cannot answer falls to the ORM session. Driver
errors are re-raised as SQLAlchemy's exceptions, so callers translate them as they always did.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, NamedTuple, cast

from sqlalchemy import Engine
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from occi_server.db.engine import make_engine, refuse_nul


class Prepared:
    """A statement compiled once per dialect: its SQL, its parameters in the driver's order
    (positional drivers) and the values already bound in it."""

    __slots__ = ("_compiled", "_statement")

    def __init__(self, statement: ClauseElement) -> None:
        self._statement = statement
        self._compiled: dict[str, CompiledSql] = {}

    def for_dialect(self, dialect: Dialect) -> CompiledSql:
        found = self._compiled.get(dialect.name)
        if found is None:
            compiled = cast(
                SQLCompiler,
                self._statement.compile(
                    dialect=dialect, compile_kwargs={"render_postcompile": True}
                ),
            )
            order = tuple(compiled.positiontup or ()) if compiled.positional else None
            found = CompiledSql(compiled.string, order, dict(compiled.params))
            self._compiled[dialect.name] = found
        return found


class CompiledSql(NamedTuple):
    sql: str
    order: tuple[str, ...] | None  # parameter names in placeholder order; None: named style
    bound: dict[str, Any]  # values bound in the statement itself


class Reader:
    """One request's reads in one transaction (one snapshot): on the thread's own connection
    (read-only requests), or inside a write transaction on its session's connection (`joined`),
    where the session's pending changes are flushed first so that the reads see them."""

    def __init__(self, direct: DirectReads, connection: Any) -> None:
        self._direct = direct
        self._connection = connection  # the driver's own connection
        self._began = False
        self._session: Session | None = None
        self.broken = False  # a driver error: the connection is not reused

    @classmethod
    def joined(cls, direct: DirectReads, session: Session) -> Reader:
        reader = cls(direct, None)
        reader._session = session
        reader._began = True  # the session owns the transaction
        return reader

    def rows(self, prepared: Prepared, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        sql, order, bound = prepared.for_dialect(self._direct.dialect)
        merged = {**bound, **params} if bound else params
        values = tuple(merged[name] for name in order) if order is not None else dict(merged)
        refuse_nul(values.values() if isinstance(values, dict) else values)
        try:
            if self._session is not None:
                self._session.flush()
                connection = self._session.connection().connection
            else:
                connection = self._connection
                if not self._began:
                    self._began = True
                    if self._direct.explicit_begin:
                        connection.execute("BEGIN")
            cursor = connection.cursor()
            try:
                cursor.execute(sql, values)
                return list(cursor.fetchall())
            finally:
                cursor.close()
        except self._direct.driver_error as error:
            # Only a connection of our own is thrown away; a session's is the session's.
            self.broken = self._session is None
            raise DBAPIError.instance(sql, values, error, self._direct.driver_error) from error

    def scalar(self, prepared: Prepared, params: Mapping[str, Any]) -> Any:
        found = self.rows(prepared, params)
        return found[0][0] if found else None

    def end(self) -> None:
        if not self._began or self._session is not None:
            return
        try:
            if self._direct.explicit_begin:
                self._connection.execute("COMMIT")
            else:
                self._connection.rollback()  # read-only: nothing to keep
        except self._direct.driver_error:
            self.broken = True


class DirectReads:
    """Driver connections for the hot reads: one per request in flight, kept idle in a small
    stack between requests (at most `max_idle`, so a burst does not hold connections open)."""

    def __init__(self, engine: Engine, max_idle: int = 4) -> None:
        # Its own engine: these connections are managed here, not by the ORM's pool.
        self._engine = make_engine(engine.url, poolclass=NullPool)
        self.dialect = self._engine.dialect
        # pysqlite runs with its own transaction handling switched off (db/engine.py).
        self.explicit_begin = self.dialect.name == "sqlite"
        self.driver_error: type[Exception] = self.dialect.loaded_dbapi.Error
        self.max_idle = max_idle
        self._idle: list[Any] = []
        self._lock = threading.Lock()

    @staticmethod
    def supports(engine: Engine) -> bool:
        """An in-memory SQLite database exists per connection: another one would be empty."""
        database = engine.url.database or ""
        return engine.dialect.name != "sqlite" or (
            database not in ("", ":memory:") and "mode=memory" not in database
        )

    @contextmanager
    def reader(self) -> Iterator[Reader]:
        with self._lock:
            connection = self._idle.pop() if self._idle else None
        if connection is None:
            connection = self._engine.raw_connection()
        reader = Reader(self, connection.dbapi_connection)
        try:
            yield reader
        finally:
            reader.end()
            self._release(connection, reader.broken)

    def _release(self, connection: Any, broken: bool) -> None:
        if not broken:
            with self._lock:
                if len(self._idle) < self.max_idle:
                    self._idle.append(connection)
                    return
        with contextlib.suppress(Exception):  # thrown away: broken, or one too many
            connection.invalidate()

    def idle(self) -> int:
        with self._lock:
            return len(self._idle)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            with contextlib.suppress(Exception):  # closing at shutdown, best effort
                connection.invalidate()
        self._engine.dispose()


def json_value(value: Any) -> Any:
    """A JSON column as the driver returns it: text on SQLite, already parsed on psycopg."""
    return json.loads(value) if isinstance(value, str | bytes) else value
