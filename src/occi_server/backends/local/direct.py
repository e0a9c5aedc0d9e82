"""The one data path: every statement of the embedded cloud, compiled once per dialect and run on
the database driver's own connection, in the request's one `Transaction`.

SQLAlchemy still builds and compiles every statement (once per dialect) and supplies its bind
and result processors (JSON, dates). What this skips is its per-execution work: on SQLite a key
lookup costs about 2 µs in the driver, about 90 µs through a Connection and 180 µs through an
ORM Session, and every request makes a few of them (`python -m bench.profile`).

A write request's Transaction is joined to the SQLAlchemy connection that holds its transaction
(whose begin event takes the writer lock: BEGIN IMMEDIATE on SQLite, an advisory lock on
PostgreSQL, db/engine.py). A read-only request's runs on a driver connection of its own
(DirectReads) and sees one snapshot: SQLite's read transaction, PostgreSQL's REPEATABLE READ.
Driver errors are re-raised as SQLAlchemy's exceptions (LocalBackend.session translates them).

Repositories. Only these modules hold SQL, one per concern: store.py (entities, their mixins and
attribute index), reads.py (rendering reads and listings), allocations.py (addresses and ranges),
private.py (values never rendered), user_mixins.py, images.py (snapshots), versions.py
(catalogue versions), intents.py (driver operations), quotas.py (limits, and the usage it
counts). The rules (compute.py, links.py, ...) and the reconciler call them, never SQL. To add
one:

- its statements are module constants: `_NAME = Prepared(select(...).where(col ==
  bindparam("x")))` built from the tables of db/tables.py (`Row.metadata.tables[...]`); a
  statement whose shape depends on a count of values is a `PreparedByCount`; one that varies
  more (listings) is compiled once per distinct key (reads.py);
- inserts name their columns, `bindparam(name, type_=column.type)`, so JSON and dates are
  processed; Python-side column defaults do not apply, pass every value;
- its functions take the `Scope` (`scope.tx`, `scope.project_id`) and plain values, and return
  plain values (tuples, records, model objects): no row objects leave it;
- `tx.rows` / `tx.scalar` read, `tx.execute` returns the rows touched, `tx.execute_many` runs
  one statement per parameter set; `tx.savepoint()` scopes a part that may fail on its own.
"""

from __future__ import annotations

import contextlib
import operator
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from sqlalchemy import BindParameter, Connection, Engine, bindparam
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
            found = CompiledSql(
                compiled.string,
                order,
                dict(compiled.params),
                processors,
                _result_processors(compiled, dialect),
            )
            self._compiled[dialect.name] = found
        return found


def _result_processors(
    compiled: SQLCompiler, dialect: Dialect
) -> tuple[tuple[int, Callable[[Any], Any]], ...]:
    """(column index, processor) for the result columns that need one (JSON text, dates on
    SQLite; psycopg returns both as Python values already)."""
    found: list[tuple[int, Callable[[Any], Any]]] = []
    for index, column in enumerate(compiled._result_columns):
        processor = column.type.dialect_impl(dialect).result_processor(dialect, None)
        if processor is not None:
            found.append((index, processor))
    return tuple(found)


class PreparedByCount:
    """A statement whose SQL depends on how many values it is given (`col IN (:v0, ...)`):
    one Prepared per count, built on first use and kept. Callers bound the count (chunks)."""

    __slots__ = ("_build", "_by_count")

    def __init__(self, build: Callable[[list[BindParameter[Any]]], ClauseElement]) -> None:
        self._build = build
        self._by_count: dict[int, Prepared] = {}

    def params(self, values: Sequence[Any], **others: Any) -> dict[str, Any]:
        """The parameters for `values`: v0, v1, ... (and the others, by name)."""
        return {**others, **{f"v{i}": value for i, value in enumerate(values)}}

    def __call__(self, count: int) -> Prepared:
        found = self._by_count.get(count)
        if found is None:
            found = Prepared(self._build([bindparam(f"v{i}") for i in range(count)]))
            self._by_count[count] = found
        return found


