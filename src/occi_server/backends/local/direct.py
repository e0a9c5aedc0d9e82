"""The hot statements, run as compiled SQL on the database driver's own connection.

SQLAlchemy still builds and compiles every statement (once per dialect) and supplies its bind
processors (JSON, dates). What this skips is its per-execution work: on SQLite a key lookup
costs about 2 µs in the driver and about 90 µs through a Connection, 180 µs through a Session,
and every request makes a few of them (the catalogue version, one entity with its links, and
for writes the entity's rows). Measured with `python -m bench.profile`.

A read-only request reads on a connection of its own (DirectReads); a write request's Reader
is joined to the SQLAlchemy connection that holds its transaction, so direct statements and
the ORM (for the tables that still use it) share one transaction. Driver errors are re-raised
as SQLAlchemy's exceptions, so callers translate them as they always did.
"""

from __future__ import annotations

import contextlib
import json
import operator
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from occi_server import telemetry
from occi_server.db.engine import make_engine, refuse_nul


class Prepared:
    """A statement compiled once per dialect: its SQL, its parameters in the driver's order
    (positional drivers), the values already bound in it and the bind processors of its
    parameters (JSON text, dates on SQLite)."""

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
            order = _in_order(tuple(compiled.positiontup or ())) if compiled.positional else None
            processors: dict[str, Callable[[Any], Any]] = {}
            for name, bind in compiled.binds.items():
                processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
                if processor is not None:
                    processors[name] = processor
            found = CompiledSql(compiled.string, order, dict(compiled.params), processors)
            self._compiled[dialect.name] = found
        return found


class CompiledSql(NamedTuple):
    sql: str
    # Parameters in placeholder order, as a tuple, for positional drivers; None: named style.
    order: Callable[[Mapping[str, Any]], tuple[Any, ...]] | None
    bound: dict[str, Any]  # values bound in the statement itself
    processors: dict[str, Callable[[Any], Any]]  # by parameter name; only those that have one


@dataclass(frozen=True, slots=True)
class Driver:
    """What the direct path needs to know of a database driver."""

    dialect: Dialect
    error: type[Exception]  # the driver's base exception
    explicit_begin: bool  # pysqlite runs with its own transaction handling off (db/engine.py)

    @classmethod
    def of(cls, engine: Engine) -> Driver:
        dialect = engine.dialect
        return cls(dialect, dialect.loaded_dbapi.Error, dialect.name == "sqlite")


class Reader:
    """One request's statements in one transaction: on a connection of its own (read-only
    requests: one snapshot), or `joined` to the SQLAlchemy connection of a write transaction,
    where `before` first flushes what the ORM has pending so that both see the same rows."""

    def __init__(
        self, driver: Driver, connection: Any, before: Callable[[], None] | None = None
    ) -> None:
        self._driver = driver
        self._connection = connection  # the driver's own connection
        self._began = False
        self._joined = False
        self.before = before  # called before every statement
        self.broken = False  # a driver error: the connection is not reused

    @classmethod
    def joined(
        cls, driver: Driver, connection: Connection, before: Callable[[], None] | None = None
    ) -> Reader:
        reader = cls(driver, connection.connection.dbapi_connection, before)
        reader._began = reader._joined = True  # the connection owns the transaction
        return reader

    def rows(self, prepared: Prepared, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """The rows a query (or a statement with RETURNING) gives."""
        return cast(list[tuple[Any, ...]], self._run(prepared, (params,), "rows"))

    def scalar(self, prepared: Prepared, params: Mapping[str, Any]) -> Any:
        found = self.rows(prepared, params)
        return found[0][0] if found else None

    def execute(self, prepared: Prepared, params: Mapping[str, Any]) -> int:
        """Run a statement without results; the number of rows it touched."""
        return cast(int, self._run(prepared, (params,), "count"))

    def execute_many(self, prepared: Prepared, params: Sequence[Mapping[str, Any]]) -> None:
        """Run a statement without results once per parameter set (a bulk insert, say)."""
        if params:
            self._run(prepared, params, "many")

    def _run(self, prepared: Prepared, params: Sequence[Mapping[str, Any]], mode: str) -> Any:
        sql, order, bound, processors = prepared.for_dialect(self._driver.dialect)
        values = [_bind(order, bound, processors, one) for one in params]
        for one in values:
            refuse_nul(one.values() if isinstance(one, dict) else one)
        if self.before is not None:
            self.before()
        started = time.perf_counter()
        failed = True
        try:
            connection = self._connection
            if not self._began:
                self._began = True
                if self._driver.explicit_begin:
                    connection.execute("BEGIN")
            cursor = connection.cursor()
            try:
                if mode == "many":
                    cursor.executemany(sql, values)
                    failed = False
                    return None
                cursor.execute(sql, values[0])
                found = list(cursor.fetchall()) if mode == "rows" else cursor.rowcount
                failed = False
                return found
            finally:
                cursor.close()
        except self._driver.error as error:
            # Only a connection of our own is thrown away; a joined one is its owner's.
            self.broken = not self._joined
            raise DBAPIError.instance(sql, values, error, self._driver.error) from error
        finally:
            telemetry.backend_call("database", time.perf_counter() - started, failed)

    def end(self) -> None:
        if not self._began or self._joined:
            return
        try:
            if self._driver.explicit_begin:
                self._connection.execute("COMMIT")
            else:
                self._connection.rollback()  # read-only: nothing to keep
        except self._driver.error:
            self.broken = True


def _in_order(names: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    if len(names) == 1:  # itemgetter of one name gives the value, not a tuple
        (name,) = names
        return lambda values: (values[name],)
    return operator.itemgetter(*names) if names else lambda values: ()


def _bind(
    order: Callable[[Mapping[str, Any]], tuple[Any, ...]] | None,
    bound: dict[str, Any],
    processors: dict[str, Callable[[Any], Any]],
    params: Mapping[str, Any],
) -> tuple[Any, ...] | dict[str, Any]:
    """Parameters as the driver takes them: processed, and in placeholder order if positional."""
    merged: Mapping[str, Any] = params
    if bound or processors:
        merged = {**bound, **params}
        for name, processor in processors.items():
            if name in merged:
                merged[name] = processor(merged[name])
    return order(merged) if order is not None else dict(merged)


class DirectReads:
    """Driver connections for the hot reads: one per request in flight, kept idle in a small
    stack between requests (at most `max_idle`, so a burst does not hold connections open)."""

    def __init__(self, engine: Engine, max_idle: int = 4) -> None:
        # Its own engine: these connections are managed here, not by the ORM's pool.
        self._engine = make_engine(engine.url, poolclass=NullPool)
        self.driver = Driver.of(self._engine)
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
        reader = Reader(self.driver, connection.dbapi_connection)
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