class CompiledSql(NamedTuple):
    sql: str
    # Parameters in placeholder order, as a tuple, for positional drivers; None: named style.
    order: Callable[[Mapping[str, Any]], tuple[Any, ...]] | None
    bound: dict[str, Any]  # values bound in the statement itself
    processors: dict[str, Callable[[Any], Any]]  # by parameter name; only those that have one
    results: tuple[tuple[int, Callable[[Any], Any]], ...]  # (column, processor) of the results


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


class Transaction:
    """One request's statements in one transaction: on a driver connection of its own
    (read-only requests), or `joined` to the SQLAlchemy connection of a write transaction, which
    owns the transaction (begins, commits, rolls back)."""

    __slots__ = ("_began", "_connection", "_driver", "_joined", "_savepoints", "broken")

    def __init__(self, driver: Driver, connection: Any) -> None:
        self._driver = driver
        self._connection = connection  # the driver's own connection
        self._began = False
        self._joined = False
        self._savepoints = 0
        self.broken = False  # a driver error: the connection is not reused

    @classmethod
    def joined(cls, driver: Driver, connection: Connection) -> Transaction:
        tx = cls(driver, connection.connection.dbapi_connection)
        tx._began = tx._joined = True  # the connection owns the transaction
        return tx

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

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A part of the transaction that an exception takes back, and only that part."""
        self._savepoints += 1
        name = f"occi_{self._savepoints}"
        self._run_sql(f"SAVEPOINT {name}", [()], "count")
        try:
            yield
        except BaseException:
            self._run_sql(f"ROLLBACK TO SAVEPOINT {name}", [()], "count")
            raise
        finally:
            self._run_sql(f"RELEASE SAVEPOINT {name}", [()], "count")

    def _run(self, prepared: Prepared, params: Sequence[Mapping[str, Any]], mode: str) -> Any:
        sql, order, bound, processors, results = prepared.for_dialect(self._driver.dialect)
        values = [_bind(order, bound, processors, one) for one in params]
        for one in values:
            refuse_nul(one.values() if isinstance(one, dict) else one)
        found = self._run_sql(sql, values, mode)
        return _processed(found, results) if results and mode == "rows" else found

    def _run_sql(self, sql: str, values: list[Any], mode: str) -> Any:
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
                found = cursor.fetchall() if mode == "rows" else cursor.rowcount
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
        """End a read-only transaction of our own (a joined one ends with its connection)."""
        if not self._began or self._joined:
            return
        try:
            if self._driver.explicit_begin:
                self._connection.execute("COMMIT")
            else:
                self._connection.rollback()  # read-only: nothing to keep
        except self._driver.error:
            self.broken = True


def _processed(
    rows: list[Any], results: tuple[tuple[int, Callable[[Any], Any]], ...]
) -> list[tuple[Any, ...]]:
    processed = []
    for row in rows:
        values = list(row)
        for index, processor in results:
            values[index] = processor(values[index])
        processed.append(tuple(values))
    return processed


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
    """Driver connections for read-only requests: one per request in flight, kept idle in a small
    stack between requests (at most `max_idle`, so a burst does not hold connections open)."""

    def __init__(self, engine: Engine, max_idle: int = 4) -> None:
        # Its own engine: these connections are managed here, not by the engine's pool. On
        # PostgreSQL a read-only request sees one snapshot, as on SQLite (READ COMMITTED would
        # give each statement its own); a read-only transaction never fails to serialise.
        options: dict[str, Any] = {"poolclass": NullPool}
        if engine.dialect.name == "postgresql":
            options["isolation_level"] = "REPEATABLE READ"
        self._engine = make_engine(engine.url, **options)
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
    def transaction(self) -> Iterator[Transaction]:
        """A read-only transaction on an idle connection (or a new one)."""
        with self._lock:
            connection = self._idle.pop() if self._idle else None
        if connection is None:
            connection = self._engine.raw_connection()
        tx = Transaction(self.driver, connection.dbapi_connection)
        try:
            yield tx
        finally:
            tx.end()
            self._release(connection, tx.broken)

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
